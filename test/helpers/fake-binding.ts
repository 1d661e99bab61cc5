/**
 * A fake native binding for the unit tier: GPUs whose power is a piecewise-constant function of a
 * clock the test moves (`advanceMs`), an energy counter that is the exact integral of that power up
 * to its last update (on a grid `counterPeriodMs` apart), and a sampler whose ticks are generated
 * on that clock when drained. No addon, no simulated NVML, no wall clock: a monitor opened on it
 * (`EnergyMonitor.open(options, { binding })`) stamps its boundaries on the fake clock, so every
 * figure is the same on every run. The simulator tier (the real addon over the simulated NVML)
 * tests the native path; this one tests the monitor's logic.
 */
import type {
  NativeBinding,
  NativeDeviceInfo,
  NativeDeviceStatus,
  NativeHandle,
  NativeLibraryInfo,
  NativeRaplBatch,
  NativeSampleBatch,
  NativeSamplerSlot,
  NativeSamplerStats,
} from '../../src/native/binding.js';

export interface FakeGpuSetup {
  devices?: number;
  /** Power before the first change, W. */
  idleW?: number;
  /** Power changes of every GPU: from `atMs` after the fake clock's start on, `watts`. */
  changes?: ReadonlyArray<{ atMs: number; watts: number }>;
  /** How often the counter updates, ms (an H100's: ~100). */
  counterPeriodMs?: number;
  /** Where its updates fall between the sampler's ticks, ms after the clock's start (default 0.4: never on a tick, as on a real GPU). */
  counterPhaseMs?: number;
  /** The counter's value at the start, mJ. */
  counterStartMj?: number;
}

const START_NS = 5_000_000_000n;

export class FakeBinding implements NativeBinding {
  readonly devices: number;
  readonly counterPeriodNs: bigint;
  readonly counterPhaseNs: bigint;
  readonly #levels: Array<{ atNs: bigint; watts: number }>;
  readonly #counterStartMj: number;
  #nowNs = START_NS;
  #sampler: { hz: number; indices: number[]; lastTickNs: bigint; ticks: number; running: boolean } | null = null;

  constructor(setup: FakeGpuSetup = {}) {
    this.devices = setup.devices ?? 1;
    this.counterPeriodNs = BigInt(Math.round((setup.counterPeriodMs ?? 100) * 1e6));
    this.counterPhaseNs = BigInt(Math.round((setup.counterPhaseMs ?? 0.4) * 1e6));
    this.#counterStartMj = setup.counterStartMj ?? 1e9;
    const changes = [...(setup.changes ?? [])].sort((a, b) => a.atMs - b.atMs);
    this.#levels = [
      { atNs: START_NS, watts: setup.idleW ?? 70 },
      ...changes.map((c) => ({ atNs: START_NS + BigInt(Math.round(c.atMs * 1e6)), watts: c.watts })),
    ];
  }

  /** Moves the fake clock on by `ms`. */
  advanceMs(ms: number): void {
    this.#nowNs += BigInt(Math.round(ms * 1e6));
  }

  /** Sets every GPU's power from the fake clock's now on, W. */
  setPowerW(watts: number): void {
    this.#levels.push({ atNs: this.#nowNs, watts });
  }

  /** The power at `tNs`, W. */
  powerAtW(tNs: bigint): number {
    let watts = this.#levels[0]!.watts;
    for (const level of this.#levels) if (level.atNs <= tNs) watts = level.watts;
    return watts;
  }

  /** The exact energy between two instants of the fake clock, J. */
  energyJ(fromNs: bigint, toNs: bigint): number {
    let joules = 0;
    for (let i = 0; i < this.#levels.length; i++) {
      const a = this.#levels[i]!.atNs > fromNs ? this.#levels[i]!.atNs : fromNs;
      const next = this.#levels[i + 1]?.atNs ?? toNs;
      const b = next < toNs ? next : toNs;
      if (b > a) joules += (this.#levels[i]!.watts * Number(b - a)) / 1e9;
    }
    return joules;
  }

  /** The counter as NVML would return it at `tNs`: the energy up to its last update, mJ. */
  counterMj(tNs: bigint): number {
    const gridStartNs = START_NS + this.counterPhaseNs;
    if (tNs < gridStartNs) return this.#counterStartMj;
    const lastUpdateNs = gridStartNs + ((tNs - gridStartNs) / this.counterPeriodNs) * this.counterPeriodNs;
    return this.#counterStartMj + this.energyJ(START_NS, lastUpdateNs) * 1000;
  }

  setErrorClass(): void {}
  nowNs(): bigint {
    return this.#nowNs;
  }
  open(): NativeHandle {
    return { __brand: 'NativeHandle' } as NativeHandle;
  }
  close(): void {}
  libraryInfo(): NativeLibraryInfo {
    return { path: 'fake', driverVersion: 'fake', nvmlVersion: 'fake', boundSymbols: [], missingSymbols: [], errors: {} };
  }
  deviceCount(): number {
    return this.devices;
  }
  deviceInfo(_session: NativeHandle, index: number): NativeDeviceInfo {
    const pci = `00000000:${String(index + 1).padStart(2, '0')}:00.0`;
    return { index, name: 'Fake GPU', uuid: `GPU-fake-${index}`, pciBusId: pci, architecture: 9, memoryTotalBytes: 80e9, powerLimitMw: 700_000, errors: {} };
  }
  deviceStatus(_session: NativeHandle, _index: number, readCounter = true): NativeDeviceStatus {
    const powerMw = this.powerAtW(this.#nowNs) * 1000;
    return {
      timestampNs: this.#nowNs,
      ...(readCounter ? { energyMj: this.counterMj(this.#nowNs) } : {}),
      powerMw,
      instantPowerMw: powerMw,
      averagePowerFieldMw: null,
      temperatureC: 40,
      smClockMhz: 1980,
      memClockMhz: 2619,
      utilizationGpuPct: 0,
      utilizationMemoryPct: 0,
      memoryUsedBytes: 0,
      errors: {},
    };
  }
  readEnergyMj(): number {
    return this.counterMj(this.#nowNs);
  }
  readPowerMw(): number {
    return this.powerAtW(this.#nowNs) * 1000;
  }
  readInstantPowerMw(): number {
    return this.powerAtW(this.#nowNs) * 1000;
  }
  powerSamples(): { timestampsUs: Float64Array; powerMw: Float64Array } {
    return { timestampsUs: new Float64Array(), powerMw: new Float64Array() };
  }
  indexByUuid(_session: NativeHandle, uuid: string): { index: number; mig: boolean } {
    return { index: Number(uuid.replace('GPU-fake-', '')), mig: false };
  }

  samplerStart(_session: NativeHandle, indices: number[], hz: number): { handle: NativeHandle; slots: NativeSamplerSlot[] } {
    this.#sampler = { hz, indices, lastTickNs: this.#nowNs, ticks: 0, running: true };
    const slots = indices.map((index) => ({
      index,
      powerSource: 'instant' as const,
      hasEnergyCounter: true,
      energySource: 'counter' as const,
      hasClocksEventReasons: false,
      hasDriverSamples: false,
      counterReads: 'every-tick' as const,
      driverSamplesRefusal: 'NVML_ERROR_NOT_SUPPORTED',
    }));
    return { handle: { __brand: 'NativeHandle' } as NativeHandle, slots };
  }

  /** The ticks since the last drain, up to the fake clock's now: every GPU read at each. */
  samplerDrain(): NativeSampleBatch[] {
    const sampler = this.#sampler!;
    const periodNs = BigInt(Math.round(1e9 / sampler.hz));
    const ticks: bigint[] = [];
    for (let t = sampler.lastTickNs + periodNs; t <= this.#nowNs; t += periodNs) ticks.push(t);
    if (ticks.length > 0) sampler.lastTickNs = ticks[ticks.length - 1]!;
    sampler.ticks += ticks.length;
    return sampler.indices.map(() => ({
      tNs: BigInt64Array.from(ticks),
      energyMj: Float64Array.from(ticks, (t) => this.counterMj(t)),
      powerMw: Float64Array.from(ticks, (t) => this.powerAtW(t) * 1000),
      energyRet: new Int32Array(ticks.length),
      powerRet: new Int32Array(ticks.length),
      clocksEventTNs: new BigInt64Array(),
      clocksEventReasons: new Float64Array(),
      driverTNs: new BigInt64Array(),
      driverPowerMw: new Float64Array(),
    }));
  }
  samplerDrainRapl(): NativeRaplBatch {
    return { zone: new Int32Array(), tNs: new BigInt64Array(), spanNs: new Float64Array(), energyUj: new Float64Array(), errno: new Int32Array(), dropped: 0 };
  }
  samplerStats(): NativeSamplerStats {
    const sampler = this.#sampler!;
    const perSlot = (value: number) => sampler.indices.map(() => value);
    return {
      ticks: sampler.ticks,
      lateTicks: 0,
      pollNsTotal: 0,
      pollNsMax: 0,
      energyReads: perSlot(sampler.ticks),
      energyReadNsTotal: perSlot(0),
      counterRelearns: perSlot(0),
      threadCpuNs: 0,
      startedNs: START_NS,
      dropped: perSlot(0),
      driverPolls: perSlot(0),
      driverSamples: perSlot(0),
      driverPollNsTotal: perSlot(0),
      driverDropped: perSlot(0),
      driverLastError: perSlot(0).map(() => null),
      running: sampler.running,
      raplReads: 0,
      raplReadNsTotal: 0,
    };
  }
  samplerStop(): void {
    if (this.#sampler) this.#sampler.running = false;
  }
  raplZones(): ReturnType<NativeBinding['raplZones']> {
    return [];
  }
  handleCounts(): { openSessions: number; runningSamplers: number; entries: number } {
    return { openSessions: 0, runningSamplers: this.#sampler?.running ? 1 : 0, entries: 0 };
  }
}
