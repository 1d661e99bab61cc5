/**
 * A monitor's sampling: the NVML session, the native sampler thread over the selected GPUs, one
 * PowerTimeline per GPU fed from the sampler's batches, and the timer that drains them. A monitor
 * opened without a GPU (`ifUnavailable: 'noop'`) has NoGpuSampling instead (monitor-sampling.ts).
 * The native binding is passed in (wattscope's addon by default; the unit tier passes a fake).
 */
import { loadBinding, type EnergySourceName, type NativeBinding, type NativeHandle, type NativeSamplerStats, type PowerSourceName } from '../native/binding.js';
import type { CpuSampling } from '../cpu/cpu-sampling.js';
import { NvmlSession, type DeviceStatus, type LibraryInfo } from '../nvml/session.js';
import { selectGpus, type SelectedGpu } from '../sampling/gpu-selection.js';
import type { ResolvedMonitorOptions } from './options.js';
import type { SensorInfo } from '../sampling/sensor-detect.js';
import type { OtelGpu } from './otel-types.js';
import type { EnergyDecrease } from '../sampling/monotonicity.js';
import type { MonitorStats } from './types.js';
import { DriverPowerSeries } from '../sampling/driver-power.js';
import { PowerTimeline } from '../timeline/timeline.js';
import type { MonitorSampling } from './monitor-sampling.js';

/** Sampler facts per GPU. */
export interface MonitorGpu extends SelectedGpu {
  powerSource: PowerSourceName;
  hasEnergyCounter: boolean;
  energySource: EnergySourceName;
  /** The driver reports why the clocks slow down (power cap, temperature): runs are flagged by the reason's name. */
  hasClocksEventReasons: boolean;
  powerLimitW: number | null;
  /**
   * The driver's own power samples (nvmlDeviceGetSamples, each the mean power since the previous
   * one, every ~20 ms on an H200): `available`, drained by the sampler thread every 250 ms into
   * `monitor.driverPower()`; or not, with the driver's answer (older drivers, MIG instances), where
   * the polled power is all there is.
   */
  driverSamples: { available: boolean; refusal: string | null };
  /** When its energy counter is read (the counterReads option, 'auto' resolved for this GPU). */
  counterReads: 'every-sample' | 'around-steps' | 'sparse';
  /**
   * The power sensor as measured from the samples so far (refreshed at every drain): `instant`,
   * `periodic` (refreshed every `refreshPeriodMs`, as an H100's is every ~100 ms), `average-1s`
   * or `unknown`. Anything but `instant` is treated as coarse: see the README.
   */
  sensor: SensorInfo;
}

/** Errors that mean this machine has no GPU to measure (no NVML, no driver, no addon for the platform). */
const NO_GPU_CODES = new Set(['NVML_ERROR_LIBRARY_NOT_FOUND', 'NVML_ERROR_DRIVER_NOT_LOADED', 'NVML_ERROR_FUNCTION_NOT_FOUND', 'WATTSCOPE_NATIVE_MISSING']);

/** True when `err` says this machine has no GPU to measure. */
export function meansNoGpu(err: unknown): boolean {
  return NO_GPU_CODES.has(String((err as { code?: unknown } | null)?.code));
}

/**
 * Opens NVML and selects the GPUs to measure; without a GPU (with `ifUnavailable: 'noop'`), why
 * not instead. The session is closed again when selection fails.
 */
export function openGpus(
  o: ResolvedMonitorOptions,
  binding?: NativeBinding,
): { session: NvmlSession; selected: SelectedGpu[]; binding: NativeBinding } | { unavailable: string } {
  let session: NvmlSession;
  try {
    // The session loads the addon once it has found the library (a missing simulated GPU is named as such).
    session = NvmlSession.open({ ...(o.simulate !== undefined ? { simulate: o.simulate } : {}), ...(o.library ? { library: o.library } : {}) }, binding);
  } catch (err) {
    if (o.ifUnavailable === 'noop' && meansNoGpu(err)) return { unavailable: (err as Error).message };
    throw err;
  }
  try {
    if (o.ifUnavailable === 'noop' && session.deviceCount() === 0) {
      session.close();
      return { unavailable: 'NVML reports no GPU on this machine' };
    }
    return { session, selected: selectGpus(session, o), binding: binding ?? loadBinding() };
  } catch (err) {
    session.close();
    throw err;
  }
}

export class GpuSampling implements MonitorSampling {
  readonly measures = true;
  readonly session: NvmlSession;
  readonly gpus: MonitorGpu[];
  readonly timelines: PowerTimeline[];
  /** Per GPU (the timelines' order), the driver's power samples. */
  readonly driverPower: DriverPowerSeries[];
  readonly #binding: NativeBinding;
  readonly #sampler: NativeHandle;
  readonly #timer: NodeJS.Timeout;
  /** The RAPL zones the same thread reads, or null. */
  readonly #cpu: CpuSampling | null;
  #stopped = false;

  /**
   * Starts sampling `gpus`, and the RAPL zones of `cpu` on the same thread (every device query
   * first, so that nothing can throw once the thread runs).
   */
  constructor(
    options: ResolvedMonitorOptions,
    session: NvmlSession,
    gpus: SelectedGpu[],
    originNs: bigint,
    onDrainTick: () => void,
    cpu: CpuSampling | null,
    binding: NativeBinding,
  ) {
    this.session = session;
    this.#cpu = cpu?.measuring ? cpu : null;
    this.#binding = binding;
    const powerLimitsW = gpus.map((g) => session.device(g.index).powerLimitW);
    const capacity = Math.max(1024, Math.ceil(options.sampleHz * 10));
    const started = this.#binding.samplerStart(
      session.handle,
      gpus.map((g) => g.index),
      options.sampleHz,
      capacity,
      this.#cpu?.request(),
      options.counterReads === 'every-sample' ? 'every-tick' : options.counterReads,
    );
    this.#sampler = started.handle;
    this.gpus = gpus.map((g, i) => ({
      ...g,
      powerSource: started.slots[i]!.powerSource,
      hasEnergyCounter: started.slots[i]!.hasEnergyCounter,
      energySource: started.slots[i]!.energySource,
      hasClocksEventReasons: started.slots[i]!.hasClocksEventReasons,
      driverSamples: { available: started.slots[i]!.hasDriverSamples, refusal: started.slots[i]!.driverSamplesRefusal },
      counterReads: started.slots[i]!.counterReads === 'every-tick' ? 'every-sample' : started.slots[i]!.counterReads,
      sensor: { kind: 'unknown', refreshPeriodMs: null, changesSeen: 0 },
      powerLimitW: powerLimitsW[i]!,
    }));
    this.driverPower = this.gpus.map((g) => new DriverPowerSeries(g.index, originNs, options.retentionS));
    // Where the counter is read sparsely, each counter step is shared out by the driver's own
    // power samples (each the mean power since the one before, as the measured H200's are).
    this.timelines = this.gpus.map((g, i) => {
      const averaged = g.powerSource.startsWith('average-1s');
      const driverPower = g.driverSamples.available && g.counterReads === 'sparse' ? this.driverPower[i]! : null;
      return new PowerTimeline(g.index, originNs, g.hasEnergyCounter, options.sampleHz, options.retentionS, averaged, g.powerLimitW, driverPower);
    });
    this.#timer = setInterval(onDrainTick, options.drainIntervalMs);
    this.#timer.unref();
  }

  get library(): LibraryInfo {
    return this.session.library;
  }

  nowNs(): bigint {
    return this.#binding.nowNs();
  }

  deviceStatus(index: number): DeviceStatus {
    return this.session.status(index);
  }

  /** Moves the sampler's new samples into the timelines, and each GPU's sensor judgement into `gpus`. */
  drain(): void {
    if (this.#stopped) return;
    this.#binding.samplerDrain(this.#sampler).forEach((batch, i) => {
      const timeline = this.timelines[i]!;
      timeline.append(batch.tNs, batch.energyMj, batch.powerMw, batch.energyRet, batch.powerRet);
      timeline.clocksEvents.append(
        Array.from(batch.clocksEventTNs, (t) => Number(t - timeline.originNs)),
        batch.clocksEventReasons,
      );
      this.driverPower[i]!.append(batch.driverTNs, batch.driverPowerMw);
      this.gpus[i]!.sensor = timeline.sensor;
    });
    if (this.#cpu !== null) this.#cpu.append(this.#binding.samplerDrainRapl(this.#sampler));
  }

  /** Each GPU as OpenTelemetry reads it: its identity, NVML's energy counter and the latest sampled power. */
  otelGpus(): OtelGpu[] {
    if (this.#stopped) return [];
    return this.gpus.map((g, i) => ({
      index: g.index,
      uuid: g.uuid,
      name: g.name,
      energyJ: () => (this.#stopped ? null : this.session.status(g.index).totalEnergyJ),
      powerW: () => this.timelines[i]!.lastPowerW,
    }));
  }

  /** The sampler's counters, or null once stopped. */
  stats(): NativeSamplerStats | null {
    return this.#stopped ? null : this.#binding.samplerStats(this.#sampler);
  }

  /** Stops the timer and the sampler thread, and closes NVML. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#binding.samplerStop(this.#sampler);
    this.session.close();
  }
}

/** monitor.stats(): the sampler's figures, the boundaries still to settle and the counter decreases seen. */
export function monitorStats(
  sampleHz: number,
  sampling: MonitorSampling | null,
  timelines: readonly PowerTimeline[],
  originNs: bigint,
  settlement: { pendingBoundaries: number; monotonicity: { count: number; decreases: readonly EnergyDecrease[] } },
): MonitorStats {
  return {
    sampleHz,
    ...samplerFigures(sampling, timelines, originNs),
    pendingBoundaries: settlement.pendingBoundaries,
    energyDecreases: settlement.monotonicity.count,
    energyDecreaseDetails: [...settlement.monotonicity.decreases],
  };
}

/**
 * The sampler's figures for monitor.stats(): its achieved rate, ticks, late ticks, drops, poll
 * cost, counter reads (rate, mean time), its thread's CPU, and the memory the timelines hold.
 */
export function samplerFigures(sampling: MonitorSampling | null, timelines: readonly PowerTimeline[], originNs: bigint) {
  const s = sampling?.stats() ?? null;
  const nowNs = sampling?.nowNs() ?? process.hrtime.bigint();
  const elapsedS = Number(nowNs - originNs) / 1e9;
  // The sampler thread's own figures count from its start.
  const sinceStartS = s ? Number(nowNs - s.startedNs) / 1e9 : 0;
  return {
    achievedHz: s ? s.ticks / Math.max(elapsedS, 1e-9) : 0,
    ticks: s?.ticks ?? 0,
    lateTicks: s?.lateTicks ?? 0,
    droppedSamples: s ? s.dropped.reduce((a, b) => a + b, 0) : 0,
    meanPollNs: s && s.ticks ? s.pollNsTotal / s.ticks : 0,
    samplerCpuFraction: s ? s.threadCpuNs / 1e9 / Math.max(sinceStartS, 1e-9) : 0,
    // Per GPU (sampler slots are the timelines' order): each kind of reading's rate and cost.
    gpus: timelines.map((timeline, slot) => ({
      gpu: timeline.gpu,
      powerReads: s?.ticks ?? 0,
      counterReads: s?.energyReads[slot] ?? 0,
      powerReadsPerS: s ? s.ticks / Math.max(sinceStartS, 1e-9) : 0,
      counterReadsPerS: s ? (s.energyReads[slot] ?? 0) / Math.max(sinceStartS, 1e-9) : 0,
      meanCounterReadNs: s && s.energyReads[slot] ? s.energyReadNsTotal[slot]! / s.energyReads[slot]! : 0,
      counterRelearns: s?.counterRelearns[slot] ?? 0,
      driverSamples: s?.driverSamples[slot] ?? 0,
      driverSamplesPerS: s ? (s.driverSamples[slot] ?? 0) / Math.max(sinceStartS, 1e-9) : 0,
      driverDrainsPerS: s ? (s.driverPolls[slot] ?? 0) / Math.max(sinceStartS, 1e-9) : 0,
      meanDriverDrainNs: s && s.driverPolls[slot] ? s.driverPollNsTotal[slot]! / s.driverPolls[slot]! : 0,
      driverSamplesLost: s?.driverDropped[slot] ?? 0,
      driverSamplesError: s?.driverLastError[slot] ?? null,
    })),
    raplReads: s?.raplReads ?? 0,
    meanRaplReadNs: s && s.raplReads ? s.raplReadNsTotal / s.raplReads : 0,
    bytesHeld: timelines.reduce((a, t) => a + t.bytes, 0),
  };
}
