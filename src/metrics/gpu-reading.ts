/**
 * One GPU's reading for the exporter: its status, and its energy counter taken from the monitor's
 * sampler where the sampler holds it as closely as a read would. On a real H200 a counter read takes
 * ~3 ms of busy CPU (8 GPUs read at every scrape: 25 ms); the sampler already anchors the counter
 * and samples the power since, so a scrape need not read it. A reading that throws (GPU lost, driver
 * gone) records the GPU as down and is never thrown past the exporter.
 */
import type { CounterEstimate } from '../measure/counter-estimate.js';
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
 * How stale a direct counter read can be, s: the counter steps every ~100 ms on an H100/H200, so a
 * read returns the energy up to one step ago. An estimate whose stated uncertainty is within the
 * energy of that staleness at the current power is as close as a read; a wider one (the sampler
 * still learning a GPU's steps, seen ±80 J at 300 W in its first second) is not used.
 */
export const DIRECT_READ_STALENESS_S = 0.1;

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

/** Whether the estimate is as close to the counter as a direct read would be, J against J. */
function estimateIsCloseEnough(estimate: CounterEstimate, status: Omit<DeviceStatus, 'totalEnergyJ'>): boolean {
  const powerW = status.powerW ?? status.instantPowerW;
  if (powerW === null || !Number.isFinite(estimate.uncertaintyJ)) return false;
  return estimate.uncertaintyJ <= Math.max(ESTIMATE_FLOOR_J, DIRECT_READ_STALENESS_S * powerW);
}

/**
 * How far below the last exported raw value a new one may fall and still be the same counter, J:
 * what either source can be ahead of the other (an estimate's uncertainty plus a read's staleness).
 * A fall beyond it is a driver reload.
 */
function fallAllowedJ(estimate: CounterEstimate | null, status: DeviceStatus): number {
  const powerW = status.powerW ?? status.instantPowerW ?? 0;
  const stalenessJ = Math.max(ESTIMATE_FLOOR_J, DIRECT_READ_STALENESS_S * powerW);
  return 2 * stalenessJ + (estimate?.uncertaintyJ ?? 0);
}
