/**
 * runBenchmark's options: zod-validated, every default stated. The handler is the user's inference
 * code for one query; the hooks let the caller follow the benchmark without the library drawing
 * or writing anything but its data files.
 */
import { z } from 'zod';
import type { RunRecord, WattscopeReport } from '../formats/report-types.js';
import { NodesOptionSchema } from '../fleet/remote-nodes.js';
import { ScoreMethodSchema } from '../formats/separate-passes-schema.js';
import { EnergyMonitor } from '../monitor/monitor.js';
import type { MonitorOptions } from '../monitor/options.js';
import type { SameType } from '../util/same-type.js';
import type { BenchmarkHandler, BenchmarkOptions, RunStatsHook } from './benchmark-types.js';
import type { Dataset } from './dataset.js';
import type { ProgressState } from './progress.js';

export type { BenchmarkHandler, BenchmarkOptions, MeasuredWindow, RunStatsHook } from './benchmark-types.js';

/** The cooldown before each run (shared by the options and the CLI's config files). */
export const CooldownSchema = z
  .object({
    enabled: z.boolean().default(false),
    maxWaitS: z.number().min(0).default(60),
    temperatureMarginC: z.number().min(0).default(3),
    powerMarginW: z.number().min(0).default(15),
  })
  .strict();

export const isDataset = (v: unknown): v is Dataset => typeof v === 'object' && v !== null && Array.isArray((v as Dataset).rows);

export const BenchmarkOptionsSchema = z
  .object({
    /** A loaded Dataset, or a file spec ({ path, format?, task?, columns?, limit? }). */
    dataset: z.union([
      z.custom<Dataset>(isDataset, 'expected a Dataset'),
      z
        .object({
          path: z.string().min(1),
          format: z.enum(['jsonl', 'csv', 'parquet']).optional(),
          task: z.string().optional(),
          columns: z.array(z.string().min(1)).optional(),
          limit: z.number().int().min(1).optional(),
        })
        .strict(),
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
    monitor: z
      .custom<EnergyMonitor | MonitorOptions>(
        (v) => v instanceof EnergyMonitor || (typeof v === 'object' && v !== null && !Array.isArray(v)),
        'expected an EnergyMonitor or its options (validated when the monitor opens)',
      )
      .optional(),
    randomDelayMaxS: z.number().min(0).max(60).default(1),
    cooldown: CooldownSchema.default({ enabled: false, maxWaitS: 60, temperatureMarginC: 3, powerMarginW: 15 }),
    idleMeasureS: z.number().min(0).max(600).default(5),
    subtractIdle: z.boolean().default(false),
    excludeUnstable: z.boolean().default(true),
    /** 'auto': resume an interrupted benchmark with the same settings in outDir; 'never': start clean. */
    resume: z.enum(['auto', 'never']).default('auto'),
    /** A reasoning model's state label (off, on, on-high…), recorded in the report. */
    reasoning: z.string().min(1).optional(),
    /** The model's class (A, B, C by memory), for the comparability check; unknown when absent. */
    modelClass: z.enum(['A', 'B', 'C']).optional(),
    /** AI Energy Score report formats to write: optimum, ai-energy-benchmarks, or both (default). */
    reportFormat: z.enum(['optimum', 'ai-energy-benchmarks', 'both']).default('both'),
    /** What the handler is, for resuming; default: a hash of the handler function's source. */
    handlerIdentity: z.string().min(1).optional(),
    /** Called as the benchmark goes (each query, and each change of phase); the CLI draws it as a progress bar. */
    onProgress: z.custom<(progress: ProgressState) => void>((v) => typeof v === 'function').optional(),
    /** Serving statistics from the handler's results, stored as each run's `serving` (the endpoint handler's: `servingRunStats`). */
    runStats: z.custom<RunStatsHook>((v) => typeof v === 'function').optional(),
    /** Called after each completed run with the report so far. */
    onRun: z.custom<(report: WattscopeReport, run: RunRecord) => void>((v) => typeof v === 'function').optional(),
    /**
     * A calibration pass before the runs: each phase of `rows` rows is repeated back-to-back for
     * `phaseS` seconds, which gives each phase's power alone (isolatedEnergyJ, the interleaving
     * overhead) and, on a coarse sensor such as the H100's, lets the per-phase regression tell the
     * phases apart. Only for handlers whose phase functions can be called again; `false` says they
     * cannot (the report says why the alone figures are missing).
     */
    calibration: z
      .union([z.literal(false), z.object({ rows: z.number().int().min(1).max(100).default(8), phaseS: z.number().min(0.1).max(10).default(0.3) }).strict()])
      .optional(),
    /** What the AI Energy Score files hold: each run's phases in situ, or the AI Energy Score's separate passes (benchmark-types.ts). */
    scoreMethod: ScoreMethodSchema.default('in-situ'),
    /** Queries in flight at once (1: batch size 1, as AI Energy Score requires). */
    concurrency: z.number().int().min(1).max(1024).default(1),
    /** Stops the benchmark: in-flight queries are aborted, the partial run is kept (flagged) and the report says interrupted. */
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'expected an AbortSignal').optional(),
    /** Called with lines worth telling a person (resuming, starting clean). */
    log: z.custom<(line: string) => void>((v) => typeof v === 'function').optional(),
    /** The other nodes whose GPU energy each run adds, read from a Prometheus server scraping their exporters. */
    nodes: NodesOptionSchema.optional(),
  })
  .strict();

// The plain type (benchmark-types.ts) and the schema must agree; this fails to compile otherwise.
const optionsAgree: SameType<z.input<typeof BenchmarkOptionsSchema>, BenchmarkOptions> = true;
void optionsAgree;

/** The options after validation and defaults. */
export type ResolvedBenchmarkOptions = z.output<typeof BenchmarkOptionsSchema>;
