/** The public handles over scope records: Scope (begin/end) and QueryContext (phases). */
import { WattscopeError } from '../util/errors.js';
import type { ScopeRecord } from './ledger.js';
import type { Measurement } from './types.js';

/** What a Scope needs from its monitor (kept narrow so Scope stays a thin handle). */
export interface ScopeHost {
  endScope(rec: ScopeRecord, outcome: Measurement['outcome'], counts?: ScopeCounts): void;
  measurementOf(rec: ScopeRecord): Measurement;
  settledOf(rec: ScopeRecord): Promise<Measurement>;
}

export interface ScopeCounts {
  tokens?: number;
  samples?: number;
}

/**
 * An open measurement scope from `monitor.begin(name)`. End it with `end()`,
 * or let `using scope = monitor.begin(...)` end it at the block's exit.
 */
export class Scope implements Disposable {
  readonly #host: ScopeHost;
  readonly #rec: ScopeRecord;

  /** @internal */
  constructor(host: ScopeHost, rec: ScopeRecord) {
    this.#host = host;
    this.#rec = rec;
  }

  get id(): number {
    return this.#rec.id;
  }

  get name(): string {
    return this.#rec.name;
  }

  get startNs(): bigint {
    return this.#rec.start.tNs;
  }

  get ended(): boolean {
    return this.#rec.end !== null;
  }

  /**
   * Ends the scope: records the boundary and nothing more (cheap on a hot path).
   * Read the energy with {@link measurement} (as known now) or {@link settled}.
   * Throws WATTSCOPE_SCOPE_ENDED when already ended.
   */
  end(counts: ScopeCounts = {}): this {
    if (this.#rec.end !== null) {
      throw new WattscopeError('WATTSCOPE_SCOPE_ENDED', `scope "${this.#rec.name}" (#${this.#rec.id}) was already ended`);
    }
    this.#host.endScope(this.#rec, 'ended', counts);
    return this;
  }

  /**
   * The measurement as known now: final once settled, else provisional
   * (`settled: false`, the end extrapolated from the sampled power).
   */
  measurement(): Measurement {
    if (this.#rec.end === null) {
      throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `scope "${this.#rec.name}" has not ended`);
    }
    return this.#host.measurementOf(this.#rec);
  }

  /** The final measurement, once the counter has updated past the scope's end. */
  settled(): Promise<Measurement> {
    if (this.#rec.end === null) {
      return Promise.reject(new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `scope "${this.#rec.name}" has not ended`));
    }
    return this.#host.settledOf(this.#rec);
  }

  [Symbol.dispose](): void {
    if (this.#rec.end === null) this.#host.endScope(this.#rec, 'ended');
  }
}

/** Handed to `monitor.query(id, q => ...)`: measures the query's phases. */
export interface QueryContext {
  readonly id: string;
  /**
   * Runs `fn` as phase `name` of this query and returns its result. The phase's
   * energy is recorded (and attributed in open runs); errors are recorded and rethrown.
   */
  phase<T>(name: string, fn: () => T | Promise<T>, counts?: ScopeCounts): Promise<T>;
  /**
   * Adds tokens (or samples) to a phase already run, e.g. when known only after decoding. Call it
   * before the query's function returns: the query's phases are reported (onMeasurement, metrics)
   * once the query has ended, with these counts; a count after that throws WATTSCOPE_INVALID_ARGUMENT.
   */
  count(phase: string, counts: ScopeCounts): void;
}
