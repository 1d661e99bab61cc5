/**
 * Options of EnergyMonitor.open(): plain TypeScript types, read by a small validator (no zod on
 * the measuring path, so that importing wattscope and opening a monitor stays fast). Every
 * default is stated here and in the README.
 */
import { OptionReader } from '../util/option-reader.js';
import type { CpuEstimateOptions } from '../cpu/cpu-estimate.js';
import type { Measurement } from './types.js';

export interface MonitorOptions {
  /** GPUs to measure: 'all' (default: all CUDA-visible), CUDA indices, or GPU-/MIG- UUIDs. */
  gpus?: 'all' | Array<number | string>;
  /**
   * The sampler's tick rate, Hz (1 to 20,000; default 1,000): how often it reads each GPU's
   * power (the cheap fields) and, with counterReads 'every-sample', its energy counter. The
   * counter's sparse windows are scheduled on these ticks, and the driver's own power samples are
   * drained every 250 ms whatever the rate.
   */
  sampleHz?: number;
  /**
   * When the sampler reads each GPU's energy counter: 'every-sample' (at every tick),
   * 'around-steps' (the counter's update grid learnt, then read only from just before each
   * expected update until it is seen: a few reads per 100 ms update), 'sparse' (the grid learnt,
   * then one update in each second read, in a window of about two reads; between them the
   * driver's own 20 ms power samples share each step out), or 'auto' (default: per GPU, 'sparse'
   * where the driver keeps its power samples and a counter read costs 1 ms or more, as an H200's
   * busy-waiting ~3 ms read does; else 'every-sample'). `monitor.gpus[i].counterReads` says which.
   */
  counterReads?: 'auto' | 'every-sample' | 'around-steps' | 'sparse';
  /**
   * How late the GPU's drawn power may follow its work, ms (the mean delay of its power response;
   * 0 to 1,000; default 20). A measured H200 draws a phase's power 9 ms and more after the phase
   * began and goes on drawing it ~40 ms after it ended (12-20 ms mean delay). On a coarse sensor,
   * where each phase's power is learnt from the counter's steps, a phase's interval then includes
   * the energy this delay may move across its boundaries; 0 states that the power follows the work
   * at once, which no real GPU does (even the simulated one applies a change at its next read).
   */
  powerResponseMs?: number;
  /** Seconds of full-rate samples kept for timelines and estimates (5 to 86,400; default 120). */
  retentionS?: number;
  /**
   * How long to wait for the counter to update past a boundary before extrapolating, ms (0 to
   * 60,000; default 4,000: with counterReads 'sparse' the counter is read every ~2 s, a window missed
   * on a busy machine puts the next 4 s after the last, and the driver's power samples are drained
   * every 250 ms).
   */
  settleTimeoutMs?: number;
  /** How often JS drains the native sampler, ms (1 to 1,000; default 50). */
  drainIntervalMs?: number;
  /** CUDA_VISIBLE_DEVICES to honour (default: the environment's). */
  cudaVisibleDevices?: string;
  /** CUDA_DEVICE_ORDER to honour: 'PCI_BUS_ID', or CUDA's default 'FASTEST_FIRST' (default: the environment's). */
  cudaDeviceOrder?: string;
  /** Use the simulated GPU shipped with wattscope (profile h200, the measured H200, unless WATTSCOPE_SIM_SENSOR chooses h100 or ideal; `'legacy'`: an old driver's NVML). */
  simulate?: boolean | 'h100' | 'legacy';
  /** Path of the NVML library (also WATTSCOPE_NVML_LIBRARY). */
  library?: string;
  /**
   * Without a GPU to measure (no NVML, no driver, no GPU, or no addon for this platform):
   * 'throw' (default) the error, or 'noop': a monitor whose scopes run the code and measure
   * nothing, each measurement `unavailable` with the reason `no-gpu` (for production code that
   * also runs on machines without a GPU).
   */
  ifUnavailable?: 'throw' | 'noop';
  /** Called with every scope's final (settled) measurement. */
  onMeasurement?: (m: Measurement) => void;
  /**
   * CPU package and DRAM energy from RAPL (Linux powercap), read on the sampler's thread:
   * 'auto' (default) where readable, else each measurement's `cpu` says why not; true: an error
   * (WATTSCOPE_NO_RAPL) where it cannot be read; false: not read (`cpu: null`).
   */
  cpu?: boolean | 'auto';
  /** Rate of the RAPL reads, Hz (1 to sampleHz; default: sampleHz). */
  cpuSampleHz?: number;
  /** The powercap tree to read (default: WATTSCOPE_POWERCAP_ROOT, else /sys/class/powercap). */
  powercapRoot?: string;
  /**
   * Off by default. Where RAPL does not measure the packages or the DRAM (virtual machines),
   * estimate them as CodeCarbon does: the CPU at `cpuShare` (0.5) of `tdpW` (required), the RAM at
   * `wattsPerGb` (0.375: 3 W per 8 GB) of `ramGb` (default: the host's total memory). Always flagged `estimate`.
   */
  cpuEstimate?: CpuEstimateOptions;
}

/** The options with their defaults filled in. */
export interface ResolvedMonitorOptions extends Omit<
  MonitorOptions,
  'gpus' | 'sampleHz' | 'retentionS' | 'settleTimeoutMs' | 'drainIntervalMs' | 'ifUnavailable' | 'cpu' | 'cpuSampleHz' | 'counterReads' | 'powerResponseMs'
> {
  powerResponseMs: number;
  counterReads: 'auto' | 'every-sample' | 'around-steps' | 'sparse';
  cpu: boolean | 'auto';
  cpuSampleHz: number;
  gpus: 'all' | Array<number | string>;
  sampleHz: number;
  retentionS: number;
  settleTimeoutMs: number;
  drainIntervalMs: number;
  ifUnavailable: 'throw' | 'noop';
}

const MONITOR_OPTION_KEYS = [
  'gpus',
  'sampleHz',
  'counterReads',
  'powerResponseMs',
  'retentionS',
  'settleTimeoutMs',
  'drainIntervalMs',
  'cudaVisibleDevices',
  'cudaDeviceOrder',
  'simulate',
  'library',
  'ifUnavailable',
  'onMeasurement',
  'cpu',
  'cpuSampleHz',
  'powercapRoot',
  'cpuEstimate',
] as const;

/** `cpuEstimate`: { tdpW (required), cpuShare, ramGb, wattsPerGb }, each a number in its range. */
function readCpuEstimate(reader: OptionReader): CpuEstimateOptions | undefined {
  const value = reader.raw('cpuEstimate');
  if (value === undefined) return undefined;
  const inner = new OptionReader(value, 'EnergyMonitor options', ['tdpW', 'cpuShare', 'ramGb', 'wattsPerGb'], 'cpuEstimate.');
  const tdpW = inner.number('tdpW', { min: 1, max: 10000 }, undefined);
  if (tdpW === undefined) throw reader.error('cpuEstimate.tdpW', "missing (the CPU packages' TDP in W, from the datasheet: no guess is made)");
  const estimate: CpuEstimateOptions = { tdpW };
  const cpuShare = inner.number('cpuShare', { min: 0, max: 1 }, undefined);
  const ramGb = inner.number('ramGb', { min: 0, max: 1e6 }, undefined);
  const wattsPerGb = inner.number('wattsPerGb', { min: 0, max: 100 }, undefined);
  if (cpuShare !== undefined) estimate.cpuShare = cpuShare;
  if (ramGb !== undefined) estimate.ramGb = ramGb;
  if (wattsPerGb !== undefined) estimate.wattsPerGb = wattsPerGb;
  return estimate;
}

/** `gpus`: 'all', or a non-empty array of CUDA indices (integers from 0) and UUIDs (non-empty strings). */
function readGpus(reader: OptionReader): 'all' | Array<number | string> {
  const value = reader.raw('gpus');
  if (value === undefined || value === 'all') return 'all';
  const valid = (g: unknown) => (typeof g === 'number' && Number.isInteger(g) && g >= 0) || (typeof g === 'string' && g.length > 0);
  if (!Array.isArray(value) || value.length === 0 || !value.every(valid)) {
    throw reader.error('gpus', "expected 'all' or a non-empty array of CUDA indices (integers from 0) and GPU-/MIG- UUIDs");
  }
  return [...(value as Array<number | string>)];
}

/** Validates EnergyMonitor options and fills in the defaults; a WattscopeError names the field at fault. */
export function parseMonitorOptions(input: unknown): ResolvedMonitorOptions {
  const reader = new OptionReader(input, 'EnergyMonitor options', MONITOR_OPTION_KEYS);
  const resolved: ResolvedMonitorOptions = {
    gpus: readGpus(reader),
    sampleHz: reader.number('sampleHz', { min: 1, max: 20000 }, 1000),
    counterReads: reader.choice('counterReads', ['auto', 'every-sample', 'around-steps', 'sparse'] as const, 'auto'),
    powerResponseMs: reader.number('powerResponseMs', { min: 0, max: 1000 }, 20),
    retentionS: reader.number('retentionS', { min: 5, max: 86400 }, 120),
    settleTimeoutMs: reader.number('settleTimeoutMs', { min: 0, max: 60000 }, 4000),
    drainIntervalMs: reader.number('drainIntervalMs', { min: 1, max: 1000 }, 50),
    ifUnavailable: reader.choice('ifUnavailable', ['throw', 'noop'] as const, 'throw'),
    cpu: reader.choice('cpu', [true, false, 'auto'] as const, 'auto'),
    cpuSampleHz: 0,
  };
  resolved.cpuSampleHz = reader.number('cpuSampleHz', { min: 1, max: resolved.sampleHz }, resolved.sampleHz);
  const cpuEstimate = readCpuEstimate(reader);
  if (cpuEstimate) resolved.cpuEstimate = cpuEstimate;
  const powercapRoot = reader.text('powercapRoot');
  if (powercapRoot !== undefined) resolved.powercapRoot = powercapRoot;
  const cudaVisibleDevices = reader.raw('cudaVisibleDevices');
  if (cudaVisibleDevices !== undefined) {
    if (typeof cudaVisibleDevices !== 'string') throw reader.error('cudaVisibleDevices', 'expected a string');
    resolved.cudaVisibleDevices = cudaVisibleDevices;
  }
  const cudaDeviceOrder = reader.choice('cudaDeviceOrder', ['PCI_BUS_ID', 'FASTEST_FIRST'] as const, undefined);
  if (cudaDeviceOrder !== undefined) resolved.cudaDeviceOrder = cudaDeviceOrder;
  const simulate = reader.choice('simulate', [true, false, 'h100', 'legacy'] as const, undefined);
  if (simulate !== undefined) resolved.simulate = simulate;
  const library = reader.text('library');
  if (library !== undefined) resolved.library = library;
  const onMeasurement = reader.callback<(m: Measurement) => void>('onMeasurement');
  if (onMeasurement) resolved.onMeasurement = onMeasurement;
  return resolved;
}
