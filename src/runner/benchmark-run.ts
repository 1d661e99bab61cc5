/**
 * One measured run of a benchmark: an optional cooldown back to idle, a random delay (to
 * decorrelate from the sensor's 100 ms grid), the dataset's queries (N at a time), then the run's
 * record: per-phase Wh per 1,000 queries, flags, errors and, through the runStats hook, serving
 * statistics.
 */
import { sleep } from '../util/sleep.js';
import type { CpuRecord, RunRecord } from '../formats/report-types.js';
import type { CpuEnergy } from '../cpu/cpu-energy.js';
import type { EnergyMonitor } from '../monitor/monitor.js';
import { THROTTLE_REASONS } from '../sampling/clocks-events.js';
import type { RunSummary } from '../monitor/types.js';
import type { MeasuredWindow } from './benchmark-options.js';
import type { BenchmarkContext } from './benchmark-setup.js';
import { diffusionRecordOf, isDiffusionBatch, type DiffusionBatch } from './diffusion.js';
import { InFlightMeter } from './in-flight.js';
import { apportionFactor, nodeFlags, runNodesRecord } from './run-nodes.js';
import { isolatedFigures, type AlonePower } from './isolated-energy.js';
import { measurePass, separatePassesRecord, type PassMeasurement } from './separate-passes.js';

export const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** What the run knows before it starts. */
export interface RunConditions {
  /** Whether a calibration pass ran (an uncalibrated regression split is flagged). */
  calibrated: boolean;
  /** Each phase's power alone, from the calibration pass (null without one): the runs' isolated figures. */
  alone: Record<string, AlonePower> | null;
  /** Idle power, W, or null when not measured. */
  idleW: number | null;
  /** The temperature before the first run, °C, or null. */
  startTemperatureC: number | null;
  signal: AbortSignal;
}

/** Waits until temperature and power are back near their start (bounded); returns the wait and whether it succeeded. */
async function cooldown(ctx: BenchmarkContext, conditions: RunConditions): Promise<{ cooldownS: number; cooled: boolean }> {
  const { o, monitor } = ctx;
  if (!o.cooldown.enabled || conditions.startTemperatureC === null) return { cooldownS: 0, cooled: true };
  ctx.draw('cooldown');
  const startMs = Date.now();
  const near = () => {
    const t = ctx.temperatureOf();
    return (
      (t === null || t <= conditions.startTemperatureC! + o.cooldown.temperatureMarginC) &&
      (conditions.idleW === null || monitor.latestPowerW() <= conditions.idleW + o.cooldown.powerMarginW)
    );
  };
  let cooled = near();
  while (!cooled && (Date.now() - startMs) / 1000 < o.cooldown.maxWaitS) {
    await sleep(100);
    cooled = near();
  }
  return { cooldownS: (Date.now() - startMs) / 1000, cooled };
}

/** The dataset's queries, `concurrency` at a time, with the steady-state window between full load and the tail. */
async function runQueries(ctx: BenchmarkContext, signal: AbortSignal) {
  const { o, monitor, dataset } = ctx;
  const n = dataset.rows.length;
  const results: unknown[] = [];
  const batches: DiffusionBatch[] = [];
  const errors: Record<string, number> = {};
  // N workers take queries in dataset order; the steady-state window runs from when N are
  // first in flight until the tail begins (the dataset is exhausted and one finishes).
  let next = 0;
  // Requests in flight, time-weighted over the steady state (over the whole run at concurrency 1).
  const inFlight = new InFlightMeter();
  let steady: ReturnType<EnergyMonitor['begin']> | null = null;
  let steadyDone = o.concurrency === 1;
  if (o.concurrency === 1) inFlight.open(process.hrtime.bigint());
  const worker = async () => {
    while (next < n && !signal.aborted) {
      const row = dataset.rows[next++]!;
      ctx.progress.query = next;
      ctx.draw('run');
      inFlight.change(+1, process.hrtime.bigint());
      if (!steadyDone && !steady && inFlight.count === o.concurrency) {
        steady = monitor.begin('steady-state');
        inFlight.open(steady.startNs);
      }
      try {
        const rec = await monitor.query(row.id, (q) => o.handler(row, q, { signal }));
        if (o.runStats) results.push(rec.result);
        if (isDiffusionBatch(rec.result)) batches.push(rec.result);
      } catch (err) {
        const code = (err as { code?: unknown })?.code;
        const key = typeof code === 'string' ? code : 'HANDLER_ERROR';
        errors[key] = (errors[key] ?? 0) + 1;
      }
      inFlight.change(-1, process.hrtime.bigint());
      if (steady && !steadyDone && next >= n) {
        steady.end();
        inFlight.close(process.hrtime.bigint());
        steadyDone = true;
      }
      await yieldToLoop();
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  if (o.concurrency === 1) inFlight.close(process.hrtime.bigint());
  return { results, batches, errors, steady: steadyDone ? steady : null, meanRunningRequests: inFlight.meanInWindow };
}

/** The window serving statistics are taken over: the whole run at concurrency 1, else the steady state. */
async function measuredWindow(
  ctx: BenchmarkContext,
  summary: RunSummary,
  steady: ReturnType<EnergyMonitor['begin']> | null,
  meanRunningRequests: number | null,
): Promise<MeasuredWindow | null> {
  if (ctx.o.concurrency === 1)
    return {
      startNs: summary.startNs,
      endNs: summary.endNs,
      energyJ: summary.totalEnergyJ,
      energyUncertaintyJ: summary.totalUncertaintyJ,
      kind: 'whole-run',
      meanRunningRequests,
    };
  if (!steady) return null;
  const m = await steady.settled();
  return m.status === 'measured'
    ? { startNs: m.startNs, endNs: m.endNs, energyJ: m.energyJ, energyUncertaintyJ: m.uncertaintyJ, kind: 'steady-state', meanRunningRequests }
    : null;
}

/**
 * The run's flags: the summary's, and the runner's own (uncalibrated, interrupted, cooldown timeout,
 * throttled: from the driver's clocks event reasons, or guessed from temperature and power, and then
 * also `throttle-guessed`, where the driver reports none).
 */
function runFlags(ctx: BenchmarkContext, summary: RunSummary, conditions: RunConditions, cooled: boolean, endTemperatureC: number | null): string[] {
  const { o, monitor, notes } = ctx;
  const flags: string[] = [...summary.flags];
  // Split by regression without a calibration pass: phases that always run side by side cannot
  // be told apart, and their intervals are not to be trusted (see the README).
  if (summary.method === 'counter-regression' && !conditions.calibrated && o.phases.length > 1) {
    flags.push('uncalibrated-phases');
    if (!notes.some((n) => n.startsWith('uncalibrated-phases'))) {
      notes.push(
        'uncalibrated-phases: on a coarse power sensor without a calibration pass, phases that always run side by side cannot be told apart by the counter; their split and intervals are unreliable (run with calibration)',
      );
    }
  }
  if (conditions.signal.aborted) flags.push('interrupted');
  if (!cooled) flags.push('cooldown-timeout');
  if (summary.clocksEvents !== null) {
    // The driver says why the clocks slowed: the power cap or a slowdown is throttling.
    if (summary.clocksEvents.some((reason) => THROTTLE_REASONS.has(reason))) flags.push('throttled');
    return flags;
  }
  // No clocks event reasons from this driver: a guess from the run's end temperature and mean power, flagged as one.
  const limitW = monitor.gpus.reduce((a, g) => a + (g.powerLimitW ?? Infinity), 0);
  if ((endTemperatureC !== null && endTemperatureC >= 85) || summary.totalEnergyJ / summary.durationS >= 0.98 * limitW)
    flags.push('throttled', 'throttle-guessed');
  return flags;
}

/**
 * Each phase's Wh per 1,000 of the queries the run ran; a phase that never ran is absent (not 0).
 * `nodesFactor` turns the local GPUs' energy into every node's (1 on one node).
 */
function phaseWhPer1000(ctx: BenchmarkContext, summary: RunSummary, idleW: number | null, nodesFactor: number): Record<string, number> {
  const scale = (summary.queries > 0 ? 1000 / summary.queries : 1000 / ctx.dataset.rows.length) * nodesFactor;
  const result: Record<string, number> = {};
  for (const p of ctx.o.phases) {
    const phase = summary.phases[p];
    if (!phase) continue;
    result[p] = ((phase.energyJ - (ctx.o.subtractIdle ? idleW! * phase.durationS : 0)) * scale) / 3600;
  }
  return result;
}

/** The AI Energy Score's separate passes before a run (scoreMethod 'separate-passes'): one per phase but the last. */
async function measurePasses(ctx: BenchmarkContext, signal: AbortSignal): Promise<Array<PassMeasurement | null>> {
  const passes: Array<PassMeasurement | null> = [];
  if (ctx.o.scoreMethod !== 'separate-passes') return passes;
  ctx.draw('pass');
  for (const phase of ctx.o.phases.slice(0, -1)) {
    if (signal.aborted) break;
    passes.push(await measurePass(ctx.monitor, ctx.dataset.rows, ctx.o.handler, ctx.o.phases, phase, signal));
  }
  return passes;
}

/** Measures run `index`; null when it was stopped before its first query. */
export async function measureRun(ctx: BenchmarkContext, index: number, conditions: RunConditions): Promise<RunRecord | null> {
  const { cooldownS, cooled } = await cooldown(ctx, conditions);
  const delayS = Math.random() * ctx.o.randomDelayMaxS;
  ctx.draw('delay');
  await sleep(delayS * 1000);
  const startedAt = new Date().toISOString();
  const passes = await measurePasses(ctx, conditions.signal);
  const startTemperatureC = ctx.temperatureOf();
  const ledger = ctx.monitor.startRun(`run-${index}`, { keepSpans: ctx.recorder !== null });
  ctx.progress.run = index;
  const { results, batches, errors, steady, meanRunningRequests } = await runQueries(ctx, conditions.signal);
  const s = await ledger.finish();
  if (conditions.signal.aborted && s.queries === 0) return null;
  const window = ctx.o.runStats ? await measuredWindow(ctx, s, steady, meanRunningRequests) : null;
  const endTemperatureC = ctx.temperatureOf();
  const nodes = ctx.nodes ? await runNodesRecord(ctx.nodes, s, ctx.monitor.gpus.length, conditions.signal) : null;
  if (ctx.recorder) {
    ctx.recorder.pull();
    ctx.recorder.addRun(index, s);
  }
  const isolated = conditions.alone ? isolatedFigures(s, conditions.alone) : null;
  const nodesFactor = apportionFactor(nodes, s.totalEnergyJ);
  const run = { energyJ: s.totalEnergyJ, uncertaintyJ: s.totalUncertaintyJ, durationS: s.durationS, queries: s.queries };
  const passScale = { per1000Scale: 1000 / ctx.dataset.rows.length, idleW: ctx.o.subtractIdle ? conditions.idleW : null, nodesFactor };
  const separatePasses = ctx.o.scoreMethod === 'separate-passes' ? separatePassesRecord(ctx.o.phases, passes, run, passScale) : null;
  return {
    index,
    startedAt,
    durationS: s.durationS,
    delayS,
    cooldownS,
    startTemperatureC,
    endTemperatureC,
    queries: s.queries,
    failedQueries: s.failedQueries,
    totalEnergyJ: s.totalEnergyJ,
    totalUncertaintyJ: s.totalUncertaintyJ,
    unattributedEnergyJ: s.unattributedEnergyJ,
    phases: Object.fromEntries(
      Object.entries(s.phases).map(([p, t]) => [
        p,
        {
          energyJ: t.energyJ,
          uncertaintyJ: t.uncertaintyJ,
          durationS: t.durationS,
          count: t.count,
          tokens: t.tokens,
          samples: t.samples,
          cpu: cpuRecord(t.cpu),
          isolatedEnergyJ: isolated?.phases[p]?.isolatedEnergyJ ?? null,
          isolatedUncertaintyJ: isolated?.phases[p]?.isolatedUncertaintyJ ?? null,
        },
      ]),
    ),
    cpu: cpuRecord(s.cpu),
    ...(nodes ? { nodes } : {}),
    interleavingOverheadJ: isolated?.interleavingOverheadJ ?? null,
    interleavingOverheadUncertaintyJ: isolated?.interleavingOverheadUncertaintyJ ?? null,
    separatePasses,
    phaseWhPer1000: phaseWhPer1000(ctx, s, conditions.idleW, nodesFactor),
    method: s.method,
    flags: [...runFlags(ctx, s, conditions, cooled, endTemperatureC), ...(nodes ? nodeFlags(nodes) : [])],
    clocksEventReasons: s.clocksEvents,
    unstable: [],
    included: true,
    errors,
    serving: ctx.o.runStats ? ctx.o.runStats(results, window, ctx.o.concurrency) : null,
    ...(batches.length ? { diffusion: diffusionRecordOf(batches, s) } : {}),
  };
}

/** A CPU energy as a run record keeps it (the method is always RAPL's counter), or null when not read. */
function cpuRecord(cpu: CpuEnergy | null): CpuRecord | null {
  if (cpu === null) return null;
  const { packageEnergyJ, packageUncertaintyJ, dramEnergyJ, dramUncertaintyJ, reason, method, estimate } = cpu;
  return { packageEnergyJ, packageUncertaintyJ, dramEnergyJ, dramUncertaintyJ, reason, method, estimate };
}
