/** Per-run instability reasons and the aggregate over runs. */
import { median, summarize } from './stats.js';
import type { RunRecord, WattscopeReport } from '../formats/report-types.js';

/** Flags from the measurement that mean the counter or sampling misbehaved during a run (on this node or another). */
const ANOMALY_FLAGS = new Set(['counter-reset', 'unsettled', 'sampling-gap', 'gpu-lost', 'node-counter-missing', 'node-counter-reset']);

/** Reasons that exclude a run from the means (when excludeUnstable is on). */
const EXCLUDING = new Set(['counter-anomaly', 'high-variation', 'failed-queries', 'interrupted']);

export const HIGH_VARIATION_FRACTION = 0.1;
/** The share of a run's queries that may fail with the run still scored: the AI Energy Score methodology's 5%. */
export const MAX_FAILED_QUERY_FRACTION = 0.05;
export const TOO_SHORT_S = 1;

/** Why a run counts as throttled: the driver's reasons by name, or the guess, said to be one. */
function throttleReason(r: RunRecord): string {
  if (r.flags.includes('throttle-guessed'))
    return 'throttled: guessed (end temperature >= 85 C or mean power >= 98% of the limit): this driver reports no clocks event reasons';
  // clocksEventReasons never holds gpu-idle (the run summary leaves it out).
  return `throttled: ${(r.clocksEventReasons ?? []).join(', ')} (the driver's clocks event reasons)`;
}

/** More of the run's queries failed than the methodology allows: the run is never in a mean. */
export function failedBeyondLimit(r: Pick<RunRecord, 'failedQueries' | 'queries'>): boolean {
  return r.failedQueries > MAX_FAILED_QUERY_FRACTION * r.queries;
}

/**
 * A run that lost a node's counter measured only part of the fleet: its total is not the fleet's
 * energy, so it is never in a mean, even when every run is unstable.
 */
export function fleetIncomplete(r: Pick<RunRecord, 'flags'>): boolean {
  return r.flags.includes('node-counter-missing');
}

/**
 * Why no run of a benchmark can be scored, in one sentence naming each run's first reason, or
 * null when a run is included.
 */
export function unscoredReason(runs: RunRecord[]): string | null {
  if (runs.some((r) => r.included)) return null;
  if (runs.length === 0) return 'no run was completed, so there is no score';
  // Each run's reason that left it out, failed queries first (never overruled by the fallback).
  const why = (r: RunRecord) =>
    r.unstable.find((x) => x.startsWith('failed-queries:')) ?? r.unstable.find((x) => EXCLUDING.has(x.split(':')[0]!)) ?? r.unstable[0] ?? 'excluded';
  const each = runs.map((r) => `run ${r.index}: ${why(r)}`).join('; ');
  return `no run can be scored, so no GPU_ENERGY_WH.txt was written (${each})`;
}

/** Recomputes every run's `unstable` reasons and `included` from all runs so far. */
export function classifyRuns(runs: RunRecord[], excludeUnstable: boolean): { notes: string[] } {
  const notes: string[] = [];
  const totals = runs.map((r) => Object.values(r.phaseWhPer1000).reduce((a, b) => a + b, 0));
  const mid = runs.length >= 3 ? median(totals) : NaN;
  for (const [i, r] of runs.entries()) {
    const reasons: string[] = [];
    if (r.durationS < TOO_SHORT_S) reasons.push(`too-short: ${r.durationS.toFixed(2)} s is under ${TOO_SHORT_S} s, about ten counter updates`);
    const anomalies = r.flags.filter((f) => ANOMALY_FLAGS.has(f));
    if (anomalies.length) reasons.push(`counter-anomaly: ${anomalies.join(', ')}`);
    if (Number.isFinite(mid) && mid > 0 && Math.abs(totals[i]! - mid) / mid > HIGH_VARIATION_FRACTION) {
      reasons.push(`high-variation: ${totals[i]!.toFixed(3)} Wh/1000 is ${(((totals[i]! - mid) / mid) * 100).toFixed(1)}% from the median run`);
    }
    if (failedBeyondLimit(r))
      reasons.push(`failed-queries: ${r.failedQueries} of ${r.queries} queries threw, over the ${MAX_FAILED_QUERY_FRACTION * 100}% allowed`);
    else if (r.failedQueries > 0)
      reasons.push(`failed-queries-within-limit: ${r.failedQueries} of ${r.queries} queries threw (at most ${MAX_FAILED_QUERY_FRACTION * 100}% allowed)`);
    if (r.flags.includes('throttled')) reasons.push(throttleReason(r));
    if (r.flags.includes('interrupted')) reasons.push('interrupted: the benchmark was stopped during this run');
    if (r.flags.includes('cooldown-timeout'))
      reasons.push(`cooldown-timeout: the GPU had not returned near idle after ${r.cooldownS.toFixed(1)} s; the run started warm`);
    const errs = Object.entries(r.errors ?? {});
    if (errs.length && r.failedQueries > 0)
      reasons[reasons.findIndex((x) => x.startsWith('failed-queries'))] += ` (${errs.map(([k, v]) => `${k} x${v}`).join(', ')})`;
    r.unstable = reasons;
    r.included = !excludeUnstable || !reasons.some((x) => EXCLUDING.has(x.split(':')[0]!));
  }
  if (runs.length > 0 && runs.every((r) => !r.included)) {
    // Keep the unstable runs rather than report nothing, but never a partial (interrupted) one, one
    // whose queries failed beyond the limit (failed work is never a score) nor one that lost a node.
    for (const r of runs) r.included = !r.flags.includes('interrupted') && !failedBeyondLimit(r) && !fleetIncomplete(r);
    if (runs.some((r) => r.included))
      notes.push("every run was unstable; the complete runs whose queries succeeded on every node are included in the means, see each run's reasons");
  }
  return { notes };
}

export function aggregate(runs: RunRecord[], phases: string[]): NonNullable<WattscopeReport['aggregate']> {
  const inc = runs.filter((r) => r.included);
  // Each phase over the runs that measured it; a phase no included run measured is left out (not 0).
  const phaseWhPer1000 = Object.fromEntries(
    phases
      .map((p) => [p, inc.flatMap((r) => (r.phaseWhPer1000[p] === undefined ? [] : [r.phaseWhPer1000[p]]))] as const)
      .filter(([, values]) => values.length > 0)
      .map(([p, values]) => [p, summarize(values)]),
  );
  return {
    includedRuns: inc.map((r) => r.index),
    excludedRuns: runs.filter((r) => !r.included).map((r) => ({ index: r.index, reasons: r.unstable })),
    phaseWhPer1000,
    totalWhPer1000: summarize(inc.map((r) => runTotalWh(r, phases))),
    unattributedWhPer1000: summarize(inc.map((r) => (r.unattributedEnergyJ * (1000 / Math.max(r.queries, 1))) / 3600)),
  };
}

/** A run's total over the given phases it measured, Wh per 1,000 queries. */
export function runTotalWh(run: Pick<RunRecord, 'phaseWhPer1000'>, phases: string[]): number {
  const measured = phases.flatMap((p) => (run.phaseWhPer1000[p] === undefined ? [] : [run.phaseWhPer1000[p]]));
  return measured.reduce((sum, wh) => sum + wh, 0);
}
