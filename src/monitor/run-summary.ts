/**
 * A run's summary from its settled boundaries: the run's energy (the counter's delta), each
 * phase's total with its uncertainty, the unattributed rest, the method and the flags. On a coarse
 * sensor the boundaries are re-evaluated with the phase powers learnt over all steps so far.
 */
import { attribute, emptyPhaseTotal, type Boundary, type ScopeRecord } from './ledger.js';
import type { MonitorGpu } from './monitor.js';
import type { MonotonicityCheck } from '../sampling/monotonicity.js';
import { counterStepsUncertaintyJ, covariateSeconds, refinedPoints, regressionUncertaintyJ, responseOverlapS, usesRegression } from './run-attribution.js';
import type { CpuSampling } from '../cpu/cpu-sampling.js';
import type { ClocksEventReason } from '../sampling/clocks-events.js';
import { runCpuEnergy } from './run-cpu.js';
import { rangeBoundJ, type PowerRange } from '../estimators/coarse-step.js';
import type { PowerTimeline } from '../timeline/timeline.js';
import type { RunFlag, RunSummary } from './types.js';

/** A run in progress: its start, the phases of its queries, and its query counts. */
export interface RunState {
  label: string;
  start: Boundary;
  phases: ScopeRecord[];
  queries: number;
  failedQueries: number;
  keepSpans: boolean;
  /** How late the GPU's drawn power may follow its work, s (the monitor's `powerResponseMs`). */
  powerResponseS: number;
}

/** A run starting at `start`, with no phases or queries yet. */
export function newRunState(label: string, start: Boundary, keepSpans: boolean, powerResponseS: number): RunState {
  return { label, start, phases: [], queries: 0, failedQueries: 0, keepSpans, powerResponseS };
}

/** The summary of `run`, ended at the settled boundary `end`. */
export function summarizeRun(
  run: RunState,
  end: Boundary,
  timelines: readonly PowerTimeline[],
  gpus: MonitorGpu[],
  monotonicity: MonotonicityCheck,
  cpu: CpuSampling | null = null,
): RunSummary {
  const ended = run.phases.filter((p) => p.end);
  const regression = usesRegression(timelines);
  const refined = refinedPoints(timelines);
  const energyAt = (b: Boundary) => refined(b).energyJ;
  const uncertaintyAt = (b: Boundary) => refined(b).uncertaintyJ;
  const { perScopeJ, unattributedJ } = attribute(run.start, end, ended, energyAt);
  const runEnergyJ = energyAt(end) - energyAt(run.start);
  const phases = phaseTotals(ended, perScopeJ, scopeUncertainty(timelines, uncertaintyAt));
  if (regression) {
    for (const [name, total] of Object.entries(phases)) {
      const scopes = ended.filter((rec) => rec.phase === name);
      const where = {
        energyJ: total.energyJ,
        durationS: total.durationS,
        covariateSeconds: (tl: PowerTimeline) => covariateSeconds(tl, scopes),
        responseOverlapS: responseOverlapS(scopes, run.powerResponseS),
        shareOfRun: runEnergyJ > 0 ? Math.max(0, total.energyJ / runEnergyJ) : 1,
        runStartT: run.start.t,
        runEndT: end.t,
      };
      total.uncertaintyJ = regressionUncertaintyJ(timelines, name, where) ?? total.uncertaintyJ;
    }
  }
  const totalUncertaintyJ =
    uncertaintyAt(end) + uncertaintyAt(run.start) + timelines.reduce((sum, tl) => sum + counterStepsUncertaintyJ(tl, run.start.t, end.t), 0);
  const cpuEnergy = runCpuEnergy(run.start, end, ended, cpu);
  for (const [name, total] of Object.entries(phases)) total.cpu = cpuEnergy?.phases[name] ?? null;
  const flags = new Set<RunFlag>(timelines.flatMap((tl) => tl.flagsBetween(run.start.t, end.t)));
  if (run.start.forced || end.forced || ended.some((p) => p.start.forced || p.end!.forced)) flags.add('unsettled');
  if (timelines.some((t) => t.lostAt !== null)) flags.add('gpu-lost');
  const instants = [run.start, end, ...ended.flatMap((p) => [p.start, p.end!])].map((b) => ({ t: b.t, energyJ: energyAt(b), forced: b.forced }));
  if (monotonicity.observeRun(instants) > 0) flags.add('non-monotonic');
  const interpolated = ended.some((rec) => timelines.some((tl) => tl.anchorsBetween(rec.start.t, rec.end!.t) < 2));
  const method: RunSummary['method'] = timelines.some((tl) => !tl.hasCounter)
    ? 'power-integration'
    : regression
      ? 'counter-regression'
      : interpolated
        ? 'counter-interpolated'
        : 'energy-counter';
  return {
    label: run.label,
    startNs: run.start.tNs,
    endNs: end.tNs,
    durationS: Number(end.tNs - run.start.tNs) / 1e9,
    totalEnergyJ: runEnergyJ,
    totalUncertaintyJ,
    phases,
    unattributedEnergyJ: unattributedJ,
    unattributedUncertaintyJ: Math.min(
      totalUncertaintyJ + Object.values(phases).reduce((sum, p) => sum + p.uncertaintyJ, 0),
      rangeBoundJ(unattributedJ, gapSeconds(run.start, end, ended), summedRange(timelines)),
    ),
    cpu: cpuEnergy?.total ?? null,
    unattributedCpu: cpuEnergy?.unattributed ?? null,
    queries: run.queries,
    failedQueries: run.failedQueries,
    method,
    flags: [...flags].sort(),
    gpus,
    clocksEvents: clocksEventsBetween(timelines, run.start.t, end.t),
    ...(run.keepSpans ? { spans: ended.map((p) => ({ phase: p.phase!, queryId: p.queryId, startNs: p.start.tNs, endNs: p.end!.tNs })) } : {}),
  };
}

/**
 * A scope's ~95% half-width as its own measurement states it (each GPU's interval, in quadrature
 * across GPUs): inside one counter step its two ends' errors are bounded together, where adding
 * each boundary's own half-width counts the same unknown twice (it gave a run's 1,000 phases of
 * 1-2 ms on the H200's 20 ms samples ±9,000 J, five times the run). Where a boundary is not
 * settled as it stands (a coarse split the regression refines, a forced point), the boundaries'.
 */
function scopeUncertainty(timelines: readonly PowerTimeline[], uncertaintyAt: (b: Boundary) => number): (rec: ScopeRecord) => number {
  return (rec) => {
    const end = rec.end!;
    let variance = 0;
    for (const [i, tl] of timelines.entries()) {
      const pa = rec.start.points[i];
      const pb = end.points[i];
      const stale = !pa || !pb || tl.coarse || pa.coarseModel !== undefined || pb.coarseModel !== undefined || !pa.settled || !pb.settled;
      if (stale || rec.start.forced || end.forced) return uncertaintyAt(rec.start) + uncertaintyAt(end);
      variance += tl.interval(rec.start.t, end.t, pa, pb).uncertaintyJ ** 2;
    }
    return Math.sqrt(variance);
  };
}

/** The run's time with no phase scope open, s: its span less the union of its scopes. */
function gapSeconds(start: Boundary, end: Boundary, ended: readonly ScopeRecord[]): number {
  const spans = ended.map((rec) => [rec.start.t, rec.end!.t] as const).sort((x, y) => x[0] - y[0]);
  let coveredNs = 0;
  let reachedT = start.t;
  for (const [from, to] of spans) {
    const a = Math.max(from, reachedT);
    const b = Math.min(to, end.t);
    if (b > a) coveredNs += b - a;
    reachedT = Math.max(reachedT, Math.min(to, end.t));
  }
  return Math.max(0, end.t - start.t - coveredNs) / 1e9;
}

/** The GPUs' power ranges added up, W (the range of their summed power). */
function summedRange(timelines: readonly PowerTimeline[]): PowerRange {
  return timelines.reduce(
    (sum, tl) => {
      const range = tl.powerRange();
      return { minW: sum.minW + range.minW, maxW: sum.maxW + range.maxW };
    },
    { minW: 0, maxW: 0 },
  );
}

/** Each phase's totals straight from the settled boundaries (no per-phase Measurement is built: 3,000 per run). */
function phaseTotals(ended: ScopeRecord[], perScopeJ: Map<ScopeRecord, number>, uncertaintyOf: (rec: ScopeRecord) => number): RunSummary['phases'] {
  const phases: RunSummary['phases'] = {};
  for (const rec of ended) {
    const total = (phases[rec.phase!] ??= emptyPhaseTotal());
    total.energyJ += perScopeJ.get(rec) ?? 0;
    total.uncertaintyJ += uncertaintyOf(rec);
    total.count++;
    const durationS = Number(rec.end!.tNs - rec.start.tNs) / 1e9;
    total.durationS += durationS;
    total.tokens += rec.tokens ?? 0;
    total.tokenSeconds += (rec.tokens ?? 0) * durationS;
    total.samples += rec.samples ?? 0;
  }
  for (const total of Object.values(phases)) {
    total.energyWh = total.energyJ / 3600;
    total.energyPerTokenJ = total.tokens > 0 ? total.energyJ / total.tokens : null;
  }
  return phases;
}

/**
 * The clocks event reasons in force during [a, b] on any GPU (gpu-idle left out: idle moments
 * inside a run are normal), or null when a GPU's driver does not report them or no reading covers the run.
 */
function clocksEventsBetween(timelines: readonly PowerTimeline[], a: number, b: number): ClocksEventReason[] | null {
  const seen = new Set<ClocksEventReason>();
  for (const tl of timelines) {
    const reasons = tl.clocksEvents.reasonsBetween(a, b);
    if (reasons === null) return null;
    for (const reason of reasons) if (reason !== 'gpu-idle') seen.add(reason);
  }
  return [...seen];
}
