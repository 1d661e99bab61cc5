/**
 * What a monitor measures with: its GPUs' sampling (GpuSampling), or, opened without a GPU
 * (`ifUnavailable: 'noop'`), NoGpuSampling, a null object that samples nothing, so that the
 * monitor has one code path and asks `measures` only where measuring nothing means something else
 * (a scope settled at once, a run with no energy to sum).
 */
import { CpuSampling } from '../cpu/cpu-sampling.js';
import type { NativeBinding, NativeSamplerStats } from '../native/binding.js';
import type { DeviceStatus, LibraryInfo, NvmlSession } from '../nvml/session.js';
import type { SelectedGpu } from '../sampling/gpu-selection.js';
import type { DriverPowerSeries } from '../sampling/driver-power.js';
import type { PowerTimeline } from '../timeline/timeline.js';
import { WattscopeError } from '../util/errors.js';
import { GpuSampling, type MonitorGpu } from './gpu-sampling.js';
import type { ResolvedMonitorOptions } from './options.js';
import type { OtelGpu } from './otel-types.js';

/** What a monitor is built on, where not the default. */
export interface MonitorDependencies {
  /** The native surface NVML and the sampler are reached through (default: wattscope's addon). Tests pass a fake one, whose clock is then the monitor's. */
  binding?: NativeBinding;
}

/** The GPUs a monitor opened (openGpus), or why it has none. */
export type OpenedGpus = { session: NvmlSession; selected: SelectedGpu[]; binding: NativeBinding } | { unavailable: string };

export interface MonitorSampling {
  /** False for the no-GPU monitor: nothing is sampled, every scope is unmeasured. */
  readonly measures: boolean;
  readonly library: LibraryInfo;
  readonly gpus: MonitorGpu[];
  /** One per GPU, in `gpus`' order. */
  readonly timelines: PowerTimeline[];
  /** Per GPU (the timelines' order), the driver's power samples. */
  readonly driverPower: DriverPowerSeries[];
  /** The monotonic clock the samples are stamped on, ns. */
  nowNs(): bigint;
  /** Moves what was sampled since the last call into the timelines. */
  drain(): void;
  /** A point-in-time NVML reading of GPU `index`. */
  deviceStatus(index: number): DeviceStatus;
  /** Each GPU as OpenTelemetry reads it. */
  otelGpus(): OtelGpu[];
  /** The sampler's counters, or null (stopped, or nothing sampled). */
  stats(): NativeSamplerStats | null;
  /** Stops sampling and releases NVML. Idempotent. */
  stop(): void;
}

/** The sampling of a monitor without a GPU: nothing, on the process's monotonic clock. */
export class NoGpuSampling implements MonitorSampling {
  readonly measures = false;
  readonly library: LibraryInfo = {
    path: '',
    source: 'default',
    simulated: false,
    driverVersion: null,
    nvmlVersion: null,
    boundSymbols: [],
    missingSymbols: [],
  };
  readonly gpus: MonitorGpu[] = [];
  readonly timelines: PowerTimeline[] = [];
  readonly driverPower: DriverPowerSeries[] = [];

  nowNs(): bigint {
    return process.hrtime.bigint();
  }

  drain(): void {}

  deviceStatus(index: number): DeviceStatus {
    throw new WattscopeError('WATTSCOPE_UNKNOWN_GPU', `GPU ${index} is not measured by this monitor`, { field: 'gpu' });
  }

  otelGpus(): OtelGpu[] {
    return [];
  }

  stats(): NativeSamplerStats | null {
    return null;
  }

  stop(): void {}
}

/**
 * Starts a monitor's sampling: its origin on the samples' clock, the GPUs' sampling (with the RAPL
 * zones on the same thread unless `cpu: false`), or NoGpuSampling and why.
 */
export function startSampling(
  options: ResolvedMonitorOptions,
  gpus: OpenedGpus,
  onDrainTick: () => void,
): { originNs: bigint; sampling: MonitorSampling; cpu: CpuSampling | null; unavailableReason: string | null } {
  if ('unavailable' in gpus) return { originNs: process.hrtime.bigint(), sampling: new NoGpuSampling(), cpu: null, unavailableReason: gpus.unavailable };
  const originNs = gpus.binding.nowNs();
  const cpu = options.cpu === false ? null : new CpuSampling(options, originNs);
  const sampling = new GpuSampling(options, gpus.session, gpus.selected, originNs, onDrainTick, cpu, gpus.binding);
  return { originNs, sampling, cpu, unavailableReason: null };
}
