/**
 * The types of wattscope's own benchmark report (wattscope-report.json), as plain TypeScript: the
 * zod schema that validates the file (report-schema.ts) is an implementation detail, and a
 * compile-time check there keeps the two the same.
 */
import type { ScoreMethod, SeparatePassesRecord, SimulatedTruth } from './report-parts.js';

/** A statistic over runs: count, mean, standard deviation, Student-t 95% interval, coefficient of variation (%), range. */
export interface RunStatistic {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 when n = 1. */
  sd: number;
  /** 95% confidence interval of the mean (Student t); equal to the mean when n = 1. */
  ci95: [number, number];
  /** sd / mean; null when the mean is 0. */
  cv: number | null;
  min: number;
  max: number;
}

export interface LatencyPercentiles {
  p50: number;
  p90: number;
  p99: number;
}

/** CPU packages' and DRAM energy from RAPL, J, as measured (not normalized); a null figure has its reason. */
export interface CpuRecord {
  packageEnergyJ: number | null;
  packageUncertaintyJ: number | null;
  dramEnergyJ: number | null;
  dramUncertaintyJ: number | null;
  reason: string | null;
  /** 'rapl-counter', or 'estimate' / 'rapl-counter+estimate' where CodeCarbon's estimate fills in (absent in older reports). */
  method?: 'rapl-counter' | 'estimate' | 'rapl-counter+estimate';
  /** The estimate's inputs where a figure is estimated, else null (absent in older reports). */
  estimate?: { tdpW: number; cpuShare: number; cpuW: number; ramGb: number; wattsPerGb: number; ramW: number; method: string } | null;
}

/** One phase over one run, as measured (not normalized). */
export interface RunPhaseRecord {
  energyJ: number;
  uncertaintyJ: number;
  durationS: number;
  count: number;
  tokens: number;
  samples: number;
  /** The phase's CPU energy (RAPL); null when CPU energy was not read (absent in reports of older versions). */
  cpu?: CpuRecord | null;
  /** The phase alone: its mean power where it ran by itself (calibration) times its time in the run, J, ±95%; null without calibration, absent in older reports. energyJ is in situ. */
  isolatedEnergyJ?: number | null;
  isolatedUncertaintyJ?: number | null;
}

/** A run's serving metrics, when the handler measured a model server. */
export interface ServingRecord {
  concurrency: number;
  ttftMs: LatencyPercentiles | null;
  itlMs: LatencyPercentiles | null;
  /** Means of the same, ms (absent in older reports). */
  ttftMeanMs?: number | null;
  itlMeanMs?: number | null;
  completedRequests: number;
  generatedTokens: number;
  /** Tokens per response: mean and percentiles (absent in older reports). */
  responseTokens?: { mean: number; p50: number; p90: number; p99: number; max: number } | null;
  window: {
    kind: 'steady-state' | 'whole-run';
    durationS: number;
    energyJ: number;
    tokens: number;
    requests: number;
    jPerToken: number | null;
    jPerRequest: number | null;
    tokensPerS: number;
    /** Requests in flight, time-weighted over the window (absent in older reports). */
    meanRunningRequests?: number | null;
    /** The window energy's uncertainty, J (absent in older reports). */
    energyUncertaintyJ?: number | null;
  } | null;
  /** The ML.ENERGY Benchmark's stability rules for this run (absent in older reports). */
  mlEnergyStability?: { isStable: boolean; reasons: string[] } | null;
  attribution: string;
}

/** A run of image or video generation: its batches and what they cost (the ML.ENERGY diffusion figures). */
export interface DiffusionRecord {
  batchSize: number;
  height: number;
  width: number;
  batches: number;
  generations: number;
  /** The queries' phase energy over the generations, J; null when the run mixed configurations (see reason). */
  energyPerGenerationJ: number | null;
  /** Mean time per batch (its phases), s. */
  batchLatencyS: number | null;
  avgPowerW: number | null;
  reason: string | null;
}

/** One GPU of a remote node over a run's window, from its counter in Prometheus. */
export interface NodeGpuRecord {
  /** The exporter's `gpu` label (NVML's index on that node). */
  gpu: string;
  uuid: string | null;
  energyJ: number | null;
  uncertaintyJ: number | null;
  /** Drops of the counter during the window (the energy between a scrape and the reset is lost). */
  resets: number;
  /** Why the energy is null. */
  reason: string | null;
}

/** One node's GPU energy over a run's window. */
export interface NodeShareRecord {
  /** 'local' for the node that ran the benchmark, else the exporter's Prometheus `instance` (host:port). */
  node: string;
  /** 'local': this node's own monitor (its high-resolution figures); 'prometheus': the increase of the node's counters there. */
  source: 'local' | 'prometheus';
  /** The node's GPUs' energy, J; null when a GPU's is unknown (see gpus and reason). */
  energyJ: number | null;
  uncertaintyJ: number | null;
  /** Per GPU, for a remote node (empty for the local one: see the run's phases). */
  gpus: NodeGpuRecord[];
  /** `node-counter-missing` (a GPU's counter had no scrape around an edge of the window, or the node none at all), `node-counter-reset`. */
  flags: string[];
  reason: string | null;
}

/** A run's GPU energy over every node, when the benchmark spans nodes. */
export interface RunNodesRecord {
  /** The run's window by this node's clock, Unix ms (what each remote node's counters were read over). */
  windowStartMs: number;
  windowEndMs: number;
  /** The local node first, then each remote node. */
  shares: NodeShareRecord[];
  /** The sum of the known shares, J (every node's GPUs when complete). */
  totalEnergyJ: number;
  totalUncertaintyJ: number;
  /** Whether every node's share is known (a run with an unknown share is flagged and left out of the means). */
  complete: boolean;
}

export interface RunRecord {
  index: number;
  startedAt: string;
  durationS: number;
  /** Random delay slept before the run, s. */
  delayS: number;
  cooldownS: number;
  startTemperatureC: number | null;
  endTemperatureC: number | null;
  queries: number;
  failedQueries: number;
  /** Counter delta over the whole run (all GPUs), J, as measured (not normalized). */
  totalEnergyJ: number;
  totalUncertaintyJ: number;
  unattributedEnergyJ: number;
  /** Per phase, as measured over this run's queries (not normalized). */
  phases: Record<string, RunPhaseRecord>;
  /** The run's CPU energy (RAPL), as measured; null when CPU energy was not read (absent in reports of older versions). */
  cpu?: CpuRecord | null;
  /** Every node's GPU energy over the run, when the benchmark spans nodes (null or absent otherwise; totalEnergyJ is this node's alone). */
  nodes?: RunNodesRecord | null;
  /** What interleaving cost: the run less its gaps and every phase's isolatedEnergyJ, J, ±95%; null without calibration, absent in older reports. */
  interleavingOverheadJ?: number | null;
  interleavingOverheadUncertaintyJ?: number | null;
  /** The AI Energy Score's separate passes over this run's dataset (scoreMethod 'separate-passes'; null or absent otherwise). */
  separatePasses?: SeparatePassesRecord | null;
  /**
   * Per phase, Wh per 1,000 queries (normalized; idle-subtracted when that option is on). Across
   * nodes, every node's GPUs: the remote nodes' energy is apportioned to the phases as the local
   * GPUs' energy is split between them.
   */
  phaseWhPer1000: Record<string, number>;
  method: 'energy-counter' | 'counter-interpolated' | 'counter-regression' | 'power-integration';
  /** `throttled` comes from the clocks event reasons below; where the driver reports none, it is guessed (and `throttle-guessed` is set too). */
  flags: string[];
  /**
   * Why the clocks were below their maximum at some time in the run, by NVML's reason names
   * (`sw-power-cap`, `sw-thermal-slowdown`, …; `gpu-idle` left out); null when the driver reports none.
   */
  clocksEventReasons: string[] | null;
  /** Why this run is unstable (empty when stable). */
  unstable: string[];
  /** Whether the run counts in the means. */
  included: boolean;
  /** Failed queries by error code (e.g. WATTSCOPE_HTTP_STATUS, WATTSCOPE_STREAM_DROPPED). */
  errors: Record<string, number>;
  /** Serving metrics, when the handler measured a model server. */
  serving: ServingRecord | null;
  /** Image or video generation, when the handler returned diffusion batches (absent otherwise). */
  diffusion?: DiffusionRecord | null;
}

export interface ReportGpu {
  index: number;
  cudaIndex: number | null;
  uuid: string | null;
  name: string | null;
  migInstance: string | null;
  powerSource: string;
  hasEnergyCounter: boolean;
  powerLimitW: number | null;
  /** The power sensor as measured from the samples (kind, refresh period); absent in reports of older versions. */
  sensor?: { kind: 'instant' | 'periodic' | 'average-1s' | 'unknown'; refreshPeriodMs: number | null; changesSeen: number };
  /** Whether the driver kept its own power samples (nvmlDeviceGetSamples), or its refusal; absent in reports of older versions. */
  driverSamples?: { available: boolean; refusal: string | null };
  /** When the GPU's energy counter was read (counterReads, 'auto' resolved); absent in reports of older versions. */
  counterReads?: 'every-sample' | 'around-steps' | 'sparse';
}

/** The inference engine a benchmark ran in, where its handler says (llamaHandler does). */
export interface EngineRecord {
  name: string;
  version: string;
  /** The llama.cpp release the engine's binary is built from. */
  llamaCppRelease: string | null;
  /** What the engine computes on: 'cuda', 'vulkan', 'metal' or 'cpu'. */
  build: string;
  /** 'prebuilt' (the engine's npm binaries) or 'localBuild'. */
  binary: string;
  /** Model layers offloaded to the GPU. */
  gpuLayers: number;
  model: {
    /** The model file's name (not its path). */
    file: string;
    sizeBytes: number;
    sha256: string;
    /** GGUF's file type as llama.cpp names it (MOSTLY_Q4_K_M, ALL_F32…), or null when the file does not say. */
    quantization: string | null;
    architecture: string | null;
    name: string | null;
  };
}

export interface WattscopeReport {
  schemaVersion: 1;
  tool: { name: 'wattscope'; version: string };
  /** running: runs still to come (or the process died: see state); complete; interrupted (Ctrl-C); failed. */
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  error: string | null;
  createdAt: string;
  updatedAt: string;
  benchmark: {
    task: string | null;
    model: string | null;
    workload: string;
    dataset: { source: string; name: string; format: string; rows: number; columns: string[] };
    /** Factor from measured energy to energy per 1,000 queries (1000 / rows). */
    per1000Scale: number;
    runsPlanned: number;
    runsCompleted: number;
    warmupQueries: number;
    phases: string[];
    /** A reasoning model's state for this benchmark (`off`, `on`, `on-high`…), or null when not stated. */
    reasoning: string | null;
    /** The inference engine, where the handler says (absent otherwise, and in older reports). */
    engine?: EngineRecord | null;
  };
  settings: {
    sampleHz: number;
    randomDelayMaxS: number;
    cooldown: { enabled: boolean; maxWaitS: number; temperatureMarginC: number; powerMarginW: number };
    idleMeasureS: number;
    subtractIdle: boolean;
    excludeUnstable: boolean;
    /** The other nodes whose GPU energy each run adds, read from Prometheus (absent when the benchmark runs on one node). */
    nodes?: { prometheus: string; exporters: string[]; clockSkewMs: number; counterLagMs: number } | null;
  };
  environment: { node: string; platform: string; arch: string; hostname: string; cpus: number };
  device: { simulated: boolean; libraryPath: string; driverVersion: string | null; nvmlVersion: string | null; missingSymbols: string[]; gpus: ReportGpu[] };
  idle: { powerW: number; durationS: number; uncertaintyW: number; temperatureC: number | null } | null;
  runs: RunRecord[];
  aggregate: {
    includedRuns: number[];
    excludedRuns: Array<{ index: number; reasons: string[] }>;
    /** Per phase across included runs: Wh per 1,000 queries. */
    phaseWhPer1000: Record<string, RunStatistic>;
    /** Sum of the phases across included runs: Wh per 1,000 queries (the AI Energy Score). */
    totalWhPer1000: RunStatistic;
    /** Unattributed (between phases) Wh per 1,000 queries across included runs. */
    unattributedWhPer1000: RunStatistic;
  } | null;
  aiEnergyScore: {
    gpuEnergyWh: number;
    /** Which figures the files hold: each run's in-situ phases, or its separate passes (absent in older reports: in situ). */
    method?: ScoreMethod;
    summary: { units: 'Wh'; total: number; preprocess_wh: number | null; prefill_wh: number | null; decode_wh: number | null };
  } | null;
  notes: string[];
  /** Whether the result can stand on the AI Energy Score leaderboard, and why not (it runs anyway). */
  comparability: { leaderboardComparable: boolean; reasons: string[]; modelClass: 'A' | 'B' | 'C' | null };
  /** On the simulated GPU only: the simulator's exact energy, beside which the estimates can be judged. */
  simulatedTruth?: SimulatedTruth;
}
