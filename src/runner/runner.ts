/**
 * runBenchmark: the AI Energy Score methodology over measurement scopes. Warm-up
 * queries, optional cooldown, a random 0-1 s delay before each run, idle power
 * measured first, then `runs` passes over the dataset at batch size 1, each
 * query's phases measured by the user's handler. Results are written after
 * every run; a crash leaves completed runs readable and a re-run resumes.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import { WattscopeError } from '../util/errors.js';
import { EnergyMonitor } from '../measure/monitor.js';
import { MonitorOptionsSchema } from '../measure/options.js';
import type { QueryContext } from '../measure/scope.js';
import { parseOptions } from '../util/options.js';
import { aggregate, classifyRuns } from './analysis.js';
import { calibratePhases } from './calibration.js';
import { loadDataset, type Dataset, type DatasetRow } from './dataset.js';
import { clearOutputs, readCompletedRuns, readState, removeStaleTemporaries, writeReports, writeRun, type RunnerState } from './outputs.js';
import type { ProgressState } from './progress.js';
import type { RunRecord, WattscopeReport } from '../formats/report-schema.js';
import { VERSION } from '../util/version.js';
import { TimelineRecorder } from '../formats/timeline-recorder.js';
import { writeJsonAtomic } from '../util/atomic.js';
import path from 'node:path';

/**
 * The user's inference code for one query: measure its phases with `q.phase(name, fn)`.
 * `ctx.signal` aborts when the benchmark is stopped (Ctrl-C).
 */
export type BenchmarkHandler = (row: DatasetRow, q: QueryContext, ctx: { signal: AbortSignal }) => unknown;

/** A run's measured window: the whole run at concurrency 1, else the steady-state window. */
export interface MeasuredWindow {
  startNs: bigint;
  endNs: bigint;
  energyJ: number;
  kind: 'steady-state' | 'whole-run';
}

/** What a run's query results add to its record as `serving` (an endpoint's latencies, for instance). */
export type RunStatsHook = (results: unknown[], window: MeasuredWindow | null, concurrency: number) => RunRecord['serving'];

const isDataset = (v: unknown): v is Dataset => typeof v === 'object' && v !== null && Array.isArray((v as Dataset).rows);

export const BenchmarkOptionsSchema = z.object({
  /** A loaded Dataset, or a file spec ({ path, format?, task?, columns?, limit? }). */
  dataset: z.union([
    z.custom<Dataset>(isDataset, 'expected a Dataset'),
    z.object({ path: z.string().min(1), format: z.enum(['jsonl', 'csv', 'parquet']).optional(), task: z.string().optional(), columns: z.array(z.string().min(1)).optional(), limit: z.number().int().min(1).optional() }).strict(),
  ]),
  handler: z.custom<BenchmarkHandler>((v) => typeof v === 'function', 'expected a function'),
  runs: z.number().int().min(1).max(1000).default(10),
  /** Warm-up queries before the first run (not counted). */
  warmup: z.number().int().min(0).default(10),
  phases: z.array(z.string().min(1)).min(1).default(['preprocess', 'prefill', 'decode']),
  /** Output directory; nothing is written without one. */
  outDir: z.string().min(1).optional(),
  task: z.string().optional(),
  model: z.string().optional(),
  /** A name for the workload (for the report). */
  workload: z.string().default('custom'),
  /** An open monitor to use, or options to open one (closed at the end). */
  monitor: z.union([z.custom<EnergyMonitor>((v) => v instanceof EnergyMonitor, 'expected an EnergyMonitor'), MonitorOptionsSchema]).optional(),
  randomDelayMaxS: z.number().min(0).max(60).default(1),
  cooldown: z.object({
    enabled: z.boolean().default(false),
    maxWaitS: z.number().min(0).default(60),
    temperatureMarginC: z.number().min(0).default(3),
    powerMarginW: z.number().min(0).default(15),
  }).strict().default({ enabled: false, maxWaitS: 60, temperatureMarginC: 3, powerMarginW: 15 }),
  idleMeasureS: z.number().min(0).max(600).default(5),
  subtractIdle: z.boolean().default(false),
  excludeUnstable: z.boolean().default(true),
  /** 'auto': resume an interrupted benchmark with the same settings in outDir; 'never': start clean. */
  resume: z.enum(['auto', 'never']).default('auto'),
  /** Called as the benchmark goes (each query, and each change of phase); the CLI draws it as a progress bar. */
  onProgress: z.custom<(progress: ProgressState) => void>((v) => typeof v === 'function').optional(),
  /** Serving statistics from the handler's results, stored as each run's `serving` (the endpoint handler's: `servingRunStats`). */
  runStats: z.custom<RunStatsHook>((v) => typeof v === 'function').optional(),
  /** Called after each completed run with the report so far. */
  onRun: z.custom<(report: WattscopeReport, run: RunRecord) => void>((v) => typeof v === 'function').optional(),
  /**
   * A calibration pass before the runs (for coarse power sensors such as the H100's): each phase of
   * `rows` rows is repeated back-to-back for `phaseS` seconds, so the per-phase regression can tell
   * the phases' powers apart. Only for handlers whose phase functions can be called again.
   */
  calibration: z.object({ rows: z.number().int().min(1).max(100).default(8), phaseS: z.number().min(0.1).max(10).default(0.3) }).strict().optional(),
  /** Queries in flight at once (1: batch size 1, as AI Energy Score requires). */
  concurrency: z.number().int().min(1).max(1024).default(1),
  /** Stops the benchmark: in-flight queries are aborted, the partial run is kept (flagged) and the report says interrupted. */
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal').optional(),
  /** Called with lines worth telling a person (resuming, starting clean). */
  log: z.custom<(line: string) => void>((v) => typeof v === 'function').optional(),
}).strict();

export type BenchmarkOptions = z.input<typeof BenchmarkOptionsSchema>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export async function runBenchmark(options: BenchmarkOptions): Promise<WattscopeReport> {
  const o = parseOptions(BenchmarkOptionsSchema, options, 'benchmark options');
  if (o.subtractIdle && o.idleMeasureS === 0) {
    throw new WattscopeError('WATTSCOPE_INVALID_OPTIONS', 'subtractIdle needs the idle power: set idleMeasureS above 0', { field: 'subtractIdle' });
  }
  const dataset = isDataset(o.dataset) ? o.dataset : await loadDataset(o.dataset);
  const log = o.log ?? (() => {});
  const ownMonitor = !(o.monitor instanceof EnergyMonitor);
  const monitor = o.monitor instanceof EnergyMonitor ? o.monitor : await EnergyMonitor.open(o.monitor ?? {});
  const n = dataset.rows.length;
  const scale = 1000 / n;
  const configHash = createHash('sha256').update(JSON.stringify({
    source: dataset.source, rows: n, columns: dataset.columns, runs: o.runs, warmup: o.warmup, phases: o.phases,
    task: o.task ?? null, model: o.model ?? null, workload: o.workload, subtractIdle: o.subtractIdle,
  })).digest('hex').slice(0, 16);

  let previous: RunRecord[] = [];
  if (o.outDir) {
    removeStaleTemporaries(o.outDir);
    const state = readState(o.outDir);
    if (state && o.resume === 'auto' && state.configHash === configHash && state.status !== 'complete') {
      previous = readCompletedRuns(o.outDir).filter((r) => r.index < o.runs);
      log(`resuming an interrupted benchmark in ${o.outDir}: ${previous.length} of ${o.runs} runs already complete`);
    } else {
      if (state) log(`starting clean in ${o.outDir} (${state.configHash !== configHash ? 'different settings' : state.status === 'complete' ? 'the previous benchmark there was complete' : 'resume disabled'})`);
      clearOutputs(o.outDir);
    }
  }

  const now = () => new Date().toISOString();
  const notes: string[] = [];
  if (n !== 1000) notes.push(`the dataset has ${n} queries, not 1,000: energies are normalized to per-1,000-queries (x${scale.toFixed(4)})`);
  if (o.subtractIdle) notes.push('idle power was subtracted from every phase (idle W x phase duration); the figures are not raw GPU energy');
  notes.push('phase energies sum each query\'s phase scopes; energy between phases is reported as unattributed, not added to any phase');
  notes.push('benchmark_report.json: cpu and ram are null (wattscope measures the GPU); total equals gpu');
  const report: WattscopeReport = {
    schemaVersion: 1, tool: { name: 'wattscope', version: VERSION }, status: 'running', error: null, createdAt: now(), updatedAt: now(),
    benchmark: {
      task: o.task ?? null, model: o.model ?? null, workload: o.workload,
      dataset: { source: dataset.source, name: dataset.name, format: dataset.format, rows: n, columns: dataset.columns },
      per1000Scale: scale, runsPlanned: o.runs, runsCompleted: previous.length, warmupQueries: o.warmup, phases: o.phases,
    },
    settings: { sampleHz: monitor.options.sampleHz, randomDelayMaxS: o.randomDelayMaxS, cooldown: o.cooldown, idleMeasureS: o.idleMeasureS, subtractIdle: o.subtractIdle, excludeUnstable: o.excludeUnstable },
    environment: { node: process.version, platform: process.platform, arch: process.arch, hostname: os.hostname(), cpus: os.cpus().length },
    device: {
      simulated: monitor.library.simulated, libraryPath: monitor.library.path, driverVersion: monitor.library.driverVersion,
      nvmlVersion: monitor.library.nvmlVersion, missingSymbols: monitor.library.missingSymbols,
      gpus: monitor.gpus.map((g) => ({ index: g.index, cudaIndex: g.cudaIndex, uuid: g.uuid, name: g.name, migInstance: g.migInstance, powerSource: g.powerSource, hasEnergyCounter: g.hasEnergyCounter, powerLimitW: g.powerLimitW })),
    },
    idle: null, runs: [...previous], aggregate: null, aiEnergyScore: null, notes,
  };
  const state: RunnerState = { configHash, status: 'running', pid: process.pid, runsCompleted: previous.length, updatedAt: now() };
  const temperatureOf = (): number | null => {
    const ts = monitor.gpus.map((g) => monitor.deviceStatus(g.index).temperatureC).filter((t): t is number => t !== null);
    return ts.length ? Math.max(...ts) : null;
  };
  const progress = { run: previous.length, runs: o.runs, query: 0, queries: n };
  const draw = (phase: ProgressState['phase']) => o.onProgress?.({ ...progress, phase, powerW: monitor.latestPowerW() });

  // The power timeline for the report page (timeline.json), recorded while the runs go.
  const recorder = o.outDir ? new TimelineRecorder(monitor) : null;
  recorder?.start();
  if (previous.length) notes.push(`resumed after ${previous.length} completed runs: timeline.json covers only the runs measured by the last process`);
  const save = () => {
    report.device.gpus.forEach((g, i) => (g.sensor = monitor.gpus[i]!.sensor));
    const { notes: classNotes } = classifyRuns(report.runs, o.excludeUnstable);
    report.aggregate = report.runs.length ? aggregate(report.runs, o.phases) : null;
    report.notes = [...notes, ...classNotes];
    report.updatedAt = now();
    state.updatedAt = report.updatedAt;
    state.runsCompleted = report.runs.length;
    report.benchmark.runsCompleted = report.runs.length;
    if (o.outDir) writeReports(o.outDir, report, state);
  };

  try {
    // Idle power, before anything runs.
    if (o.idleMeasureS > 0) {
      draw('idle');
      const { measurement: m } = await monitor.measure('idle', () => sleep(o.idleMeasureS * 1000));
      if (m.status === 'measured') report.idle = { powerW: m.energyJ / m.durationS, durationS: m.durationS, uncertaintyW: m.uncertaintyJ / m.durationS, temperatureC: temperatureOf() };
    }
    // Null when idle power was not measured: cooldown then waits on temperature alone.
    const idleW = report.idle?.powerW ?? null;
    if (o.subtractIdle && idleW === null) {
      throw new WattscopeError('WATTSCOPE_NO_POWER_SOURCE', 'subtractIdle: the idle power could not be measured', { field: 'subtractIdle' });
    }
    const startTemperature = report.idle?.temperatureC ?? temperatureOf();
    save();

    const stop = o.signal ?? new AbortController().signal;
    // Warm-up: not counted.
    for (let i = 0; i < o.warmup && previous.length === 0 && !stop.aborted; i++) {
      draw('warmup');
      const row = dataset.rows[i % n]!;
      await monitor.query(`warmup-${i}`, (q) => o.handler(row, q, { signal: stop })).catch(() => undefined);
      await yieldToLoop();
    }

    let calibrated = false;
    if (o.calibration && monitor.gpus.some((g) => g.sensor.kind !== 'instant')) {
      calibrated = true;
      draw('warmup');
      const pass = await calibratePhases(monitor, dataset.rows, o.handler, o.phases, o.calibration, stop);
      notes.push(`calibration: each phase of ${o.calibration.rows} rows repeated for ${o.calibration.phaseS} s (${pass.queries} queries, ${pass.durationS.toFixed(1)} s) to learn the phases' powers on a coarse sensor`);
    }

    for (let r = previous.length; r < o.runs && !stop.aborted; r++) {
      let cooldownS = 0;
      let cooled = true;
      if (o.cooldown.enabled && startTemperature !== null) {
        draw('cooldown');
        const t0 = Date.now();
        const near = () => {
          const t = temperatureOf();
          return (t === null || t <= startTemperature + o.cooldown.temperatureMarginC) && (idleW === null || monitor.latestPowerW() <= idleW + o.cooldown.powerMarginW);
        };
        while (!(cooled = near()) && (Date.now() - t0) / 1000 < o.cooldown.maxWaitS) await sleep(100);
        cooldownS = (Date.now() - t0) / 1000;
      }
      // Decorrelate the run's start from the sensor's 100 ms update grid.
      const delayS = Math.random() * o.randomDelayMaxS;
      draw('delay');
      await sleep(delayS * 1000);
      const runStartTemp = temperatureOf();
      const startedAt = now();
      const ledger = monitor.startRun(`run-${r}`, { keepSpans: recorder !== null });
      progress.run = r;
      const errors: Record<string, number> = {};
      const results: unknown[] = [];
      // N workers take queries in dataset order; the steady-state window runs from when N are
      // first in flight until the tail begins (the dataset is exhausted and one finishes).
      let next = 0;
      let inFlight = 0;
      let steady: ReturnType<EnergyMonitor['begin']> | null = null;
      let steadyDone = o.concurrency === 1;
      const worker = async () => {
        while (next < n && !stop.aborted) {
          const row = dataset.rows[next++]!;
          progress.query = next;
          draw('run');
          inFlight++;
          if (!steadyDone && !steady && inFlight === o.concurrency) steady = monitor.begin('steady-state');
          try {
            const rec = await monitor.query(row.id, (q) => o.handler(row, q, { signal: stop }));
            if (o.runStats) results.push(rec.result);
          } catch (err) {
            const code = (err as { code?: unknown })?.code;
            const key = typeof code === 'string' ? code : 'HANDLER_ERROR';
            errors[key] = (errors[key] ?? 0) + 1;
          }
          inFlight--;
          if (steady && !steadyDone && next >= n) {
            steady.end();
            steadyDone = true;
          }
          await yieldToLoop();
        }
      };
      await Promise.all(Array.from({ length: o.concurrency }, worker));
      const s = await ledger.finish();
      // Stopped before this run's first query: nothing to record.
      if (stop.aborted && s.queries === 0) break;
      let window: MeasuredWindow | null = null;
      if (o.runStats) {
        if (o.concurrency === 1) window = { startNs: s.startNs, endNs: s.endNs, energyJ: s.totalEnergyJ, kind: 'whole-run' };
        else if (steady && steadyDone) {
          const m = await (steady as ReturnType<EnergyMonitor['begin']>).settled();
          if (m.status === 'measured') window = { startNs: m.startNs, endNs: m.endNs, energyJ: m.energyJ, kind: 'steady-state' };
        }
      }
      const endTemp = temperatureOf();
      const flags = [...s.flags];
      // Split by regression without a calibration pass: phases that always run side by side cannot
      // be told apart, and their intervals are not to be trusted (see the README).
      if (s.method === 'counter-regression' && !calibrated && o.phases.length > 1) {
        flags.push('uncalibrated-phases');
        if (!notes.some((n) => n.startsWith('uncalibrated-phases'))) {
          notes.push('uncalibrated-phases: on a coarse power sensor without a calibration pass, phases that always run side by side cannot be told apart by the counter; their split and intervals are unreliable (run with calibration)');
        }
      }
      if (stop.aborted) flags.push('interrupted');
      if (!cooled) flags.push('cooldown-timeout');
      const limitW = monitor.gpus.reduce((a, g) => a + (g.powerLimitW ?? Infinity), 0);
      if ((endTemp !== null && endTemp >= 85) || s.totalEnergyJ / s.durationS >= 0.98 * limitW) flags.push('throttled');
      // Per 1,000 of the queries this run actually ran (all of the dataset unless interrupted).
      const runScale = s.queries > 0 ? 1000 / s.queries : scale;
      const phaseWhPer1000: Record<string, number> = {};
      // A phase that never ran in this run is absent (not 0): the report says it was not measured.
      for (const p of o.phases) {
        const ph = s.phases[p];
        if (!ph) continue;
        const j = ph.energyJ - (o.subtractIdle ? idleW! * ph.durationS : 0);
        phaseWhPer1000[p] = (j * runScale) / 3600;
      }
      const run: RunRecord = {
        index: r, startedAt, durationS: s.durationS, delayS, cooldownS, startTemperatureC: runStartTemp, endTemperatureC: endTemp,
        queries: s.queries, failedQueries: s.failedQueries, totalEnergyJ: s.totalEnergyJ, totalUncertaintyJ: s.totalUncertaintyJ,
        unattributedEnergyJ: s.unattributedEnergyJ,
        phases: Object.fromEntries(Object.entries(s.phases).map(([p, t]) => [p, { energyJ: t.energyJ, uncertaintyJ: t.uncertaintyJ, durationS: t.durationS, count: t.count, tokens: t.tokens, samples: t.samples }])),
        phaseWhPer1000, method: s.method, flags, unstable: [], included: true, errors,
        serving: o.runStats ? o.runStats(results, window, o.concurrency) : null,
      };
      report.runs.push(run);
      if (o.outDir) writeRun(o.outDir, run);
      if (recorder && o.outDir) {
        recorder.pull();
        recorder.addRun(r, s);
        writeJsonAtomic(path.join(o.outDir, 'timeline.json'), recorder.toJSON());
      }
      save();
      o.onRun?.(report, run);
    }
    progress.run = o.runs;
    progress.query = 0;
    draw('done');
    report.status = stop.aborted ? 'interrupted' : 'complete';
    state.status = report.status;
    if (stop.aborted) notes.push(`interrupted after ${report.runs.length} runs; the last run is partial and flagged`);
    save();
    if (o.outDir) {
      recorder?.stop();
      if (recorder) writeJsonAtomic(path.join(o.outDir, 'timeline.json'), recorder.toJSON());
    }
    return report;
  } catch (err) {
    report.status = 'failed';
    state.status = 'failed';
    report.error = err instanceof Error ? err.message : String(err);
    try {
      save();
    } catch {
      // keep the original error
    }
    throw err instanceof WattscopeError ? err : new WattscopeError('WATTSCOPE_IO', `benchmark failed: ${report.error}`, { cause: err });
  } finally {
    recorder?.stop();
    if (ownMonitor) await monitor.close();
  }
}
