/**
 * The scopes a monitor has open: their records, the async context that tells concurrent queries'
 * phases apart, the runs they count towards, and the labels the timelines learn from (which phase
 * runs from each boundary on). Running a function in a scope ends the scope when it returns,
 * throws or its promise settles.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { WattscopeError } from '../util/errors.js';
import type { Boundary, ScopeRecord } from './ledger.js';
import type { RunState } from './run-summary.js';
import type { QueryContext, ScopeCounts } from './scope.js';
import type { Measurement } from './types.js';

/** The async context of a scope's code: its parent scope and query. */
interface Context {
  parentId: number | null;
  queryId: string | null;
  query: QueryState | null;
}

/** A query's phases, in the order they started. */
export interface QueryState {
  phases: ScopeRecord[];
}

/** What the book needs from its monitor. */
export interface ScopeBookHost {
  /** A new boundary now (queued for settling). */
  boundary(): Boundary;
  /** Tells the timelines which phase runs from `b` on: a name, '' for none, null if several (with its declared tokens). */
  label(b: Boundary, label: string | null, tokens: number): void;
  /** A scope has ended (its end boundary is set). */
  ended(rec: ScopeRecord): void;
  /** False for a monitor without a GPU: nothing is attributed, so the async context is skipped. */
  readonly attributing: boolean;
}

export class ScopeBook {
  /** The runs in progress (each counts the queries and phases that start while it runs). */
  readonly runs = new Set<RunState>();
  readonly #host: ScopeBookHost;
  readonly #als = new AsyncLocalStorage<Context>();
  readonly #openScopes = new Set<ScopeRecord>();
  readonly #openPhases = new Set<ScopeRecord>();
  #nextId = 1;

  constructor(host: ScopeBookHost) {
    this.#host = host;
  }

  /** The scopes still open. */
  openScopes(): ScopeRecord[] {
    return [...this.#openScopes];
  }

  /** Opens a scope (a phase when `phase` is not null) inside the current async context. */
  open(name: string, phase: string | null, queryId?: string, declaredTokens?: number): ScopeRecord {
    const ctx = this.#als.getStore();
    const rec: ScopeRecord = {
      id: this.#nextId++,
      name,
      parentId: ctx?.parentId ?? null,
      queryId: queryId ?? ctx?.queryId ?? null,
      phase,
      start: this.#host.boundary(),
      end: null,
      outcome: null,
      error: null,
      tokens: null,
      samples: null,
      settled: false,
      final: null,
      ...(declaredTokens !== undefined && Number.isFinite(declaredTokens) ? { declaredTokens } : {}),
    };
    this.#openScopes.add(rec);
    if (phase !== null) this.#openPhases.add(rec);
    this.#label(rec.start);
    return rec;
  }

  /** Ends a scope now, adding its counts. */
  end(rec: ScopeRecord, outcome: Measurement['outcome'], counts: ScopeCounts = {}): void {
    rec.end = this.#host.boundary();
    rec.outcome = outcome;
    if (counts.tokens !== undefined) rec.tokens = (rec.tokens ?? 0) + counts.tokens;
    if (counts.samples !== undefined) rec.samples = (rec.samples ?? 0) + counts.samples;
    this.#openScopes.delete(rec);
    if (rec.phase !== null) this.#openPhases.delete(rec);
    if (this.#host.attributing) this.#label(rec.end);
    this.#host.ended(rec);
  }

  #label(b: Boundary): void {
    const n = this.#openPhases.size;
    const only = n === 1 ? this.#openPhases.values().next().value! : null;
    this.#host.label(b, n === 0 ? '' : only ? only.phase : null, only?.declaredTokens ?? NaN);
  }

  /**
   * Runs fn inside the scope's async context and ends the scope when it returns, throws or its
   * promise settles (a thrown error is recorded, then rethrown). A synchronous fn costs no extra
   * promise turn (each is dearer while AsyncLocalStorage's hooks are on).
   */
  runIn<T>(rec: ScopeRecord, fn: () => T | Promise<T>, counts: ScopeCounts, ctx?: Context): T | Promise<T> {
    const failed = (err: unknown): never => {
      const e = err as { name?: string; message?: string; code?: unknown };
      rec.error = { name: String(e?.name ?? 'Error'), message: String(e?.message ?? err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
      if (!rec.end) this.end(rec, 'threw', counts);
      throw err;
    };
    let r: T | Promise<T>;
    try {
      if (this.#host.attributing) {
        const store: Context = ctx ?? { parentId: rec.id, queryId: rec.queryId, query: this.#als.getStore()?.query ?? null };
        r = this.#als.run(store, fn);
      } else r = fn();
    } catch (err) {
      return failed(err);
    }
    if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
      return (r as Promise<T>).then((v) => {
        this.end(rec, 'returned', counts);
        return v;
      }, failed);
    }
    this.end(rec, 'returned', counts);
    return r;
  }

  /** Runs a query's function with its context: `q.phase(name, fn)` measures each phase, `q.count` adds counts. */
  runQuery<T>(
    rec: ScopeRecord,
    fn: (q: QueryContext) => T | Promise<T>,
    counts: ScopeCounts,
    checkFn: (fn: unknown) => void,
  ): { state: QueryState; result: T | Promise<T> } {
    const queryId = rec.queryId!;
    const state: QueryState = { phases: [] };
    const q: QueryContext = {
      id: queryId,
      phase: <P>(name: string, phaseFn: () => P | Promise<P>, phaseCounts: ScopeCounts = {}) => {
        checkFn(phaseFn);
        const phaseRec = this.open(name, name, queryId, phaseCounts.tokens);
        phaseRec.query = rec;
        state.phases.push(phaseRec);
        for (const run of this.runs) run.phases.push(phaseRec);
        return Promise.resolve(this.runIn(phaseRec, phaseFn, phaseCounts, { parentId: phaseRec.id, queryId, query: state }));
      },
      count: (phase: string, added: ScopeCounts) => {
        if (rec.end !== null)
          throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `query ${queryId} has ended: count its phases inside the query`, { field: 'phase' });
        const p = [...state.phases].reverse().find((s) => s.phase === phase);
        if (!p) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `query ${queryId} has no phase "${phase}"`, { field: 'phase' });
        if (added.tokens !== undefined) p.tokens = (p.tokens ?? 0) + added.tokens;
        if (added.samples !== undefined) p.samples = (p.samples ?? 0) + added.samples;
      },
    };
    return { state, result: this.runIn(rec, () => fn(q), counts, { parentId: rec.id, queryId, query: state }) };
  }
}
