/**
 * A real GPU's recording replayed through the whole measuring path: the simulated library answers
 * with the recorded counter, fields and samples (WATTSCOPE_SIM_REPLAY), the native sampler reads
 * them as it reads a driver, and the phases are run as scopes on the recorded schedule (section
 * `run`: one benchmark run per run number, each query's phases as recorded). Each run's figures
 * are returned beside the recording's own counter over the run, so that the estimator can be held
 * against real readings. The isolated and interleaving figures are not estimated yet (null).
 */
import { EnergyMonitor } from '../monitor/monitor.js';
import type { RunSummary } from '../monitor/types.js';
import { counterAtMj, readRecording, type RecordedPhase, type Recording } from '../sim/recording.js';
import { WattscopeError } from '../util/errors.js';

export interface ReplayedPhase {
  energyJ: number;
  uncertaintyJ: number;
  /** What the phase costs run alone (not estimated yet: null). */
  isolatedEnergyJ: number | null;
  isolatedUncertaintyJ: number | null;
}

export interface ReplayedRun {
  run: number;
  queries: number;
  totalEnergyJ: number;
  totalUncertaintyJ: number;
  unattributedEnergyJ: number;
  /** total - unattributed - the phases alone (not estimated yet: null). */
  interleavingOverheadJ: number | null;
  interleavingOverheadUncertaintyJ: number | null;
  phases: Record<string, ReplayedPhase>;
  /** The recording's own counter over the run's window (interpolated between its 100 ms steps), J. */
  recordedCounterJ: number;
  method: string;
  flags: string[];
}

/** The driver's power samples as the monitor saw them during the replay, beside the recording's cadence. */
export interface ReplayedDriverSamples {
  /** Samples the monitor took from the replayed driver. */
  seen: number;
  /** The median interval between them, ms (null with fewer than two). */
  medianIntervalMs: number | null;
  /** The median interval between the recording's own samples, ms. */
  recordedMedianIntervalMs: number;
}

export interface ReplayResult {
  recording: string;
  runs: ReplayedRun[];
  driverSamples: ReplayedDriverSamples;
}

/** The median of the gaps between consecutive values (null with fewer than two). */
function medianGap(values: number[]): number | null {
  const gaps = values.slice(1).map((v, i) => v - values[i]!);
  gaps.sort((a, b) => a - b);
  return gaps.length ? gaps[gaps.length >> 1]! : null;
}

/** Lead-in before the first replayed phase, so that the sampler has readings before it, ns. */
const LEAD_IN_NS = 1_000_000_000n;

/** Waits until the monotonic clock reaches `atNs`: a timer while far, then a short spin. */
async function waitUntil(atNs: bigint): Promise<void> {
  for (;;) {
    const leftNs = atNs - process.hrtime.bigint();
    if (leftNs <= 0n) return;
    if (leftNs > 3_000_000n) await new Promise((resolve) => setTimeout(resolve, Number(leftNs - 2_000_000n) / 1e6));
    else
      while (process.hrtime.bigint() < atNs) {
        // the last 3 ms: spin, for a boundary within microseconds of the recorded one
      }
  }
}

/** The `run` section's phases, by run number, then by query, in order. */
function runsOf(phases: RecordedPhase[]): Map<number, Map<number, RecordedPhase[]>> {
  const runs = new Map<number, Map<number, RecordedPhase[]>>();
  for (const p of phases.filter((x) => x.section === 'run')) {
    const queries = runs.get(p.run) ?? new Map<number, RecordedPhase[]>();
    runs.set(p.run, queries);
    queries.set(p.query, [...(queries.get(p.query) ?? []), p]);
  }
  return runs;
}

function replayedRun(run: number, summary: RunSummary, recording: Recording, window: [bigint, bigint]): ReplayedRun {
  const phases: Record<string, ReplayedPhase> = {};
  for (const [name, total] of Object.entries(summary.phases)) {
    phases[name] = { energyJ: total.energyJ, uncertaintyJ: total.uncertaintyJ, isolatedEnergyJ: null, isolatedUncertaintyJ: null };
  }
  return {
    run,
    queries: summary.queries,
    totalEnergyJ: summary.totalEnergyJ,
    totalUncertaintyJ: summary.totalUncertaintyJ,
    unattributedEnergyJ: summary.unattributedEnergyJ,
    interleavingOverheadJ: null,
    interleavingOverheadUncertaintyJ: null,
    phases,
    recordedCounterJ: (counterAtMj(recording.counter, window[1]) - counterAtMj(recording.counter, window[0])) / 1000,
    method: summary.method,
    flags: summary.flags,
  };
}

/**
 * Replays the recording at `prefix` (DIR/trace for DIR/trace-probe.csv.gz, -samples, -phases) in
 * real time; `sampleHz` is the monitor's. Returns each run's figures and the recording's counter.
 */
export async function replayRecording(prefix: string, options: { sampleHz?: number; log?: (line: string) => void } = {}): Promise<ReplayResult> {
  const recording = readRecording(prefix);
  const runs = runsOf(recording.phases);
  if (runs.size === 0) throw new WattscopeError('WATTSCOPE_BAD_RECORDING', `${prefix}-phases: no phase in section "run"`, { field: 'section' });
  const firstNs = recording.phases.filter((p) => p.section === 'run').reduce((min, p) => (p.t0Ns < min ? p.t0Ns : min), recording.phases[0]!.t0Ns);
  const startNs = firstNs - LEAD_IN_NS;
  // The simulated library's epoch is now: recording instant r plays at epoch + (r - startNs).
  const epochNs = process.hrtime.bigint() + 200_000_000n;
  process.env.WATTSCOPE_SIM_REPLAY = recording.plainPrefix;
  process.env.WATTSCOPE_SIM_REPLAY_START_NS = String(startNs);
  process.env.WATTSCOPE_SIM_EPOCH_NS = String(epochNs);
  const at = (recordedNs: bigint) => epochNs + (recordedNs - startNs);
  const result: ReplayedRun[] = [];
  const monitor = await EnergyMonitor.open({ simulate: true, ...(options.sampleHz ? { sampleHz: options.sampleHz } : {}) });
  const finishing: Array<Promise<ReplayedRun>> = [];
  let driverSamples: ReplayedDriverSamples | null = null;
  try {
    for (const [run, queries] of [...runs.entries()].sort((a, b) => a[0] - b[0])) {
      const ordered = [...queries.entries()].sort((a, b) => a[0] - b[0]);
      const runStartNs = ordered[0]![1][0]!.t0Ns;
      await waitUntil(at(runStartNs));
      const handle = monitor.startRun(`run ${run}`);
      let runEndNs = runStartNs;
      for (const [query, phases] of ordered) {
        await monitor.query(query, async (q) => {
          for (const p of phases) {
            await waitUntil(at(p.t0Ns));
            await q.phase(p.phase, () => waitUntil(at(p.t1Ns)));
            if (p.t1Ns > runEndNs) runEndNs = p.t1Ns;
          }
        });
      }
      // Not awaited here: settling the run's end waits for the counter's next read (up to ~1.8 s
      // where it is read sparsely), and the next run must start on the recording's schedule.
      finishing.push(
        handle.finish().then((summary) => {
          options.log?.(`run ${run}: ${ordered.length} queries replayed, ${summary.totalEnergyJ.toFixed(1)} J`);
          // The run's window as measured, on the recording's clock.
          const window: [bigint, bigint] = [summary.startNs - epochNs + startNs, summary.endNs - epochNs + startNs];
          return replayedRun(run, summary, recording, window);
        }),
      );
    }
    result.push(...(await Promise.all(finishing)));
    const seenNs = Array.from(monitor.driverPower(monitor.gpus[0]!.index).endNs, Number);
    const medianNs = medianGap(seenNs);
    driverSamples = {
      seen: seenNs.length,
      medianIntervalMs: medianNs === null ? null : medianNs / 1e6,
      recordedMedianIntervalMs: medianGap(recording.driverSampleStampsUs)! / 1000,
    };
  } finally {
    await monitor.close();
    delete process.env.WATTSCOPE_SIM_REPLAY;
    delete process.env.WATTSCOPE_SIM_REPLAY_START_NS;
  }
  return { recording: prefix, runs: result, driverSamples: driverSamples! };
}
