/**
 * The demo's ground truth: the simulator's exact energy of every counted phase scope, computed
 * from the power changes the simulator applied (its applied-changes log: a change takes effect no
 * earlier than its last read), so that the console and report.html show each estimate beside
 * the truth (and the sensor profile that made it hard). On profile h200 the truth is the energy the
 * GPU drew while each phase ran (src/sim/drawn-power.ts: the work's power through the measured
 * response), since that is what the counter integrates and what any in-situ figure can be. Kept
 * run by run (each phase's in-situ truth, J), and for the AI Energy Score's separate passes each
 * pass's exact energy, the run itself being the last pass.
 */
import type { Measurement } from '../monitor/types.js';
import type { WattscopeReport } from '../formats/report-types.js';
import type { SimulatedRunTruth, SimulatedTruth } from '../formats/report-parts.js';
import { appliedLogPath, readAppliedChanges } from '../sim/applied-log.js';
import { PowerHistory } from '../sim/power-history.js';
import { DrawnPower, responseParamsFromEnv } from '../sim/drawn-power.js';

/** Query ids the runner uses for queries that no run counts. */
const UNCOUNTED = /^(warmup|calibration)-/;
/** The name of a separate pass's scope (src/runner/separate-passes.ts), with the phase it ends after. */
const PASS_SCOPE = /^separate-pass:(.+)$/;

interface Span {
  startNs: bigint;
  endNs: bigint;
}

/** What one run's scopes were: its phases' spans and its separate passes' spans. */
interface RunSpans {
  index: number;
  phases: Array<Span & { phase: string }>;
  passes: Array<Span & { lastPhase: string }>;
}

type EnergyOf = (startNs: bigint, endNs: bigint) => number;

export class DemoTruth {
  readonly #idleW: number;
  readonly #runs: RunSpans[] = [];
  #current: Omit<RunSpans, 'index'> = { phases: [], passes: [] };

  constructor(idleW: number) {
    this.#idleW = idleW;
  }

  /** For EnergyMonitor's onMeasurement: keeps each counted phase scope's span, and each separate pass's. */
  readonly onMeasurement = (m: Measurement): void => {
    const pass = PASS_SCOPE.exec(m.name);
    if (pass) this.#current.passes.push({ lastPhase: pass[1]!, startNs: m.startNs, endNs: m.endNs });
    if (!m.phase || UNCOUNTED.test(String(m.queryId))) return;
    this.#current.phases.push({ phase: m.phase, startNs: m.startNs, endNs: m.endNs });
  };

  /** For runBenchmark's onRun: the scopes since the last run belong to run `index`. */
  endRun(index: number): void {
    this.#runs.push({ index, ...this.#current });
    this.#current = { phases: [], passes: [] };
  }

  /** The truth per phase, Wh per 1,000 queries, mean over the included runs this process measured, and run by run. */
  summarize(report: WattscopeReport, controlFile: string, sensorProfile: string, counter: string): SimulatedTruth {
    const history = new PowerHistory(this.#idleW);
    for (const change of readAppliedChanges(appliedLogPath(controlFile))) history.record(change.tNs, change.watts);
    const workJ: EnergyOf = (a, b) => history.energyJ(a, b);
    const energyJ = sensorProfile === 'h200' ? this.#drawnEnergy(history) : workJ;
    const runs = this.#runs.filter((r) => r.phases.length > 0).map((r) => runTruth(r, energyJ, workJ));
    const per1000Wh = (j: number) => (j * report.benchmark.per1000Scale) / 3600;
    // The means are over the runs the report's means are over: its included ones (a run left out
    // for high variation would otherwise move the truth and not the estimate).
    const included = new Set(report.runs.filter((r) => r.included).map((r) => r.index));
    const meanRuns = runs.some((r) => included.has(r.index)) ? runs.filter((r) => included.has(r.index)) : runs;
    const phaseWhPer1000 = meanOver(
      meanRuns.map((r) => r.phaseJ),
      per1000Wh,
    );
    const isolatedWhPer1000 = meanOver(
      meanRuns.map((r) => r.isolatedJ!),
      per1000Wh,
    );
    const passes = meanRuns.every((r) => r.separatePassesJ)
      ? meanOver(
          meanRuns.map((r) => r.separatePassesJ!),
          per1000Wh,
        )
      : null;
    const totalWhPer1000 = Object.values(phaseWhPer1000).reduce((s, wh) => s + wh, 0);
    return {
      sensorProfile,
      counter,
      phaseWhPer1000,
      totalWhPer1000,
      isolatedWhPer1000,
      ...(passes && runs.length > 0 ? { separatePassesWhPer1000: passes } : {}),
      runs,
    };
  }

  /** The drawn power's energy function over every span kept (the work idle before its first change). */
  #drawnEnergy(work: PowerHistory): EnergyOf {
    const spans: Span[] = this.#runs.flatMap((r) => [...r.phases, ...r.passes]);
    if (spans.length === 0) return () => 0;
    const covering = coveringSpan(spans);
    const toNs = covering.endNs;
    const firstChangeNs = work.firstChangeNs();
    const fromNs = firstChangeNs !== null && firstChangeNs < covering.startNs ? firstChangeNs : covering.startNs;
    const drawn = new DrawnPower(work, responseParamsFromEnv(), fromNs, toNs);
    return (startNs, endNs) => drawn.energyJ(startNs, endNs);
  }
}

/** The span from the earliest start to the latest end of `spans` (at least one). */
function coveringSpan(spans: readonly Span[]): Span {
  let { startNs, endNs } = spans[0]!;
  for (const s of spans) {
    if (s.startNs < startNs) startNs = s.startNs;
    if (s.endNs > endNs) endNs = s.endNs;
  }
  return { startNs, endNs };
}

/**
 * One run's truth: each phase's scopes' energy summed, and, where its separate passes ran, each
 * phase as its pass's energy less the pass before's, the run (its first scope's start to its last
 * scope's end) being the last pass; each phase alone, its work's energy over its scopes.
 */
function runTruth(run: RunSpans, energyJ: EnergyOf, workJ: EnergyOf): SimulatedRunTruth {
  const phaseJ: Record<string, number> = {};
  const isolatedJ: Record<string, number> = {};
  for (const s of run.phases) {
    phaseJ[s.phase] = (phaseJ[s.phase] ?? 0) + energyJ(s.startNs, s.endNs);
    isolatedJ[s.phase] = (isolatedJ[s.phase] ?? 0) + workJ(s.startNs, s.endNs);
  }
  if (run.passes.length === 0) return { index: run.index, phaseJ, isolatedJ };
  const { startNs, endNs } = coveringSpan(run.phases);
  const passesJ = run.passes.map((p) => ({ phase: p.lastPhase, energyJ: energyJ(p.startNs, p.endNs) }));
  const lastPhase = Object.keys(phaseJ).find((p) => !run.passes.some((pass) => pass.lastPhase === p));
  if (lastPhase === undefined) return { index: run.index, phaseJ, isolatedJ };
  passesJ.push({ phase: lastPhase, energyJ: energyJ(startNs, endNs) });
  const separatePassesJ = Object.fromEntries(passesJ.map((p, i) => [p.phase, p.energyJ - (i === 0 ? 0 : passesJ[i - 1]!.energyJ)]));
  return { index: run.index, phaseJ, isolatedJ, separatePassesJ };
}

/** Each key's mean over the records (a key missing from one counts as not measured there: left out), scaled by `scale`. */
function meanOver(records: ReadonlyArray<Record<string, number>>, scale: (j: number) => number): Record<string, number> {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const record of records)
    for (const [key, value] of Object.entries(record)) {
      const entry = sums.get(key) ?? { sum: 0, n: 0 };
      entry.sum += value;
      entry.n++;
      sums.set(key, entry);
    }
  return Object.fromEntries([...sums].map(([key, { sum, n }]) => [key, scale(sum / n)]));
}
