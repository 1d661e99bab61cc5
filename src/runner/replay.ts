/**
 * A real GPU's recording replayed through the whole measuring path: the simulated library answers
 * with the recorded counter, fields and samples (WATTSCOPE_SIM_REPLAY), the native sampler reads
 * them as it reads a driver, and the phases are run as scopes on the recorded schedule (section
 * `run`: one benchmark run per run number, each query's phases as recorded). Each run's figures
 * are returned beside the recording's own counter over the run, so that the estimator can be held
 * against real readings. Where the recording holds a `block` section (each run's phases replayed
 * back to back, phase by phase: what each costs alone), its blocks are replayed after the runs as
 * the calibration pass of a benchmark: one scope per block and phase, pooled into each phase's
 * power alone, which gives each run's phases alone and its interleaving overhead (null without one).
 */
import { EnergyMonitor } from '../monitor/monitor.js';
import type { Measurement, RunSummary } from '../monitor/types.js';
import { counterAtMj, readRecording, type RecordedPhase, type Recording } from '../sim/recording.js';
import { WattscopeError } from '../util/errors.js';
import { aloneScope } from './calibration.js';
import { blocksOf, LEAD_IN_NS, playAt, runsOf, waitUntil, type Schedule } from './replay-schedule.js';
import { alonePowers, isolatedFigures, type AlonePower, type AloneScope } from './isolated-energy.js';

export interface ReplayedPhase {
  energyJ: number;
  uncertaintyJ: number;
  /** The phase's time in the run as the monitor measured it, s (the recording's is its phases' t1 - t0). */
  durationS: number;
  /** The recording's own time of the phase in the run, s. */
  recordedDurationS: number;
  /** The same work's time alone: its block's span (the block of the same run number), s; null without one. */
  aloneDurationS: number | null;
  /** What the phase costs run alone: its power in the recording's blocks times its time alone (null without blocks). */
  isolatedEnergyJ: number | null;
  isolatedUncertaintyJ: number | null;
}

export interface ReplayedRun {
  run: number;
  queries: number;
  totalEnergyJ: number;
  totalUncertaintyJ: number;
  unattributedEnergyJ: number;
  /** total - unattributed - the phases alone, J, with its ~95% half-width (null without blocks). */
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

/** A phase's power alone, learnt from the recording's blocks. */
export interface ReplayedAlonePower extends AlonePower {
  /** The blocks' own energy of the phase, J (the reference the isolated figures are held against), and its ~95% half-width (its scopes', added). */
  energyJ: number;
  energyUncertaintyJ: number;
}

export interface ReplayResult {
  recording: string;
  runs: ReplayedRun[];
  /** Each phase's power where it ran alone (the `block` section), empty without one. */
  alone: Record<string, ReplayedAlonePower>;
  driverSamples: ReplayedDriverSamples;
}

/** The median of the gaps between consecutive values (null with fewer than two). */
function medianGap(values: number[]): number | null {
  const gaps = values.slice(1).map((v, i) => v - values[i]!);
  gaps.sort((a, b) => a - b);
  return gaps.length ? gaps[gaps.length >> 1]! : null;
}

/** A replayed run's summary and its window on the recording's clock. */
interface FinishedRun {
  run: number;
  summary: RunSummary;
  window: [bigint, bigint];
}

function replayedRun(
  { run, summary, window }: FinishedRun,
  recording: Recording,
  alone: Record<string, AlonePower>,
  blocks: ReturnType<typeof blocksOf>,
): ReplayedRun {
  const recorded = new Map<string, number>();
  for (const p of recording.phases.filter((x) => x.section === 'run' && x.run === run)) {
    recorded.set(p.phase, (recorded.get(p.phase) ?? 0) + Number(p.t1Ns - p.t0Ns) / 1e9);
  }
  const blockSpans = new Map(blocks.find((b) => b.block === run)?.spans.map((span) => [span.phase, Number(span.t1Ns - span.t0Ns) / 1e9]));
  // A phase alone is its power alone times its time alone. The recording knows that time: the same
  // work's block (the same run number). The run's own recorded time stands in where there is no
  // block (the same work took 0.6-0.9% longer alone on the H200), never the replayed scopes' time:
  // each opens 0.02-0.13 ms after its recorded start (closing a phase and a query and opening the
  // next in JS takes longer than the recording's ~11 us gaps), 4-6% of a 2 ms preprocess.
  const workTimes = Object.fromEntries(
    Object.entries(summary.phases).map(([name, total]) => [name, { ...total, durationS: blockSpans.get(name) ?? recorded.get(name)! }]),
  );
  const isolated = isolatedFigures({ ...summary, phases: workTimes }, alone);
  const phases: Record<string, ReplayedPhase> = {};
  for (const [name, total] of Object.entries(summary.phases)) {
    const own = isolated?.phases[name];
    phases[name] = {
      energyJ: total.energyJ,
      uncertaintyJ: total.uncertaintyJ,
      durationS: total.durationS,
      recordedDurationS: recorded.get(name)!,
      aloneDurationS: blockSpans.get(name) ?? null,
      isolatedEnergyJ: own?.isolatedEnergyJ ?? null,
      isolatedUncertaintyJ: own?.isolatedUncertaintyJ ?? null,
    };
  }
  return {
    run,
    queries: summary.queries,
    totalEnergyJ: summary.totalEnergyJ,
    totalUncertaintyJ: summary.totalUncertaintyJ,
    unattributedEnergyJ: summary.unattributedEnergyJ,
    interleavingOverheadJ: isolated?.interleavingOverheadJ ?? null,
    interleavingOverheadUncertaintyJ: isolated?.interleavingOverheadUncertaintyJ ?? null,
    phases,
    recordedCounterJ: (counterAtMj(recording.counter, window[1]) - counterAtMj(recording.counter, window[0])) / 1000,
    method: summary.method,
    flags: summary.flags,
  };
}

/** Replays the `run` section's runs, each as a benchmark run of its queries; each run's summary, settling. */
async function replayRuns(
  monitor: EnergyMonitor,
  runs: Map<number, Map<number, RecordedPhase[]>>,
  schedule: Schedule,
  log?: (line: string) => void,
): Promise<Array<Promise<FinishedRun>>> {
  const finishing: Array<Promise<FinishedRun>> = [];
  for (const [run, queries] of [...runs.entries()].sort((a, b) => a[0] - b[0])) {
    const ordered = [...queries.entries()].sort((a, b) => a[0] - b[0]);
    await waitUntil(playAt(schedule, ordered[0]![1][0]!.t0Ns));
    const handle = monitor.startRun(`run ${run}`);
    for (const [query, phases] of ordered) {
      await monitor.query(query, async (q) => {
        for (const p of phases) {
          await waitUntil(playAt(schedule, p.t0Ns));
          await q.phase(p.phase, () => waitUntil(playAt(schedule, p.t1Ns)));
        }
      });
    }
    // Not awaited here: settling the run's end waits for the counter's next read (up to ~2 s where
    // it is read sparsely), and the next run must start on the recording's schedule.
    finishing.push(
      handle.finish().then((summary) => {
        log?.(`run ${run}: ${ordered.length} queries replayed, ${summary.totalEnergyJ.toFixed(1)} J`);
        // The run's window as measured, on the recording's clock.
        const window: [bigint, bigint] = [summary.startNs - schedule.epochNs + schedule.startNs, summary.endNs - schedule.epochNs + schedule.startNs];
        return { run, summary, window };
      }),
    );
  }
  return finishing;
}

/**
 * Replays the blocks as a benchmark's calibration pass: one scope per block and phase (each phase's
 * calls back to back), pooled into each phase's power alone, with the blocks' own energy of it.
 */
async function replayBlocks(monitor: EnergyMonitor, blocks: ReturnType<typeof blocksOf>, schedule: Schedule): Promise<Record<string, ReplayedAlonePower>> {
  const scopes: Array<{ phase: string; measurement: Measurement }> = [];
  for (const { block, spans } of blocks) {
    const record = await monitor.query(`block ${block}`, async (q) => {
      for (const span of spans) {
        await waitUntil(playAt(schedule, span.t0Ns));
        await q.phase(span.phase, () => waitUntil(playAt(schedule, span.t1Ns)));
      }
    });
    for (const measurement of record.phases) if (measurement.phase !== null) scopes.push({ phase: measurement.phase, measurement });
  }
  await monitor.settle();
  const alone: AloneScope[] = scopes.map(({ phase, measurement }) => aloneScope(phase, measurement));
  const powers = alonePowers(alone);
  const out: Record<string, ReplayedAlonePower> = {};
  for (const [phase, power] of Object.entries(powers)) {
    const measured = alone.filter((s) => s.phase === phase && Number.isFinite(s.energyJ));
    const energyJ = measured.reduce((sum, s) => sum + s.energyJ, 0);
    out[phase] = { ...power, energyJ, energyUncertaintyJ: measured.reduce((sum, s) => sum + s.uncertaintyJ, 0) };
  }
  return out;
}

/** The driver's samples the monitor saw, beside the recording's own cadence. */
function driverSamplesSeen(monitor: EnergyMonitor, recording: Recording): ReplayedDriverSamples {
  const seenNs = Array.from(monitor.driverPower(monitor.gpus[0]!.index).endNs, Number);
  const medianNs = medianGap(seenNs);
  return {
    seen: seenNs.length,
    medianIntervalMs: medianNs === null ? null : medianNs / 1e6,
    recordedMedianIntervalMs: medianGap(recording.driverSampleStampsUs)! / 1000,
  };
}

/**
 * Replays the recording at `prefix` (DIR/trace for DIR/trace-probe.csv.gz, -samples, -phases) in
 * real time; `sampleHz` is the monitor's. Returns each run's figures and the recording's counter,
 * and with a `block` section each phase alone and each run's interleaving overhead.
 */
export async function replayRecording(prefix: string, options: { sampleHz?: number; log?: (line: string) => void } = {}): Promise<ReplayResult> {
  const recording = readRecording(prefix);
  const runs = runsOf(recording.phases);
  if (runs.size === 0) throw new WattscopeError('WATTSCOPE_BAD_RECORDING', `${prefix}-phases: no phase in section "run"`, { field: 'section' });
  const firstNs = recording.phases.filter((p) => p.section === 'run').reduce((min, p) => (p.t0Ns < min ? p.t0Ns : min), recording.phases[0]!.t0Ns);
  // The simulated library's epoch is now: recording instant r plays at epoch + (r - startNs).
  const schedule: Schedule = { epochNs: process.hrtime.bigint() + 200_000_000n, startNs: firstNs - LEAD_IN_NS };
  process.env.WATTSCOPE_SIM_REPLAY = recording.plainPrefix;
  process.env.WATTSCOPE_SIM_REPLAY_START_NS = String(schedule.startNs);
  process.env.WATTSCOPE_SIM_EPOCH_NS = String(schedule.epochNs);
  const monitor = await EnergyMonitor.open({ simulate: true, ...(options.sampleHz ? { sampleHz: options.sampleHz } : {}) });
  try {
    const finishing = await replayRuns(monitor, runs, schedule, options.log);
    const blocks = blocksOf(recording.phases);
    if (blocks.length) options.log?.(`replaying ${blocks.length} blocks of the phases alone`);
    // The first block starts 1 s after the last run: sooner than that run settles. A run that
    // fails to settle is reported by Promise.all below, not as an unhandled rejection meanwhile.
    for (const run of finishing) run.catch(() => undefined);
    const alone = await replayBlocks(monitor, blocks, schedule);
    const finished = await Promise.all(finishing);
    return {
      recording: prefix,
      runs: finished.map((run) => replayedRun(run, recording, alone, blocks)),
      alone,
      driverSamples: driverSamplesSeen(monitor, recording),
    };
  } finally {
    await monitor.close();
    delete process.env.WATTSCOPE_SIM_REPLAY;
    delete process.env.WATTSCOPE_SIM_REPLAY_START_NS;
  }
}
