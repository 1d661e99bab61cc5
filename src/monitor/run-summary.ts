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
  const phases = phaseTotals(ended, perScopeJ, uncertaintyAt);
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
    totalUncertaintyJ: uncertaintyAt(end) + uncertaintyAt(run.start) + timelines.reduce((sum, tl) => sum + counterStepsUncertaintyJ(tl, run.start.t, end.t), 0),
    phases,
    unattributedEnergyJ: unattributedJ,
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

/** Each phase's totals straight from the settled boundaries (no per-phase Measurement is built: 3,000 per run). */
function phaseTotals(ended: ScopeRecord[], perScopeJ: Map<ScopeRecord, number>, uncertaintyAt: (b: Boundary) => number): RunSummary['phases'] {
  const phases: RunSummary['phases'] = {};
  for (const rec of ended) {
    const total = (phases[rec.phase!] ??= emptyPhaseTotal());
    total.energyJ += perScopeJ.get(rec) ?? 0;
    total.uncertaintyJ += uncertaintyAt(rec.start) + uncertaintyAt(rec.end!);
    total.count++;
    total.durationS += Number(rec.end!.tNs - rec.start.tNs) / 1e9;
    total.tokens += rec.tokens ?? 0;
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
