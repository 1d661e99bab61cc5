/**
 * An open NVML library (real or simulated) and typed device queries over it.
 */
import { WattscopeError } from '../util/errors.js';
import { loadBinding, simulatedNvmlPath, type NativeBinding, type NativeHandle } from '../native/binding.js';
import { OptionReader } from '../util/option-reader.js';

/** Options choosing which NVML to load. */
export interface NvmlOptions {
  /** Path of an NVML library to load instead of the default (also `WATTSCOPE_NVML_LIBRARY`). */
  library?: string;
  /** Use the simulated GPU shipped with wattscope (profile h200 unless WATTSCOPE_SIM_SENSOR says otherwise). Never chosen silently. */
  simulate?: boolean | 'h100' | 'legacy';
}

function parseNvmlOptions(input: unknown): NvmlOptions {
  const reader = new OptionReader(input, 'NVML options', ['library', 'simulate']);
  const library = reader.text('library');
  const simulate = reader.choice('simulate', [true, false, 'h100', 'legacy'] as const, undefined);
  return { ...(library !== undefined ? { library } : {}), ...(simulate !== undefined ? { simulate } : {}) };
}

/** Where the NVML library came from. */
export type LibrarySource = 'option' | 'env' | 'simulated' | 'default';

/** Resolves which library to load: simulate > option > WATTSCOPE_NVML_LIBRARY > platform default. */
export function resolveLibrary(options: NvmlOptions = {}): { path: string | undefined; source: LibrarySource } {
  const o = parseNvmlOptions(options);
  if (o.simulate) return { path: simulatedNvmlPath(o.simulate === 'legacy' ? 'legacy' : 'h100'), source: 'simulated' };
  if (o.library) return { path: o.library, source: 'option' };
  const env = process.env.WATTSCOPE_NVML_LIBRARY;
  if (env) return { path: env, source: 'env' };
  return { path: undefined, source: 'default' };
}

const architectureNames: Record<number, string> = {
  2: 'Kepler',
  3: 'Maxwell',
  4: 'Pascal',
  5: 'Volta',
  6: 'Turing',
  7: 'Ampere',
  8: 'Ada',
  9: 'Hopper',
  10: 'Blackwell',
};

/** Static facts about a GPU. Null where NVML could not tell (see `unsupported`). */
export interface DeviceInfo {
  index: number;
  name: string | null;
  uuid: string | null;
  pciBusId: string | null;
  /** NVML architecture name ("Hopper"), or null. */
  architecture: string | null;
  memoryTotalBytes: number | null;
  powerLimitW: number | null;
  /** Fields that are null, each with NVML's reason (e.g. NVML_ERROR_NOT_SUPPORTED). */
  unsupported: Record<string, string>;
}

/** A point-in-time reading of a GPU. */
export interface DeviceStatus {
  /** Monotonic clock, ns. */
  timestampNs: bigint;
  /** Energy counter since the driver loaded, J (NVML reports mJ). */
  totalEnergyJ: number | null;
  /** nvmlDeviceGetPowerUsage, W (a 1 s average on H100). */
  powerW: number | null;
  /** NVML_FI_DEV_POWER_INSTANT, W. */
  instantPowerW: number | null;
  temperatureC: number | null;
  smClockMhz: number | null;
  memClockMhz: number | null;
  utilizationGpuPct: number | null;
  memoryUsedBytes: number | null;
  /** Per field, the NVML code that explains a null. */
  unsupported: Record<string, string>;
}

export interface LibraryInfo {
  path: string;
  source: LibrarySource;
  simulated: boolean;
  driverVersion: string | null;
  nvmlVersion: string | null;
  /** Versioned entry points bound (e.g. nvmlInit_v2, or nvmlInit on old drivers). */
  boundSymbols: string[];
  /** Optional NVML functions this library lacks; their features are off. */
  missingSymbols: string[];
}

const mwToW = (mw: number | null): number | null => (mw === null ? null : mw / 1000);

/** An open NVML library. Close it (or `using`) to balance nvmlInit/nvmlShutdown. */
export class NvmlSession {
  readonly #binding: NativeBinding;
  #handle: NativeHandle | undefined;
  readonly library: LibraryInfo;

  private constructor(binding: NativeBinding, handle: NativeHandle, source: LibrarySource) {
    this.#binding = binding;
    this.#handle = handle;
    const info = binding.libraryInfo(handle);
    this.library = {
      path: info.path,
      source,
      simulated: source === 'simulated',
      driverVersion: info.driverVersion,
      nvmlVersion: info.nvmlVersion,
      boundSymbols: info.boundSymbols,
      missingSymbols: info.missingSymbols,
    };
  }

  /**
   * Loads NVML (see {@link resolveLibrary}) and initialises it. Throws NvmlError on failure.
   * `binding`: the native surface to go through (default: wattscope's addon; tests pass a fake).
   */
  static open(options: NvmlOptions = {}, binding?: NativeBinding): NvmlSession {
    const { path, source } = resolveLibrary(options);
    binding ??= loadBinding();
    const handle = binding.open(path);
    return new NvmlSession(binding, handle, source);
  }

  /** The native session handle, for the sampler. Throws once closed. */
  get handle(): NativeHandle {
    if (!this.#handle) throw new WattscopeError('WATTSCOPE_CLOSED', 'the NVML session is closed');
    return this.#handle;
  }

  get closed(): boolean {
    return this.#handle === undefined;
  }

  deviceCount(): number {
    return this.#binding.deviceCount(this.handle);
  }

  device(index: number): DeviceInfo {
    this.#checkIndex(index);
    const d = this.#binding.deviceInfo(this.handle, index);
    return {
      index: d.index,
      name: d.name,
      uuid: d.uuid,
      pciBusId: d.pciBusId,
      architecture: d.architecture === null ? null : (architectureNames[d.architecture] ?? `unknown(${d.architecture})`),
      memoryTotalBytes: d.memoryTotalBytes,
      powerLimitW: mwToW(d.powerLimitMw),
      unsupported: Object.fromEntries(Object.entries(d.errors).map(([k, v]) => [k === 'powerLimitMw' ? 'powerLimitW' : k, v])),
    };
  }

  /** Every status field of a GPU, its energy counter included. */
  status(index: number): DeviceStatus {
    const { status, energyMj } = this.#readStatus(index, true);
    return { ...status, totalEnergyJ: energyMj === null ? null : energyMj / 1000 };
  }

  /**
   * The status without the energy counter, whose read alone takes ~3 ms of busy CPU on a real H200
   * (the rest take microseconds): for readers that take the counter from a monitor's sampler.
   */
  statusWithoutCounter(index: number): Omit<DeviceStatus, 'totalEnergyJ'> {
    return this.#readStatus(index, false).status;
  }

  #readStatus(index: number, readCounter: boolean): { status: Omit<DeviceStatus, 'totalEnergyJ'>; energyMj: number | null } {
    this.#checkIndex(index);
    const s = this.#binding.deviceStatus(this.handle, index, readCounter);
    if (readCounter && s.energyMj === undefined)
      throw new WattscopeError('WATTSCOPE_NATIVE_SHAPE', 'the native deviceStatus gave no energyMj though asked to read the counter', { field: 'energyMj' });
    const unsupported: Record<string, string> = {};
    const rename: Record<string, string> = {
      energyMj: 'totalEnergyJ',
      powerMw: 'powerW',
      instantPowerMw: 'instantPowerW',
    };
    for (const [k, v] of Object.entries(s.errors)) {
      if (k === 'averagePowerFieldMw' || k === 'utilizationMemoryPct') continue;
      unsupported[rename[k] ?? k] = v;
    }
    const status = {
      timestampNs: s.timestampNs,
      powerW: mwToW(s.powerMw),
      instantPowerW: mwToW(s.instantPowerMw),
      temperatureC: s.temperatureC,
      smClockMhz: s.smClockMhz,
      memClockMhz: s.memClockMhz,
      utilizationGpuPct: s.utilizationGpuPct,
      memoryUsedBytes: s.memoryUsedBytes,
      unsupported,
    };
    return { status, energyMj: s.energyMj ?? null };
  }

  /** The energy counter, mJ. Throws NvmlError (e.g. NVML_ERROR_NOT_SUPPORTED before Volta). */
  readEnergyMj(index: number): number {
    return this.#binding.readEnergyMj(this.handle, index);
  }

  /** Instantaneous power (NVML_FI_DEV_POWER_INSTANT), mW. */
  readInstantPowerMw(index: number): number {
    return this.#binding.readInstantPowerMw(this.handle, index);
  }

  /** nvmlDeviceGetPowerUsage, mW. */
  readPowerMw(index: number): number {
    return this.#binding.readPowerMw(this.handle, index);
  }

  /** The driver's power sample buffer since `sinceUs` (NVML's CPU timestamps, µs). */
  powerSamples(index: number, sinceUs = 0): { timestampsUs: Float64Array; powerMw: Float64Array } {
    return this.#binding.powerSamples(this.handle, index, sinceUs);
  }

  /** Index of the GPU with this UUID; for a MIG UUID, its parent GPU (`mig: true`). */
  indexByUuid(uuid: string): { index: number; mig: boolean } {
    return this.#binding.indexByUuid(this.handle, uuid);
  }

  /** Releases NVML. Idempotent. */
  close(): void {
    if (this.#handle) this.#binding.close(this.#handle);
    this.#handle = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #checkIndex(index: number): void {
    const n = this.deviceCount();
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new WattscopeError('WATTSCOPE_UNKNOWN_GPU', `no GPU with index ${String(index)} (this machine has ${n})`, {
        field: 'index',
      });
    }
  }
}

/** One GPU as `wattscope devices --json` prints it. */
export type DeviceSnapshot = DeviceInfo & Omit<DeviceStatus, 'timestampNs'>;

/** Info and status of every GPU, one NVML session opened and closed around it. */
export function listDevices(options: NvmlOptions = {}): { library: LibraryInfo; devices: DeviceSnapshot[] } {
  const session = NvmlSession.open(options);
  try {
    const devices: DeviceSnapshot[] = [];
    for (let i = 0; i < session.deviceCount(); i++) {
      const { timestampNs: _t, ...status } = session.status(i);
      const info = session.device(i);
      devices.push({ ...info, ...status, unsupported: { ...info.unsupported, ...status.unsupported } });
    }
    return { library: session.library, devices };
  } finally {
    session.close();
  }
}
