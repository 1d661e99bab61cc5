/**
 * One GPU's reading for the exporter: its status, and its energy counter taken from the monitor's
 * sampler where the sampler holds it closely enough (ESTIMATE_TOLERANCE_S). On a real H200 a counter read takes
 * ~3 ms of busy CPU (8 GPUs read at every scrape: 25 ms); the sampler already anchors the counter
 * and samples the power since, so a scrape need not read it. A reading that throws (GPU lost, driver
 * gone) records the GPU as down and is never thrown past the exporter.
 */
import type { CounterEstimate } from '../timeline/counter-estimate.js';
import type { DeviceStatus } from '../nvml/session.js';
import type { CounterBridge } from './counter-bridge.js';

/** What a reading needs of the NVML session. */
export interface StatusSource {
  status(index: number): DeviceStatus;
  statusWithoutCounter(index: number): Omit<DeviceStatus, 'totalEnergyJ'>;
}

/** What a reading needs of the monitor: which GPUs it samples, and its counter at its latest sample. */
export interface CounterEstimateSource {
  readonly gpus: readonly { index: number }[];
  counterEstimate(index: number): CounterEstimate | null;
}

/** One exported GPU's state, updated by each reading. */
export interface GpuReadingState {
  index: number;
  bridge: CounterBridge;
  status: DeviceStatus | null;
  /** Why the latest reading failed, e.g. NVML_ERROR_GPU_IS_LOST; null when it answered. */
  failure: string | null;
  /** Where the latest counter came from. */
  counterSource: 'sampler' | 'read' | null;
}

/**
 * How close the sampler's estimate must be to the counter for a scrape to use it, in seconds of the
 * GPU's current power. A direct read is up to one counter step (~100 ms on an H100/H200) behind; the
 * estimate, between the sampler's sparse reads (every ~2 s), states up to ~0.1 s of the power
 * (seen on profile h200: 12 J at 120 W). At 0.25 s a scrape of 8 GPUs reads no counter once the
 * sampler has learnt their steps (it costs 3 ms per GPU otherwise), and a rate() over a 1 min window
 * is off by at most 0.8% (a read's: 0.3%). A wider estimate (the sampler still learning a GPU's
 * steps: seen +-70 J at 120 W) is not used: the counter is read.
 */
export const ESTIMATE_TOLERANCE_S = 0.25;

/** The least uncertainty an estimate is always allowed, J (at idle a read's staleness is small too). */
const ESTIMATE_FLOOR_J = 1;

/** Reads one GPU into `gpu`: never throws. */
export function readGpu(session: StatusSource, gpu: GpuReadingState, monitor: CounterEstimateSource | null): void {
  try {
    const estimate = monitor?.gpus.some((g) => g.index === gpu.index) ? monitor.counterEstimate(gpu.index) : null;
    const withoutCounter = estimate ? session.statusWithoutCounter(gpu.index) : null;
    const useEstimate = estimate !== null && withoutCounter !== null && estimateIsCloseEnough(estimate, withoutCounter);
    const status = useEstimate ? { ...withoutCounter, totalEnergyJ: estimate.rawCounterJ } : session.status(gpu.index);
    gpu.status = status;
    gpu.failure = null;
    gpu.counterSource = status.totalEnergyJ === null ? null : useEstimate ? 'sampler' : 'read';
    if (status.totalEnergyJ === null) return;
    // A counter never falls. The sampler's estimate is current to its latest sample, a read is up to
    // one counter step old, and a re-anchored estimate may land a little below what was exported (by
    // at most its stated uncertainty): the total is held until the counter passes it. A driver
    // reload (the counter restarting from 0) is not held: the bridge keeps the total across it.
    const lastJ = gpu.bridge.lastRawJ;
    const heldJ = lastJ !== null && status.totalEnergyJ < lastJ && lastJ - status.totalEnergyJ <= fallAllowedJ(estimate, status);
    gpu.bridge.update(heldJ ? lastJ : status.totalEnergyJ);
  } catch (err) {
    gpu.status = null;
    gpu.failure = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    gpu.counterSource = null;
  }
}

/** Whether the estimate's stated uncertainty is within ESTIMATE_TOLERANCE_S of the current power, J against J. */
function estimateIsCloseEnough(estimate: CounterEstimate, status: Omit<DeviceStatus, 'totalEnergyJ'>): boolean {
  const powerW = status.powerW ?? status.instantPowerW;
  if (powerW === null || !Number.isFinite(estimate.uncertaintyJ)) return false;
  return estimate.uncertaintyJ <= Math.max(ESTIMATE_FLOOR_J, ESTIMATE_TOLERANCE_S * powerW);
}

/** A direct read's staleness, s: the counter steps every ~100 ms. */
const READ_STALENESS_S = 0.1;

/**
 * How far below the last exported raw value a new one may fall and still be the same counter, J:
 * what either source can be ahead of the other (an estimate's tolerance plus a read's staleness).
 * A fall beyond it is a driver reload.
 */
function fallAllowedJ(estimate: CounterEstimate | null, status: DeviceStatus): number {
  const powerW = status.powerW ?? status.instantPowerW ?? 0;
  return Math.max(ESTIMATE_FLOOR_J, (ESTIMATE_TOLERANCE_S + READ_STALENESS_S) * powerW) + (estimate?.uncertaintyJ ?? 0);
}
