/** Result types of measurement scopes. */
import type { CpuEnergy } from '../cpu/cpu-energy.js';
import type { ClocksEventReason } from '../sampling/clocks-events.js';
import type { EnergyMethod, MeasurementFlag, RunFlag } from '../estimators/estimate.js';
import type { SelectedGpu } from '../sampling/gpu-selection.js';
import type { EnergyDecrease } from '../sampling/monotonicity.js';

export type { CpuEnergy, EnergyMethod, MeasurementFlag, RunFlag };

/** Energy of one scope on one GPU. */
export interface GpuEnergy {
  /** NVML index of the GPU. */
  gpu: number;
  energyJ: number;
  /** ~95% half-width, J. */
  uncertaintyJ: number;
  method: EnergyMethod;
  flags: MeasurementFlag[];
}

/** What a scope ended with: its function returned, threw, or it was ended by close(). */
export type ScopeOutcome = 'returned' | 'threw' | 'ended' | 'open-at-close';

interface MeasurementBase {
  /** Unique within the monitor. */
  id: number;
  name: string;
  /** The enclosing scope's id, from the async context (measure/query/phase), or null. */
  parentId: number | null;
  /** The query this scope belongs to, from the async context, or null. */
  queryId: string | null;
  /** The phase name when the scope is a query phase (preprocess, prefill, decode, or custom). */
  phase: string | null;
  /** Monotonic clock (process.hrtime.bigint()), ns. */
  startNs: bigint;
  endNs: bigint;
  durationS: number;
  outcome: ScopeOutcome;
  /** The error the wrapped function threw (it is rethrown too). */
  error: { name: string; message: string; code?: string } | null;
  /** Tokens processed, where given (for J/token). */
  tokens: number | null;
  /** Samples (inputs) processed, where given. */
  samples: number | null;
  /**
   * The CPU packages' and DRAM energy of the scope from RAPL (figures null with the reason where
   * RAPL is not readable), or null when the monitor does not read the CPU (`cpu: false`, or no GPU).
   */
  cpu: CpuEnergy | null;
}

/** A scope whose energy could be estimated. */
export interface MeasuredScope extends MeasurementBase {
  status: 'measured';
  /** Total over the measured GPUs, J. */
  energyJ: number;
  energyWh: number;
  /** ~95% half-width of energyJ, J (per-GPU uncertainties added in quadrature). */
  uncertaintyJ: number;
  avgPowerW: number;
  /** The least direct method used on any GPU. */
  method: EnergyMethod;
  /**
   * False while the scope's end lies after the last energy-counter update: the
   * value is a power extrapolation and will be refined (see monitor.settle()).
   */
  settled: boolean;
  energyPerTokenJ: number | null;
  gpus: GpuEnergy[];
  /** Why a figure deserves a second look (see MeasurementFlag). */
  flags: MeasurementFlag[];
}

/** A scope whose energy could not be estimated (GPU lost, monitor closed first). */
export interface UnavailableScope extends MeasurementBase {
  status: 'unavailable';
  reason: string;
  energyJ: null;
  uncertaintyJ: null;
  flags: MeasurementFlag[];
}

export type Measurement = MeasuredScope | UnavailableScope;

/** Totals of one phase over a run. */
export interface PhaseTotal {
  /** Energy attributed to this phase, J (overlapping phases share overlapped energy equally). */
  energyJ: number;
  energyWh: number;
  uncertaintyJ: number;
  count: number;
  durationS: number;
  tokens: number;
  samples: number;
  energyPerTokenJ: number | null;
  /** Each scope's tokens times its time, summed, token x s (what a power that grows with the tokens needs). */
  tokenSeconds: number;
  /** The phase's CPU packages' and DRAM energy (RAPL), or null when the monitor does not read the CPU. */
  cpu: CpuEnergy | null;
}

/** A run (e.g. one pass over a dataset): phases plus unattributed energy equal the total. */
export interface RunSummary {
  label: string;
  startNs: bigint;
  endNs: bigint;
  durationS: number;
  /** Counter delta over the whole run, all GPUs, J. */
  totalEnergyJ: number;
  totalUncertaintyJ: number;
  phases: Record<string, PhaseTotal>;
  /** Energy in the gaps between phases (no phase scope open), J. */
  unattributedEnergyJ: number;
  /** Its ~95% half-width, J: at most what the power's range allows over the gaps' time, and at most the total's and the phases' together. */
  unattributedUncertaintyJ: number;
  /** The run's CPU packages' and DRAM energy (RAPL), or null when the monitor does not read the CPU. */
  cpu: CpuEnergy | null;
  /** CPU energy in the gaps between phases, or null. */
  unattributedCpu: CpuEnergy | null;
  queries: number;
  /** Queries whose function threw (their phases are still measured). */
  failedQueries: number;
  method: EnergyMethod;
  flags: RunFlag[];
  gpus: SelectedGpu[];
  /**
   * Why the clocks were below their maximum at some time in the run, by NVML's reason names
   * (`sw-power-cap`, `sw-thermal-slowdown`, …; `gpu-idle` left out), on any GPU; null when a
   * GPU's driver does not report clocks event reasons.
   */
  clocksEvents: ClocksEventReason[] | null;
  /** Every phase scope's span, when the run was started with `keepSpans: true` (for timelines). */
  spans?: Array<{ phase: string; queryId: string | null; startNs: bigint; endNs: bigint }>;
}

/** A query's record from monitor.query(). */
export interface QueryRecord<T> {
  id: string;
  result: T | undefined;
  measurement: Measurement;
  phases: Measurement[];
}

/** Serializes bigint timestamps as decimal strings (for JSON reports). */
export function toJsonSafe<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** The monitor's own figures: the sampler's rate and cost, memory held, boundaries waiting, energy decreases seen. */
export interface MonitorStats {
  sampleHz: number;
  achievedHz: number;
  ticks: number;
  lateTicks: number;
  droppedSamples: number;
  meanPollNs: number;
  /** The share of one CPU core the sampler thread has used since it started (0.5: half a core). */
  samplerCpuFraction: number;
  /**
   * Per GPU, each kind of reading since the sampler started: power and energy counter reads (how
   * many, and per second), the counter read's mean duration, ns (about 3 ms on an H200, whose
   * driver busy-waits), and with counterReads 'around-steps' how often the learnt update grid was
   * found wrong and relearnt (reading at every tick meanwhile), and the driver's power samples.
   */
  gpus: Array<{
    gpu: number;
    powerReads: number;
    counterReads: number;
    powerReadsPerS: number;
    counterReadsPerS: number;
    meanCounterReadNs: number;
    counterRelearns: number;
    /**
     * The driver's own power samples (see `monitor.gpus[i].driverSamples`): how many were taken
     * and per second (about 50 on an H200), how often its buffer was drained and the mean time a
     * drain took, ns (~280 µs on an H200), samples lost before JS took them, and the latest
     * drain's failure (an NVML return code's name; null when it succeeded).
     */
    driverSamples: number;
    driverSamplesPerS: number;
    driverDrainsPerS: number;
    meanDriverDrainNs: number;
    driverSamplesLost: number;
    driverSamplesError: string | null;
  }>;
  /** RAPL zone reads made by the sampler thread, and their mean duration, ns (0 without CPU energy). */
  raplReads: number;
  meanRaplReadNs: number;
  bytesHeld: number;
  pendingBoundaries: number;
  /** Times cumulative energy was seen to run backwards (always 0 unless something is wrong; see `energyDecreases`). */
  energyDecreases: number;
  /** The first few such decreases, with where they were seen. */
  energyDecreaseDetails: EnergyDecrease[];
}

export type { DriverPowerSamples } from '../sampling/driver-power.js';

export type { TimelineSamples } from '../sampling/sample-store.js';
