/**
 * runBenchmark's public types, as plain TypeScript (the zod schema that validates the options,
 * benchmark-options.ts, is internal; a compile-time check there keeps the two the same).
 */
import type { EngineRecord, RunRecord, ServingRecord, WattscopeReport } from '../formats/report-types.js';
import type { EnergyMonitor } from '../monitor/monitor.js';
import type { MonitorOptions } from '../monitor/options.js';
import type { QueryContext } from '../monitor/scope.js';
import type { Dataset, DatasetRow } from './dataset.js';
import type { ProgressState } from './progress.js';

/**
 * The user's inference code for one query: measure its phases with `q.phase(name, fn)`.
 * `ctx.signal` aborts when the benchmark is stopped (Ctrl-C).
 */
export type BenchmarkHandler = (row: DatasetRow, q: QueryContext, ctx: { signal: AbortSignal }) => unknown;

/**
 * A handler that says what it runs (llamaHandler is one): `engine`, once known, is recorded in the
 * report; `identity` stands for the handler when a benchmark resumes (unless handlerIdentity is given).
 */
export interface DescribedHandler extends BenchmarkHandler {
  readonly engine: EngineRecord | null;
  readonly identity?: string;
}

/** A run's measured window: the whole run at concurrency 1, else the steady-state window. */
export interface MeasuredWindow {
  startNs: bigint;
  endNs: bigint;
  energyJ: number;
  kind: 'steady-state' | 'whole-run';
  /** Requests in flight, time-weighted over the window (null when unknown). */
  meanRunningRequests?: number | null;
  /** The window energy's uncertainty, J. */
  energyUncertaintyJ?: number | null;
}

/** What a run's query results add to its record as `serving` (an endpoint's latencies, for instance). */
export type RunStatsHook = (results: unknown[], window: MeasuredWindow | null, concurrency: number) => ServingRecord | null;

/** runBenchmark's options; every default is stated. */
export interface BenchmarkOptions {
  /** A loaded Dataset, or a file spec. */
  dataset: Dataset | { path: string; format?: 'jsonl' | 'csv' | 'parquet'; task?: string; columns?: string[]; limit?: number };
  handler: BenchmarkHandler;
  /** Runs over the dataset (1 to 1,000; default 10). */
  runs?: number;
  /** Warm-up queries before the first run, not counted (default 10). */
  warmup?: number;
  /** Default: preprocess, prefill, decode. */
  phases?: string[];
  /** Output directory; nothing is written without one. */
  outDir?: string;
  task?: string;
  model?: string;
  /** A name for the workload, for the report (default 'custom'). */
  workload?: string;
  /** An open monitor to use, or options to open one (closed at the end). */
  monitor?: EnergyMonitor | MonitorOptions;
  /** Random delay before each run, s (0 to 60; default 1). */
  randomDelayMaxS?: number;
  /** Wait before each run until temperature and power are back near idle (default off; 60 s, 3 °C, 15 W). */
  cooldown?: { enabled?: boolean; maxWaitS?: number; temperatureMarginC?: number; powerMarginW?: number };
  /** Idle power measured before the runs, s (0 to 600; default 5). */
  idleMeasureS?: number;
  /** Subtract idle power x duration from every phase (default false). */
  subtractIdle?: boolean;
  /** Leave unstable runs out of the means (default true). */
  excludeUnstable?: boolean;
  /**
   * 'auto' (default): resume an interrupted benchmark with the same settings in outDir (same dataset
   * content, handler and settings); 'never': start clean. A resume warms up again first.
   */
  resume?: 'auto' | 'never';
  /**
   * What the handler is, for resuming (a resume continues only runs of the same handler): for
   * example a module's path and content hash, or an endpoint and model. Default: a hash of the
   * handler function's source text.
   */
  handlerIdentity?: string;
  /**
   * AI Energy Score report formats to write in outDir (default 'both'): 'optimum' (optimum-benchmark's
   * benchmark_report.json, the February 2025 leaderboard's), 'ai-energy-benchmarks' (the pipeline's
   * format since October 2025: one pass measured whole), or 'both' (then the ai_energy_benchmarks
   * files go to outDir/ai_energy_benchmarks/).
   */
  reportFormat?: 'optimum' | 'ai-energy-benchmarks' | 'both';
  /** A reasoning model's state for this benchmark (`off`, `on`, `on-high`…), recorded in the report and used to rate it. */
  reasoning?: string;
  /** The model's class (A, B or C, by the memory it needs: `modelClass()`), for the leaderboard comparability check. */
  modelClass?: 'A' | 'B' | 'C';
  /** Called as the benchmark goes (each query, and each change of phase); the CLI draws it as a progress bar. */
  onProgress?: (progress: ProgressState) => void;
  /** Serving statistics from the handler's results, stored as each run's `serving` (the endpoint handler's: `servingRunStats`). */
  runStats?: RunStatsHook;
  /** Called after each completed run with the report so far. */
  onRun?: (report: WattscopeReport, run: RunRecord) => void;
  /**
   * A calibration pass before the runs: each phase of `rows` rows (default 8) is repeated
   * back-to-back for `phaseS` seconds (default 0.3), which gives each phase's power alone
   * (isolatedEnergyJ and the runs' interleaving overhead) and, on a coarse power sensor such as the
   * H100's, lets the per-phase regression tell the phases' powers apart. Only for handlers whose
   * phase functions can be called again (wattscope cannot tell: off unless given); `false` says
   * they cannot, and the report's notes say so where the alone figures are missing.
   */
  calibration?: { rows?: number; phaseS?: number } | false;
  /**
   * What the AI Energy Score files hold (default 'in-situ'): each run's phases measured in place
   * (scopes), or 'separate-passes', the AI Energy Score's own method: before each run, one pass of
   * the dataset per phase but the last, each query ended after that phase, each pass measured whole;
   * phase i = pass i - pass i-1, the run being the last pass. Both figures are in the report. The
   * passes run each query's earlier phases again, so the handler must allow a query to end early
   * (it is told through its signal and a PassEnd thrown from `q.phase`); a run takes ~n/2 x longer.
   */
  scoreMethod?: 'in-situ' | 'separate-passes';
  /** Queries in flight at once (default 1: batch size 1, as AI Energy Score requires). */
  concurrency?: number;
  /** Stops the benchmark: in-flight queries are aborted, the partial run is kept (flagged) and the report says interrupted. */
  signal?: AbortSignal;
  /** Called with lines worth telling a person (resuming, starting clean). */
  log?: (line: string) => void;
  /**
   * A benchmark across nodes (a model too large for one machine): each other node runs
   * `wattscope exporter`, the Prometheus server at `prometheus` scrapes them all, and each run adds
   * the increase of their GPU energy counters over its window (`exporters`: their Prometheus
   * `instance` labels, host:port). `clockSkewMs` (default 50): how far this node's clock and
   * Prometheus's may differ; `waitS` (default 3 scrape intervals + 5 s): how long a run waits for
   * the scrape that closes its window. Not with subtractIdle (idle power is this node's only).
   */
  nodes?: { prometheus: string; exporters: string[]; clockSkewMs?: number; waitS?: number };
}
