/**
 * The AI Energy Score's own method, as optimum-benchmark's energy_star scenario runs it: separate
 * passes over the dataset, each measured whole by the energy counter (gaps between queries
 * included). There, `preprocess` tokenizes the dataset, `prefill` runs every query with one new
 * token, `generate` runs every query in full, and decode = generate - prefill. Here, for phases
 * p_1..p_n: pass i runs every query up to the end of p_i and stops it there, the run itself is the
 * last pass, and phase i = pass i - pass i-1 (p_1 = pass 1). The handler is unchanged: a pass's
 * query context ends the query (PassEnd, and the query's signal aborted) when it asks for the
 * first phase after the pass's last, before that phase's function runs.
 */
import type { EnergyMonitor } from '../monitor/monitor.js';
import type { QueryContext } from '../monitor/scope.js';
import type { SeparatePassesRecord } from '../formats/report-parts.js';
import type { BenchmarkHandler } from './benchmark-types.js';
import type { DatasetRow } from './dataset.js';

export type { SeparatePassesRecord } from '../formats/report-parts.js';

/** Thrown into a handler where its pass ends: the query has run as far as the pass measures. */
export class PassEnd extends Error {
  constructor(readonly lastPhase: string) {
    super(`this pass ends each query after phase ${lastPhase}`);
    this.name = 'PassEnd';
  }
}

/**
 * A query context that runs each phase's function unscoped (the pass is measured whole) and ends
 * the query at the first phase of `later` (the phases after the pass's last): `onEnd` is called
 * (it aborts the query's signal, so that a handler streaming from a server stops its request), then
 * PassEnd is thrown.
 */
export function passContext(id: string, lastPhase: string, later: ReadonlySet<string>, onEnd: () => void): QueryContext {
  return {
    id,
    async phase<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
      if (later.has(name)) {
        onEnd();
        throw new PassEnd(lastPhase);
      }
      return fn();
    },
    count: () => {},
  };
}

/** One measured pass: the counter's energy over it, J (±95%), its time, s, and the queries it ran. */
export interface PassMeasurement {
  lastPhase: string;
  energyJ: number;
  uncertaintyJ: number;
  durationS: number;
  queries: number;
  failedQueries: number;
}

/**
 * Runs every row once, each query ended after `lastPhase`, inside one scope named
 * `separate-pass:<lastPhase>`; null where the pass could not be measured. A query that fails
 * otherwise than by PassEnd is counted, as a run counts it.
 */
export async function measurePass(
  monitor: EnergyMonitor,
  rows: readonly DatasetRow[],
  handler: BenchmarkHandler,
  phases: readonly string[],
  lastPhase: string,
  signal: AbortSignal,
): Promise<PassMeasurement | null> {
  const later = new Set(phases.slice(phases.indexOf(lastPhase) + 1));
  let queries = 0;
  let failedQueries = 0;
  const { measurement } = await monitor.measure(`separate-pass:${lastPhase}`, async () => {
    for (const row of rows) {
      if (signal.aborted) break;
      const ended = new AbortController();
      const context = passContext(row.id, lastPhase, later, () => ended.abort(new PassEnd(lastPhase)));
      queries++;
      try {
        await handler(row, context, { signal: AbortSignal.any([signal, ended.signal]) });
      } catch (err) {
        if (!(err instanceof PassEnd) && !ended.signal.aborted) failedQueries++;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  });
  if (measurement.status !== 'measured') return null;
  return { lastPhase, energyJ: measurement.energyJ, uncertaintyJ: measurement.uncertaintyJ, durationS: measurement.durationS, queries, failedQueries };
}

/** How a run's joules become Wh per 1,000 queries. */
export interface PassScale {
  /** 1000 / the queries of a pass. */
  per1000Scale: number;
  /** Idle power to subtract over each pass's time (subtractIdle), W; null: nothing subtracted. */
  idleW: number | null;
  /** Every node's energy over the local GPUs' (1 on one node). */
  nodesFactor: number;
}

/**
 * Each phase from the passes by difference: the passes in phase order, the last being the run
 * itself (its counter total). Phase i = pass i - pass i-1, J, its ~95% half-width the two passes'
 * added (each is measured independently). Null where a pass is missing or any pass ran other
 * queries than the run (an interrupted run): no difference is taken against 0 or a partial pass.
 */
export function separatePassesRecord(
  phases: readonly string[],
  passes: ReadonlyArray<PassMeasurement | null>,
  run: { energyJ: number; uncertaintyJ: number; durationS: number; queries: number },
  scale: PassScale,
): SeparatePassesRecord | null {
  if (passes.length !== phases.length - 1 || passes.some((p) => p === null || p.queries !== run.queries)) return null;
  const all = [...(passes as PassMeasurement[]), { lastPhase: phases[phases.length - 1]!, failedQueries: 0, ...run }];
  const counted = (p: (typeof all)[number]) => p.energyJ - (scale.idleW ?? 0) * p.durationS;
  const phaseRecords: SeparatePassesRecord['phases'] = {};
  const phaseWhPer1000: Record<string, number> = {};
  for (const [i, phase] of phases.entries()) {
    const before = i === 0 ? null : all[i - 1]!;
    const energyJ = all[i]!.energyJ - (before?.energyJ ?? 0);
    const uncertaintyJ = all[i]!.uncertaintyJ + (before?.uncertaintyJ ?? 0);
    phaseRecords[phase] = { energyJ, uncertaintyJ };
    phaseWhPer1000[phase] = ((counted(all[i]!) - (before ? counted(before) : 0)) * scale.per1000Scale * scale.nodesFactor) / 3600;
  }
  const passRecords = all.map((p) => ({
    endsAfter: p.lastPhase,
    energyJ: p.energyJ,
    uncertaintyJ: p.uncertaintyJ,
    durationS: p.durationS,
    queries: p.queries,
  }));
  return { passes: passRecords, phases: phaseRecords, phaseWhPer1000 };
}
