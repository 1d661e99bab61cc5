/**
 * wattscope's own full benchmark report (wattscope-report.json): every run and
 * phase, statistics, device and driver, settings, environment and flags. The
 * zod schema is the contract; schema/wattscope-report.schema.json is generated
 * from it (npm run schema) and a test keeps the two equal.
 */
import { z } from 'zod';
import type { SameType } from '../util/same-type.js';
import type { RunRecord, WattscopeReport } from './report-types.js';
import { ScoreMethodSchema, SeparatePassesSchema } from './separate-passes-schema.js';
import { SimulatedTruthSchema } from './simulated-truth-schema.js';

export type { RunRecord, WattscopeReport };

const Stat = z.object({
  n: z.number().int(),
  mean: z.number(),
  sd: z.number(),
  ci95: z.tuple([z.number(), z.number()]),
  cv: z.number().nullable(),
  min: z.number(),
  max: z.number(),
});

const Pct = z.object({ p50: z.number(), p90: z.number(), p99: z.number() });

/** CPU packages' and DRAM energy from RAPL, J; a null figure has its reason. */
const CpuRecordSchema = z.object({
  packageEnergyJ: z.number().nullable(),
  packageUncertaintyJ: z.number().nullable(),
  dramEnergyJ: z.number().nullable(),
  dramUncertaintyJ: z.number().nullable(),
  reason: z.string().nullable(),
  method: z.enum(['rapl-counter', 'estimate', 'rapl-counter+estimate']).optional(),
  estimate: z
    .object({ tdpW: z.number(), cpuShare: z.number(), cpuW: z.number(), ramGb: z.number(), wattsPerGb: z.number(), ramW: z.number(), method: z.string() })
    .nullable()
    .optional(),
});

const RunPhase = z.object({
  energyJ: z.number(),
  uncertaintyJ: z.number(),
  durationS: z.number(),
  count: z.number().int(),
  tokens: z.number(),
  samples: z.number(),
  /** The phase's CPU energy (RAPL); null when not read, absent in reports of older versions. */
  cpu: CpuRecordSchema.nullable().optional(),
  /** The phase alone: its power where it ran by itself (calibration) times its time, J; null without a calibration pass, absent in older reports. */
  isolatedEnergyJ: z.number().nullable().optional(),
  isolatedUncertaintyJ: z.number().nullable().optional(),
});

/** Each node's GPU energy over a run's window, when the benchmark spans nodes. */
const RunNodesSchema = z.object({
  windowStartMs: z.number(),
  windowEndMs: z.number(),
  shares: z.array(
    z.object({
      node: z.string(),
      source: z.enum(['local', 'prometheus']),
      energyJ: z.number().nullable(),
      uncertaintyJ: z.number().nullable(),
      gpus: z.array(
        z.object({
          gpu: z.string(),
          uuid: z.string().nullable(),
          energyJ: z.number().nullable(),
          uncertaintyJ: z.number().nullable(),
          resets: z.number().int(),
          reason: z.string().nullable(),
        }),
      ),
      flags: z.array(z.string()),
      reason: z.string().nullable(),
    }),
  ),
  totalEnergyJ: z.number(),
  totalUncertaintyJ: z.number(),
  complete: z.boolean(),
});

export const RunRecordSchema = z.object({
  index: z.number().int().min(0),
  startedAt: z.string(),
  durationS: z.number(),
  /** Random delay slept before the run, s. */
  delayS: z.number(),
  cooldownS: z.number(),
  startTemperatureC: z.number().nullable(),
  endTemperatureC: z.number().nullable(),
  queries: z.number().int(),
  failedQueries: z.number().int(),
  /** Counter delta over the whole run (all GPUs), J, as measured (not normalized). */
  totalEnergyJ: z.number(),
  totalUncertaintyJ: z.number(),
  unattributedEnergyJ: z.number(),
  /** Per phase, as measured over this run's queries (not normalized). */
  phases: z.record(z.string(), RunPhase),
  /** The run's CPU energy (RAPL); null when not read, absent in reports of older versions. */
  cpu: CpuRecordSchema.nullable().optional(),
  /** Every node's GPU energy over the run, when the benchmark spans nodes (totalEnergyJ is this node's alone). */
  nodes: RunNodesSchema.nullable().optional(),
  /** The run's energy less its gaps and less every phase alone: what interleaving the phases cost, J; null without a calibration pass, absent in older reports. */
  interleavingOverheadJ: z.number().nullable().optional(),
  interleavingOverheadUncertaintyJ: z.number().nullable().optional(),
  /** The AI Energy Score's separate passes over this run's dataset (null or absent where that method did not run). */
  separatePasses: SeparatePassesSchema.nullable().optional(),
  /** Per phase, Wh per 1,000 queries (normalized; idle-subtracted when that option is on; across nodes, remote energy apportioned as the local GPUs'). */
  phaseWhPer1000: z.record(z.string(), z.number()),
  method: z.enum(['energy-counter', 'counter-interpolated', 'counter-regression', 'power-integration']),
  flags: z.array(z.string()),
  /** The clocks event reasons seen during the run (gpu-idle left out); null when the driver reports none (and in reports before they were read). */
  clocksEventReasons: z.array(z.string()).nullable().default(null),
  /** Why this run is unstable (empty when stable). */
  unstable: z.array(z.string()),
  /** Whether the run counts in the means. */
  included: z.boolean(),
  /** Failed queries by error code (e.g. WATTSCOPE_HTTP_STATUS, WATTSCOPE_STREAM_DROPPED). */
  errors: z.record(z.string(), z.number().int()).default({}),
  /** Serving metrics, when the handler measured a model server. */
  serving: z
    .object({
      concurrency: z.number().int(),
      ttftMs: Pct.nullable(),
      itlMs: Pct.nullable(),
      ttftMeanMs: z.number().nullable().optional(),
      itlMeanMs: z.number().nullable().optional(),
      completedRequests: z.number().int(),
      generatedTokens: z.number(),
      responseTokens: z.object({ mean: z.number(), p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() }).nullable().optional(),
      window: z
        .object({
          kind: z.enum(['steady-state', 'whole-run']),
          durationS: z.number(),
          energyJ: z.number(),
          tokens: z.number(),
          requests: z.number().int(),
          jPerToken: z.number().nullable(),
          jPerRequest: z.number().nullable(),
          tokensPerS: z.number(),
          meanRunningRequests: z.number().nullable().optional(),
          energyUncertaintyJ: z.number().nullable().optional(),
        })
        .nullable(),
      mlEnergyStability: z
        .object({ isStable: z.boolean(), reasons: z.array(z.string()) })
        .nullable()
        .optional(),
      attribution: z.string(),
    })
    .nullable()
    .default(null),
  /** Image or video generation, when the handler returned diffusion batches. */
  diffusion: z
    .object({
      batchSize: z.number().int(),
      height: z.number().int(),
      width: z.number().int(),
      batches: z.number().int(),
      generations: z.number().int(),
      energyPerGenerationJ: z.number().nullable(),
      batchLatencyS: z.number().nullable(),
      avgPowerW: z.number().nullable(),
      reason: z.string().nullable(),
    })
    .nullable()
    .optional(),
});

export const WattscopeReportSchema = z.object({
  schemaVersion: z.literal(1),
  tool: z.object({ name: z.literal('wattscope'), version: z.string() }),
  /** running: runs still to come (or the process died: see state); complete; interrupted (Ctrl-C); failed. */
  status: z.enum(['running', 'complete', 'interrupted', 'failed']),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  benchmark: z.object({
    task: z.string().nullable(),
    model: z.string().nullable(),
    workload: z.string(),
    dataset: z.object({ source: z.string(), name: z.string(), format: z.string(), rows: z.number().int(), columns: z.array(z.string()) }),
    /** Factor from measured energy to energy per 1,000 queries (1000 / rows). */
    per1000Scale: z.number(),
    runsPlanned: z.number().int(),
    runsCompleted: z.number().int(),
    warmupQueries: z.number().int(),
    phases: z.array(z.string()),
    /** A reasoning model's state for this benchmark (off, on, on-high…), or null when not stated. */
    reasoning: z.string().nullable().default(null),
    /** The inference engine, where the handler says (absent otherwise, and in older reports). */
    engine: z
      .object({
        name: z.string(),
        version: z.string(),
        llamaCppRelease: z.string().nullable(),
        build: z.string(),
        binary: z.string(),
        gpuLayers: z.number().int(),
        model: z.object({
          file: z.string(),
          sizeBytes: z.number().int(),
          sha256: z.string(),
          quantization: z.string().nullable(),
          architecture: z.string().nullable(),
          name: z.string().nullable(),
        }),
      })
      .nullable()
      .optional(),
  }),
  settings: z.object({
    sampleHz: z.number(),
    randomDelayMaxS: z.number(),
    cooldown: z.object({ enabled: z.boolean(), maxWaitS: z.number(), temperatureMarginC: z.number(), powerMarginW: z.number() }),
    idleMeasureS: z.number(),
    subtractIdle: z.boolean(),
    excludeUnstable: z.boolean(),
    /** The other nodes whose GPU energy each run adds, read from Prometheus (absent on one node). */
    nodes: z
      .object({ prometheus: z.string(), exporters: z.array(z.string()), clockSkewMs: z.number(), counterLagMs: z.number() })
      .nullable()
      .optional(),
  }),
  environment: z.object({ node: z.string(), platform: z.string(), arch: z.string(), hostname: z.string(), cpus: z.number().int() }),
  device: z.object({
    simulated: z.boolean(),
    libraryPath: z.string(),
    driverVersion: z.string().nullable(),
    nvmlVersion: z.string().nullable(),
    missingSymbols: z.array(z.string()),
    gpus: z.array(
      z.object({
        index: z.number().int(),
        cudaIndex: z.number().int().nullable(),
        uuid: z.string().nullable(),
        name: z.string().nullable(),
        migInstance: z.string().nullable(),
        powerSource: z.string(),
        hasEnergyCounter: z.boolean(),
        powerLimitW: z.number().nullable(),
        /** The power sensor as measured from the samples (kind, refresh period); absent in reports of older versions. */
        sensor: z
          .object({ kind: z.enum(['instant', 'periodic', 'average-1s', 'unknown']), refreshPeriodMs: z.number().nullable(), changesSeen: z.number().int() })
          .optional(),
        /** Whether the driver kept its own power samples (nvmlDeviceGetSamples), or its refusal; absent in reports of older versions. */
        driverSamples: z.object({ available: z.boolean(), refusal: z.string().nullable() }).optional(),
        /** When the GPU's energy counter was read (counterReads, 'auto' resolved); absent in reports of older versions. */
        counterReads: z.enum(['every-sample', 'around-steps', 'sparse']).optional(),
      }),
    ),
  }),
  idle: z.object({ powerW: z.number(), durationS: z.number(), uncertaintyW: z.number(), temperatureC: z.number().nullable() }).nullable(),
  runs: z.array(RunRecordSchema),
  aggregate: z
    .object({
      includedRuns: z.array(z.number().int()),
      excludedRuns: z.array(z.object({ index: z.number().int(), reasons: z.array(z.string()) })),
      /** Per phase across included runs: Wh per 1,000 queries. */
      phaseWhPer1000: z.record(z.string(), Stat),
      /** Sum of the phases across included runs: Wh per 1,000 queries (the AI Energy Score). */
      totalWhPer1000: Stat,
      /** Unattributed (between phases) Wh per 1,000 queries across included runs. */
      unattributedWhPer1000: Stat,
    })
    .nullable(),
  aiEnergyScore: z
    .object({
      gpuEnergyWh: z.number(),
      /** Which figures the files hold (absent in older reports: in situ). */
      method: ScoreMethodSchema.optional(),
      summary: z.object({
        units: z.literal('Wh'),
        total: z.number(),
        preprocess_wh: z.number().nullable(),
        prefill_wh: z.number().nullable(),
        decode_wh: z.number().nullable(),
      }),
    })
    .nullable(),
  notes: z.array(z.string()),
  /** Whether the result can stand on the AI Energy Score leaderboard, and why not (reports before this field: not assessed). */
  comparability: z
    .object({ leaderboardComparable: z.boolean(), reasons: z.array(z.string()), modelClass: z.enum(['A', 'B', 'C']).nullable() })
    .default({ leaderboardComparable: false, reasons: ['not assessed (a report written before wattscope assessed comparability)'], modelClass: null }),
  /** On the simulated GPU only: the simulator's exact energy, beside which the estimates can be judged. */
  simulatedTruth: SimulatedTruthSchema.optional(),
});
// The plain types (report-types.ts) and the schema must agree; these fail to compile otherwise.
const runRecordAgrees: SameType<z.infer<typeof RunRecordSchema>, RunRecord> = true;
const reportAgrees: SameType<z.infer<typeof WattscopeReportSchema>, WattscopeReport> = true;
void [runRecordAgrees, reportAgrees];
