/**
 * runBenchmark: the AI Energy Score methodology over measurement scopes. Named steps: prepare
 * (benchmark-setup.ts), idle power, warm-up, an optional calibration pass, the runs
 * (benchmark-run.ts), and the outputs written after every run, so that a crash leaves the
 * completed runs readable and a re-run resumes. The library writes data files only: progress goes
 * to `onProgress`, and the report page is the CLI's (or writeReportPage's).
 */
import path from 'node:path';
import type { WattscopeReport } from '../formats/report-types.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { WattscopeError } from '../util/errors.js';
import type { BenchmarkOptions } from './benchmark-types.js';
import { measureRun, yieldToLoop, type RunConditions } from './benchmark-run.js';
import { sleep } from '../util/sleep.js';
import { prepareBenchmark, type BenchmarkContext } from './benchmark-setup.js';
import { calibratePhases } from './calibration.js';
import type { AlonePower } from './isolated-energy.js';
import { writeRun } from './outputs.js';

export type { BenchmarkHandler, BenchmarkOptions, MeasuredWindow, RunStatsHook } from './benchmark-types.js';

/** Idle power before anything runs, into the report (skipped when idleMeasureS is 0). */
async function measureIdle(ctx: BenchmarkContext): Promise<void> {
  if (ctx.o.idleMeasureS <= 0) return;
  ctx.draw('idle');
  const { measurement: m } = await ctx.monitor.measure('idle', () => sleep(ctx.o.idleMeasureS * 1000));
  if (m.status === 'measured') {
    ctx.report.idle = {
      powerW: m.energyJ / m.durationS,
      durationS: m.durationS,
      uncertaintyW: m.uncertaintyJ / m.durationS,
      temperatureC: ctx.temperatureOf(),
    };
  }
}

/** Warm-up queries, not counted; on resume too (a new process starts cold, whatever the runs before were). */
async function warmUp(ctx: BenchmarkContext, signal: AbortSignal): Promise<void> {
  const { o, dataset, monitor } = ctx;
  for (let i = 0; i < o.warmup && !signal.aborted; i++) {
    ctx.draw('warmup');
    const row = dataset.rows[i % dataset.rows.length]!;
    await monitor.query(`warmup-${i}`, (q) => o.handler(row, q, { signal })).catch(() => undefined);
    await yieldToLoop();
  }
}

/** Why a benchmark has no phases alone: the note the report carries where no calibration pass ran. */
function uncalibratedNote(calibration: false | undefined): string {
  const why =
    calibration === false
      ? "the handler's phases cannot be called again (calibration: false)"
      : "the calibration option was not given (give calibration: {} where the handler's phase functions can be called again)";
  return `no calibration pass: ${why}; each phase alone (isolatedEnergyJ) and the runs' interleaving overhead are not estimated (null)`;
}

/** The calibration pass, when asked for; each phase's power alone when it ran, else null (and a note why). */
async function calibrate(ctx: BenchmarkContext, signal: AbortSignal): Promise<Record<string, AlonePower> | null> {
  const { o, monitor } = ctx;
  if (!o.calibration) {
    ctx.notes.push(uncalibratedNote(o.calibration));
    return null;
  }
  ctx.draw('warmup');
  const pass = await calibratePhases(monitor, ctx.dataset.rows, o.handler, o.phases, o.calibration, signal);
  const coarse = monitor.gpus.some((g) => g.sensor.kind !== 'instant');
  ctx.notes.push(
    `calibration: each phase of ${o.calibration.rows} rows repeated for ${o.calibration.phaseS} s (${pass.queries} queries, ${pass.durationS.toFixed(1)} s) to learn each phase's power alone (isolatedEnergyJ)${coarse ? " and the phases' powers on a coarse sensor" : ''}`,
  );
  return pass.alone;
}

/** The runs still to do, each written as soon as it completes. */
async function measureRuns(ctx: BenchmarkContext, conditions: RunConditions): Promise<void> {
  const { o, report } = ctx;
  for (let index = report.runs.length; index < o.runs && !conditions.signal.aborted; index++) {
    const run = await measureRun(ctx, index, conditions);
    if (!run) break; // stopped before this run's first query: nothing to record
    report.runs.push(run);
    if (o.outDir) {
      writeRun(o.outDir, run);
      if (ctx.recorder) writeJsonAtomic(path.join(o.outDir, 'timeline.json'), ctx.recorder.toJSON());
    }
    ctx.save();
    o.onRun?.(report, run);
  }
}

/** Runs the benchmark and returns its report (also written to `outDir`, when given). */
export async function runBenchmark(options: BenchmarkOptions): Promise<WattscopeReport> {
  const ctx = await prepareBenchmark(options);
  const { o, report, state } = ctx;
  ctx.recorder?.start();
  try {
    await measureIdle(ctx);
    // Null when idle power was not measured: cooldown then waits on temperature alone.
    const idleW = report.idle?.powerW ?? null;
    if (o.subtractIdle && idleW === null) {
      throw new WattscopeError('WATTSCOPE_NO_POWER_SOURCE', 'subtractIdle: the idle power could not be measured', { field: 'subtractIdle' });
    }
    const startTemperatureC = report.idle?.temperatureC ?? ctx.temperatureOf();
    ctx.save();
    const signal = o.signal ?? new AbortController().signal;
    await warmUp(ctx, signal);
    const alone = await calibrate(ctx, signal);
    await measureRuns(ctx, { calibrated: alone !== null, alone, idleW, startTemperatureC, signal });
    ctx.progress.run = o.runs;
    ctx.progress.query = 0;
    ctx.draw('done');
    report.status = signal.aborted ? 'interrupted' : 'complete';
    state.status = report.status;
    if (signal.aborted) ctx.notes.push(`interrupted after ${report.runs.length} runs; the last run is partial and flagged`);
    ctx.save();
    ctx.recorder?.stop();
    if (o.outDir && ctx.recorder) writeJsonAtomic(path.join(o.outDir, 'timeline.json'), ctx.recorder.toJSON());
    return report;
  } catch (err) {
    report.status = 'failed';
    state.status = 'failed';
    report.error = err instanceof Error ? err.message : String(err);
    try {
      ctx.save();
    } catch {
      // keep the original error
    }
    throw err instanceof WattscopeError ? err : new WattscopeError('WATTSCOPE_IO', `benchmark failed: ${report.error}`, { cause: err });
  } finally {
    ctx.recorder?.stop();
    if (ctx.ownMonitor) await ctx.monitor.close();
    ctx.lock?.release();
  }
}
