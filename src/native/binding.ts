/**
 * The one module that loads the native addon (through node-gyp-build). Every
 * other module receives the binding through the typed {@link NativeBinding}
 * interface below.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NvmlError, WattscopeError } from '../util/errors.js';

/** A sample's energyRet when the sampler's schedule did not read the counter at that tick (not a failure). */
export const COUNTER_NOT_READ = -1;
/** energyRet of a read that opened a sparse window (counterReads 'sparse'): the counter's value, but its change since the previous read places no update. */
export const COUNTER_BASELINE = -2;

/** An opaque native handle (a napi External). */
export type NativeHandle = { readonly __brand: 'NativeHandle' };

/** Per-field NVML error codes for queries that returned no value. */
export type FieldErrors = Record<string, string>;

export interface NativeLibraryInfo {
  path: string;
  driverVersion: string | null;
  nvmlVersion: string | null;
  boundSymbols: string[];
  missingSymbols: string[];
  errors: FieldErrors;
}

export interface NativeDeviceInfo {
  index: number;
  name: string | null;
  uuid: string | null;
  pciBusId: string | null;
  architecture: number | null;
  memoryTotalBytes: number | null;
  powerLimitMw: number | null;
  errors: FieldErrors;
}

export interface NativeDeviceStatus {
  timestampNs: bigint;
  /** Absent when the call was asked not to read the counter. */
  energyMj?: number | null;
  powerMw: number | null;
  instantPowerMw: number | null;
  averagePowerFieldMw: number | null;
  temperatureC: number | null;
  smClockMhz: number | null;
  memClockMhz: number | null;
  utilizationGpuPct: number | null;
  utilizationMemoryPct: number | null;
  memoryUsedBytes: number | null;
  errors: FieldErrors;
}

export interface NativeSamplerSlot {
  index: number;
  powerSource: PowerSourceName;
  hasEnergyCounter: boolean;
  energySource: EnergySourceName;
  /** The driver answers nvmlDeviceGetCurrentClocksEventReasons (or its old name) for this GPU. */
  hasClocksEventReasons: boolean;
  /** The driver answers nvmlDeviceGetSamples(NVML_TOTAL_POWER_SAMPLES) for this GPU. */
  hasDriverSamples: boolean;
  /** When the sampler reads this GPU's counter (counterReads 'auto' resolved per GPU). */
  counterReads: 'every-tick' | 'around-steps' | 'sparse';
  /** Where it does not, its answer (an NVML return code's name, e.g. NVML_ERROR_NOT_SUPPORTED); null where it does. */
  driverSamplesRefusal: string | null;
}

/**
 * Where a GPU's sampled power comes from, the newest NVML query that answers first:
 * `instant` (field 186), `average-1s` (nvmlDeviceGetPowerUsage, a 1 s average on Ampere and
 * later), `average-1s-field` (field 185, the same average), or `none`.
 */
export type PowerSourceName = 'instant' | 'average-1s' | 'average-1s-field' | 'none';
/** Where the energy counter comes from: `counter` (nvmlDeviceGetTotalEnergyConsumption), `counter-field` (field 83), `none`. */
export type EnergySourceName = 'counter' | 'counter-field' | 'none';

export interface NativeSampleBatch {
  tNs: BigInt64Array;
  energyMj: Float64Array;
  powerMw: Float64Array;
  energyRet: Int32Array;
  powerRet: Int32Array;
  /** Clocks event reason readings (about 10 per second): monotonic ns, and nvmlClocksEventReason* bits. */
  clocksEventTNs: BigInt64Array;
  clocksEventReasons: Float64Array;
  /**
   * The driver's own power samples drained since the last call: the monotonic end of the interval
   * each averages, ns, and its mean power over that interval, mW (about one every 20 ms on an H200).
   */
  driverTNs: BigInt64Array;
  driverPowerMw: Float64Array;
}

export interface NativeSamplerStats {
  ticks: number;
  lateTicks: number;
  pollNsTotal: number;
  pollNsMax: number;
  /** Per sampler slot (GPU): counter reads made, and the time they took, ns. */
  energyReads: number[];
  energyReadNsTotal: number[];
  /** Per sampler slot: how often the learnt counter update grid was found wrong and relearnt (counterReads 'around-steps'). */
  counterRelearns: number[];
  /** The sampler thread's own CPU time so far, ns (0 where the platform has no per-thread clock). */
  threadCpuNs: number;
  startedNs: bigint;
  dropped: number[];
  /** Per slot, the driver's power samples: drains of its buffer made, samples taken, the drains' time, ns. */
  driverPolls: number[];
  driverSamples: number[];
  driverPollNsTotal: number[];
  /** Per slot: samples lost because they were not drained to JS in time. */
  driverDropped: number[];
  /** Per slot: the latest drain's failure (an NVML return code's name), null when it succeeded. */
  driverLastError: Array<string | null>;
  running: boolean;
  /** RAPL zone reads made, and the time they took, ns. */
  raplReads: number;
  raplReadNsTotal: number;
}

/** The sampler's RAPL reads since the last drain: zone index, monotonic ns, read span, cumulative µJ (NaN: failed, see errno). */
export interface NativeRaplBatch {
  zone: Int32Array;
  tNs: BigInt64Array;
  spanNs: Float64Array;
  energyUj: Float64Array;
  errno: Int32Array;
  /** Reads dropped since the last drain because the buffer was full. */
  dropped: number;
}

/** The RAPL zones the sampler thread reads (as raplZones() found them), every `everyTicks` ticks. */
export interface NativeRaplRequest {
  zones: Array<{ id: string; path: string; maxEnergyRangeUj: number }>;
  everyTicks: number;
}

/** The addon's flat, handle-based surface. */
export interface NativeBinding {
  setErrorClass(cls: typeof NvmlError): void;
  nowNs(): bigint;
  open(libraryPath?: string): NativeHandle;
  close(session: NativeHandle): void;
  libraryInfo(session: NativeHandle): NativeLibraryInfo;
  deviceCount(session: NativeHandle): number;
  deviceInfo(session: NativeHandle, index: number): NativeDeviceInfo;
  /** `readCounter` false: the energy counter is left unread (energyMj absent). */
  deviceStatus(session: NativeHandle, index: number, readCounter?: boolean): NativeDeviceStatus;
  readEnergyMj(session: NativeHandle, index: number): number;
  readPowerMw(session: NativeHandle, index: number): number;
  readInstantPowerMw(session: NativeHandle, index: number): number;
  powerSamples(session: NativeHandle, index: number, sinceUs: number): { timestampsUs: Float64Array; powerMw: Float64Array };
  indexByUuid(session: NativeHandle, uuid: string): { index: number; mig: boolean };
  samplerStart(
    session: NativeHandle,
    indices: number[],
    hz: number,
    capacity: number,
    rapl?: NativeRaplRequest,
    counterReads?: 'every-tick' | 'around-steps' | 'sparse' | 'auto',
  ): { handle: NativeHandle; slots: NativeSamplerSlot[] };
  samplerDrain(sampler: NativeHandle): NativeSampleBatch[];
  samplerDrainRapl(sampler: NativeHandle): NativeRaplBatch;
  samplerStats(sampler: NativeHandle): NativeSamplerStats;
  samplerStop(sampler: NativeHandle): void;
  /** The RAPL zones of a powercap tree (errno: why energy_uj cannot be read, 0 when it can). */
  raplZones(
    root: string,
  ): Array<{ id: string; name: string; path: string; package: number; subzone: number; maxEnergyRangeUj: number; readable: boolean; errno: number }>;
  /** Open sessions and running samplers of this thread, and the entries its cleanup list holds. */
  handleCounts(): { openSessions: number; runningSamplers: number; entries: number };
}

/** The package root (the directory holding package.json), from src/ or dist/. */
export const packageRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: NativeBinding | undefined;

/**
 * Why the addon could not load and how to get a build: no prebuild matches this platform, and
 * nothing was compiled (npm 11 skips a dependency's install script until it is approved).
 */
export function nativeMissingMessage(platform: string, arch: string): string {
  return (
    `wattscope's native addon is not built for ${platform}-${arch}: no prebuilt addon matches it, and none was compiled ` +
    '(npm 11 runs a dependency\'s install script only once approved). Approve it with "npm install-scripts approve wattscope", ' +
    'then build it with "npm rebuild wattscope" (python3, make and a C++ compiler are needed).'
  );
}

/** Loads the addon once per thread and hands it the JS-owned error class. */
export function loadBinding(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let binding: NativeBinding;
  try {
    const load = require('node-gyp-build') as (dir: string) => NativeBinding;
    binding = load(packageRoot);
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_NATIVE_MISSING', nativeMissingMessage(process.platform, process.arch), { cause: err });
  }
  binding.setErrorClass(NvmlError);
  cached = binding;
  return binding;
}

const simFileName: Record<string, string> = { linux: 'libwattscope_simgpu.so', darwin: 'libwattscope_simgpu.dylib' };

/**
 * Path of the simulated GPU library shipped with the package (a real shared
 * library implementing NVML), or of its legacy-driver variant.
 */
export function simulatedNvmlPath(variant: 'h100' | 'legacy' = 'h100'): string {
  const base = simFileName[process.platform] ?? 'libwattscope_simgpu.so';
  const file = variant === 'legacy' ? base.replace('simgpu', 'simgpu_legacy') : base;
  const prebuilt = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, file);
  // PREBUILDS_ONLY=1 (node-gyp-build's switch) tests the shipped prebuilds alone.
  const candidates = process.env.PREBUILDS_ONLY ? [prebuilt] : [path.join(packageRoot, 'build', 'Release', file), prebuilt];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new WattscopeError(
      'WATTSCOPE_SIM_MISSING',
      `the simulated GPU library (${file}) is not built for ${process.platform}-${process.arch} (looked in ${candidates.join(', ')}). ` +
        'Approve wattscope\'s install script with "npm install-scripts approve wattscope", then build it with "npm rebuild wattscope".',
    );
  }
  return found;
}
