/**
 * A benchmark's preparation: options validated, the dataset loaded, the monitor opened, the
 * settings hashed, an interrupted benchmark with the same settings resumed (or the output
 * directory cleared), and the report started. What the later steps share is one BenchmarkContext.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunRecord, WattscopeReport } from '../formats/report-types.js';
import { TimelineRecorder } from '../formats/timeline-recorder.js';
import { RemoteNodes } from '../fleet/remote-nodes.js';
import { EnergyMonitor, type CpuStatus } from '../monitor/monitor.js';
import { WattscopeError } from '../util/errors.js';
import { parseOptions } from '../util/options.js';
import { VERSION } from '../util/version.js';
import { SCORE_PHASES } from '../formats/result-reader.js';
import { aggregate, classifyRuns } from './analysis.js';
import { assessComparability } from './comparability.js';
import { BenchmarkOptionsSchema, isDataset, type BenchmarkOptions, type ResolvedBenchmarkOptions } from './benchmark-options.js';
import type { DescribedHandler } from './benchmark-types.js';
import { loadDataset, type Dataset } from './dataset.js';
import { lockOutputDir, type OutputLock } from './output-lock.js';
import { clearOutputs, FILES, readCompletedRuns, readState, removeStaleTemporaries, writeReports, type RunnerState } from './outputs.js';
import type { ProgressState } from './progress.js';
import { nodesNote } from './run-nodes.js';

/** What the benchmark's steps share. */
export interface BenchmarkContext {
  o: ResolvedBenchmarkOptions;
  dataset: Dataset;
  monitor: EnergyMonitor;
  /** True when the benchmark opened the monitor (and so closes it). */
  ownMonitor: boolean;
  /** The output directory's lock (released at the end), or null without one. */
  lock: OutputLock | null;
  report: WattscopeReport;
  state: RunnerState;
  /** Notes for the report (the run classification's are added at each save). */
  notes: string[];
  /** The other nodes whose GPU energy each run adds, or null on one node. */
  nodes: RemoteNodes | null;
  /** The power timeline for timeline.json, recorded while the runs go (with an output directory). */
  recorder: TimelineRecorder | null;
  progress: Omit<ProgressState, 'phase' | 'powerW'>;
  /** Tells `onProgress` where the benchmark stands. */
  draw(phase: ProgressState['phase']): void;
  /** The hottest measured GPU's temperature, °C, or null when unknown. */
  temperatureOf(): number | null;
  /** Updates the aggregate and notes, and writes every output (atomically) when there is an outDir. */
  save(): void;
}

const now = () => new Date().toISOString();

/** What the handler is: the caller's statement (handlerIdentity), else a hash of the function's source. */
function handlerIdentity(o: ResolvedBenchmarkOptions): string {
  return (
    o.handlerIdentity ??
    (o.handler as Partial<DescribedHandler>).identity ??
    `function ${o.handler.name || '(anonymous)'} sha256:${createHash('sha256').update(o.handler.toString()).digest('hex')}`
  );
}

/**
 * What makes two benchmarks the same (a resume continues only the same one): the dataset's content
 * (every row as loaded, not only its name and size), the handler's identity, and the settings.
 */
function settingsHash(o: ResolvedBenchmarkOptions, dataset: Dataset): string {
  const datasetContent = createHash('sha256')
    .update(JSON.stringify([dataset.columns, dataset.rows]))
    .digest('hex');
  return createHash('sha256')
    .update(
      JSON.stringify({
        source: dataset.source,
        rows: dataset.rows.length,
        datasetContent,
        handler: handlerIdentity(o),
        columns: dataset.columns,
        runs: o.runs,
        warmup: o.warmup,
        phases: o.phases,
        task: o.task ?? null,
        model: o.model ?? null,
        workload: o.workload,
        subtractIdle: o.subtractIdle,
        nodes: o.nodes ?? null,
        // Absent for in situ, so that a benchmark begun before the option resumes.
        ...(o.scoreMethod === 'separate-passes' ? { scoreMethod: o.scoreMethod } : {}),
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

/** The completed runs of an interrupted benchmark with the same settings in outDir, or none (outDir cleared). */
function resumeOrClear(o: ResolvedBenchmarkOptions, configHash: string, log: (line: string) => void): RunRecord[] {
  if (!o.outDir) return [];
  removeStaleTemporaries(o.outDir);
  if (o.resume === 'never') {
    if (existsSync(path.join(o.outDir, FILES.state))) log(`starting clean in ${o.outDir} (resume disabled)`);
    clearOutputs(o.outDir, true);
    return [];
  }
  const state = readState(o.outDir);
  if (state && state.configHash === configHash && state.status !== 'complete') {
    const previous = readCompletedRuns(o.outDir).filter((r) => r.index < o.runs);
    log(`resuming an interrupted benchmark in ${o.outDir}: ${previous.length} of ${o.runs} runs already complete`);
    return previous;
  }
  if (state) log(`starting clean in ${o.outDir} (${state.configHash !== configHash ? 'different settings' : 'the previous benchmark there was complete'})`);
  clearOutputs(o.outDir, false);
  return [];
}

/** The notes every report carries, from the settings. */
function settingsNotes(o: ResolvedBenchmarkOptions, queries: number): string[] {
  const notes: string[] = [];
  if (queries !== 1000)
    notes.push(`the dataset has ${queries} queries, not 1,000: energies are normalized to per-1,000-queries (x${(1000 / queries).toFixed(4)})`);
  if (o.subtractIdle) notes.push('idle power was subtracted from every phase (idle W x phase duration); the figures are not raw GPU energy');
  notes.push("phase energies sum each query's phase scopes; energy between phases is reported as unattributed, not added to any phase");
  if (!o.phases.some((p) => (SCORE_PHASES as readonly string[]).includes(p)))
    notes.push(
      `none of the phases (${o.phases.join(', ')}) is preprocess, prefill or decode: no optimum-benchmark benchmark_report.json and no AI Energy Score figure`,
    );
  return notes;
}

/** What the report says of CPU and RAM energy: RAPL's zones where read, else why not. */
export function cpuNote(status: CpuStatus | null): string {
  if (status === null) return 'benchmark_report.json: cpu and ram are null (the monitor does not read CPU energy: cpu: false); total equals gpu';
  if (status.estimate !== null)
    return `benchmark_report.json: cpu and ram are ESTIMATED where RAPL does not measure (${status.reason}): ${status.estimate.method}, TDP ${status.estimate.tdpW} W x ${status.estimate.cpuShare}, RAM ${status.estimate.ramGb.toFixed(1)} GB x ${status.estimate.wattsPerGb} W/GB; total is gpu + cpu + ram`;
  if (status.zones.length === 0 || status.reason !== null)
    return `benchmark_report.json: cpu and ram are null where not read (${status.reason}); total equals gpu unless both are known`;
  return `benchmark_report.json: cpu and ram are RAPL's CPU packages and DRAM (${status.zones.join(', ')}), as measured (never idle-subtracted); total is gpu + cpu + ram`;
}

/** The report as it starts: settings, environment, device, and the runs already completed. */
function newReport(
  o: ResolvedBenchmarkOptions,
  dataset: Dataset,
  monitor: EnergyMonitor,
  nodes: RemoteNodes | null,
  previous: RunRecord[],
  notes: string[],
): WattscopeReport {
  const rows = dataset.rows.length;
  const library = monitor.library;
  return {
    schemaVersion: 1,
    tool: { name: 'wattscope', version: VERSION },
    status: 'running',
    error: null,
    createdAt: now(),
    updatedAt: now(),
    benchmark: {
      task: o.task ?? null,
      model: o.model ?? null,
      workload: o.workload,
      dataset: { source: dataset.source, name: dataset.name, format: dataset.format, rows, columns: dataset.columns },
      per1000Scale: 1000 / rows,
      runsPlanned: o.runs,
      runsCompleted: previous.length,
      warmupQueries: o.warmup,
      phases: o.phases,
      reasoning: o.reasoning ?? null,
    },
    settings: {
      sampleHz: monitor.options.sampleHz,
      randomDelayMaxS: o.randomDelayMaxS,
      cooldown: o.cooldown,
      idleMeasureS: o.idleMeasureS,
      subtractIdle: o.subtractIdle,
      excludeUnstable: o.excludeUnstable,
      nodes: nodes && { ...nodes.option, counterLagMs: nodes.timing.counterLagMs },
    },
    environment: { node: process.version, platform: process.platform, arch: process.arch, hostname: os.hostname(), cpus: os.cpus().length },
    device: {
      simulated: library.simulated,
      libraryPath: library.path,
      driverVersion: library.driverVersion,
      nvmlVersion: library.nvmlVersion,
      missingSymbols: library.missingSymbols,
      gpus: monitor.gpus.map((g) => ({
        index: g.index,
        cudaIndex: g.cudaIndex,
        uuid: g.uuid,
        name: g.name,
        migInstance: g.migInstance,
        powerSource: g.powerSource,
        hasEnergyCounter: g.hasEnergyCounter,
        powerLimitW: g.powerLimitW,
        driverSamples: g.driverSamples,
        counterReads: g.counterReads,
      })),
    },
    idle: null,
    runs: [...previous],
    aggregate: null,
    aiEnergyScore: null,
    notes,
    comparability: { leaderboardComparable: false, reasons: ['no run yet'], modelClass: o.modelClass ?? null },
  };
}

/** Validates the options and prepares everything the runs need. */
export async function prepareBenchmark(options: BenchmarkOptions): Promise<BenchmarkContext> {
  const o = parseOptions(BenchmarkOptionsSchema, options, 'benchmark options');
  if (o.subtractIdle && o.idleMeasureS === 0) {
    throw new WattscopeError('WATTSCOPE_INVALID_OPTIONS', 'subtractIdle needs the idle power: set idleMeasureS above 0', { field: 'subtractIdle' });
  }
  if (o.subtractIdle && o.nodes) {
    throw new WattscopeError('WATTSCOPE_INVALID_OPTIONS', "subtractIdle measures this node's idle power only: it cannot be used with nodes", {
      field: 'subtractIdle',
    });
  }
  const dataset = isDataset(o.dataset) ? o.dataset : await loadDataset(o.dataset);
  // Before the monitor opens: a node Prometheus does not scrape fails the benchmark before anything is measured.
  const nodes = o.nodes ? await RemoteNodes.connect(o.nodes, o.signal) : null;
  const ownMonitor = !(o.monitor instanceof EnergyMonitor);
  const monitor = o.monitor instanceof EnergyMonitor ? o.monitor : await EnergyMonitor.open(o.monitor ?? {});
  const configHash = settingsHash(o, dataset);
  const lock = o.outDir ? lockOutputDir(o.outDir, o.log ?? (() => {})) : null;
  let previous: RunRecord[];
  try {
    previous = resumeOrClear(o, configHash, o.log ?? (() => {}));
  } catch (err) {
    lock?.release();
    if (ownMonitor) await monitor.close();
    throw err;
  }
  const notes = [...settingsNotes(o, dataset.rows.length), cpuNote(monitor.cpuStatus()), ...(nodes ? [nodesNote(nodes)] : [])];
  const report = newReport(o, dataset, monitor, nodes, previous, notes);
  const state: RunnerState = { configHash, status: 'running', pid: process.pid, runsCompleted: previous.length, updatedAt: now() };
  const recorder = o.outDir ? new TimelineRecorder(monitor) : null;
  if (previous.length) notes.push(`resumed after ${previous.length} completed runs: timeline.json covers only the runs measured by the last process`);
  const progress = { run: previous.length, runs: o.runs, query: 0, queries: dataset.rows.length };
  return {
    o,
    dataset,
    monitor,
    ownMonitor,
    lock,
    report,
    state,
    notes,
    nodes,
    recorder,
    progress,
    draw: (phase) => o.onProgress?.({ ...progress, phase, powerW: monitor.latestPowerW() }),
    temperatureOf: () => {
      const temperatures = monitor.gpus.map((g) => monitor.deviceStatus(g.index).temperatureC).filter((t): t is number => t !== null);
      return temperatures.length ? Math.max(...temperatures) : null;
    },
    save: () => {
      report.device.gpus.forEach((g, i) => (g.sensor = monitor.gpus[i]!.sensor));
      const engine = (o.handler as Partial<DescribedHandler>).engine;
      if (engine) report.benchmark.engine = engine;
      const { notes: classNotes } = classifyRuns(report.runs, o.excludeUnstable);
      // No aggregate without an included run: failed work is never a mean.
      report.aggregate = report.runs.some((r) => r.included) ? aggregate(report.runs, o.phases) : null;
      report.notes = [...notes, ...classNotes, ...(nodes?.clockWarning ? [nodes.clockWarning] : [])];
      report.comparability = { ...assessComparability(report, o.modelClass ?? null), modelClass: o.modelClass ?? null };
      report.updatedAt = now();
      state.updatedAt = report.updatedAt;
      state.runsCompleted = report.runs.length;
      report.benchmark.runsCompleted = report.runs.length;
      if (o.outDir) writeReports(o.outDir, report, state, o.reportFormat, o.scoreMethod);
    },
  };
}
