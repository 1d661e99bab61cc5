/**
 * Test helpers for the simulated GPU: configure it through the environment
 * (read at its first nvmlInit), drive its power at run time through the
 * control file, and compute the exact energy of any interval from the record
 * of power changes.
 */
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { appliedLogPath, readAppliedChanges } from '../../src/sim/applied-log.js';
import { DrawnPower, responseParamsFromEnv } from '../../src/sim/drawn-power.js';
import { PowerHistory } from '../../src/sim/power-history.js';
import { SimPowerControl } from '../../src/sim/power-control.js';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SIM_VARS = [
  'WATTSCOPE_SIM_DEVICES',
  'WATTSCOPE_SIM_NAME',
  'WATTSCOPE_SIM_IDLE_W',
  'WATTSCOPE_SIM_TRACE',
  'WATTSCOPE_SIM_EPOCH_NS',
  'WATTSCOPE_SIM_PERIOD_MS',
  'WATTSCOPE_SIM_SAMPLE_PERIOD_MS',
  'WATTSCOPE_SIM_ENERGY_START_MJ',
  'WATTSCOPE_SIM_CONTROL',
  'WATTSCOPE_SIM_MIG',
  'WATTSCOPE_SIM_FAULTS',
  'WATTSCOPE_NVML_LIBRARY',
  'WATTSCOPE_SIM_SENSOR',
  'WATTSCOPE_SIM_COUNTER',
  'WATTSCOPE_SIM_NOISE_W',
  'WATTSCOPE_SIM_POWER_REFRESH_MS',
  'WATTSCOPE_SIM_POWER_WINDOW_MS',
  'WATTSCOPE_SIM_POWER_PHASE_MS',
  'WATTSCOPE_SIM_SEED',
  'WATTSCOPE_SIM_LIFECYCLE_LOG',
  'WATTSCOPE_SIM_CONTEXT',
  'WATTSCOPE_SIM_LAG_MS',
  'WATTSCOPE_SIM_RESPONSE_MS',
  'WATTSCOPE_SIM_BOOST_W',
  'WATTSCOPE_SIM_BOOST_ABOVE_W',
  'WATTSCOPE_SIM_BOOST_CREDIT_MS',
  'WATTSCOPE_SIM_COUNTER_READ_MS',
];

export interface SimSetup {
  devices?: number;
  idleW?: number;
  trace?: string;
  periodMs?: number;
  faults?: string;
  mig?: string;
  control?: boolean;
  /**
   * The power sensor profile: 'ideal' (exact instantaneous power; the default here, chosen
   * explicitly for the tests written against it), 'h100' (the published H100 model: refreshed
   * every 100 ms, each value a 25 ms mean) or 'h200' (the measured H200: its power response,
   * 20 ms driver samples and slow counter reads).
   */
  sensor?: 'ideal' | 'h100' | 'h200';
  /** What the counter integrates on the h100 profile: the true power, or the sampled windows only. */
  counter?: 'true' | 'windowed';
  noiseW?: number;
  seed?: number;
  /** Each GPU's name, in NVML order (a machine of mixed models). */
  names?: string[];
}

/** Sets the simulator's environment; returns a control handle when asked for one. */
export function configureSim(setup: SimSetup = {}): SimControl {
  for (const v of SIM_VARS) delete process.env[v];
  for (const v of Object.keys(process.env)) if (v.startsWith('WATTSCOPE_SIM_NAME_') || v.startsWith('WATTSCOPE_SIM_TRACE_')) delete process.env[v];
  (setup.names ?? []).forEach((name, i) => (process.env[`WATTSCOPE_SIM_NAME_${i}`] = name));
  const epochNs = process.hrtime.bigint();
  process.env.WATTSCOPE_SIM_EPOCH_NS = String(epochNs);
  if (setup.devices !== undefined) process.env.WATTSCOPE_SIM_DEVICES = String(setup.devices);
  if (setup.idleW !== undefined) process.env.WATTSCOPE_SIM_IDLE_W = String(setup.idleW);
  if (setup.trace !== undefined) process.env.WATTSCOPE_SIM_TRACE = setup.trace;
  if (setup.periodMs !== undefined) process.env.WATTSCOPE_SIM_PERIOD_MS = String(setup.periodMs);
  if (setup.faults !== undefined) process.env.WATTSCOPE_SIM_FAULTS = setup.faults;
  if (setup.mig !== undefined) process.env.WATTSCOPE_SIM_MIG = setup.mig;
  process.env.WATTSCOPE_SIM_SENSOR = setup.sensor ?? 'ideal';
  if (setup.counter !== undefined) process.env.WATTSCOPE_SIM_COUNTER = setup.counter;
  if (setup.noiseW !== undefined) process.env.WATTSCOPE_SIM_NOISE_W = String(setup.noiseW);
  if (setup.seed !== undefined) process.env.WATTSCOPE_SIM_SEED = String(setup.seed);
  const control = new SimControl(epochNs, setup.devices ?? 1, setup.idleW ?? 70, setup.trace);
  if (setup.control) {
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-sim-'));
    control.file = path.join(dir, 'control.log');
    writeFileSync(control.file, '');
    process.env.WATTSCOPE_SIM_CONTROL = control.file;
  }
  return control;
}

interface Change {
  tNs: bigint;
  watts: number;
}

/** Drives the simulated power and knows the true energy of any interval. */
export class SimControl {
  file: string | undefined;
  /** The process whose simulator applies the changes (default this one; an exporter's child process, for instance). */
  simulatorPid: number = process.pid;
  readonly epochNs: bigint;
  readonly #history: Change[][];
  // The idle level and the trace's changes, before any run-time change.
  readonly #trace: Change[][];
  #writer: SimPowerControl | undefined;

  constructor(epochNs: bigint, devices: number, idleW: number, trace?: string) {
    this.epochNs = epochNs;
    this.#history = Array.from({ length: devices }, () => [{ tNs: epochNs, watts: idleW }]);
    for (const point of (trace ?? '').split(',').filter(Boolean)) {
      const [t, w] = point.split(':').map(Number) as [number, number];
      for (const h of this.#history) h.push({ tNs: epochNs + BigInt(Math.round(t * 1e9)), watts: w });
    }
    for (const h of this.#history) h.sort((a, b) => (a.tNs < b.tNs ? -1 : a.tNs > b.tNs ? 1 : 0));
    this.#trace = this.#history.map((h) => [...h]);
  }

  /** Sets the power of one GPU (or all) from now on. Returns the change's timestamp. */
  setPower(watts: number, gpu: number | '*' = '*'): bigint {
    if (!this.file) throw new Error('configureSim({ control: true }) first');
    this.#writer ??= new SimPowerControl(this.file);
    const tNs = this.#writer.set(watts, gpu);
    const targets = gpu === '*' ? this.#history : [this.#history[gpu]!];
    for (const h of targets) h.push({ tNs, watts });
    return tNs;
  }

  /** setPower for all GPUs, in the shape the synthetic workload's handler takes. */
  set(watts: number): bigint {
    return this.setPower(watts);
  }

  #applied: { size: number; byGpu: PowerHistory[] } | null = null;
  #written: { length: number; gpu: number; history: PowerHistory } | null = null;

  /**
   * The power the simulator actually applied (a change takes effect no earlier than its last read):
   * the trace's changes merged with its applied-changes log, or null before it applied any.
   */
  #appliedHistory(gpu: number): PowerHistory | null {
    if (!this.file) return null;
    const log = appliedLogPath(this.file, this.simulatorPid);
    const size = existsSync(log) ? statSync(log).size : 0;
    if (size === 0) return null;
    if (this.#applied?.size !== size) {
      const changes = readAppliedChanges(log);
      const byGpu = this.#trace.map((base, g) => {
        const mine = changes.filter((c) => c.target === '*' || c.target === g).map((c) => ({ tNs: c.tNs, watts: c.watts }));
        return historyOf([...base, ...mine]);
      });
      this.#applied = { size, byGpu };
    }
    return this.#applied.byGpu[gpu]!;
  }

  /** The power as written (before the simulator applied any change), for `gpu`. */
  #writtenHistory(gpu: number): PowerHistory {
    const changes = this.#history[gpu]!;
    if (this.#written?.gpu !== gpu || this.#written.length !== changes.length) {
      this.#written = { gpu, length: changes.length, history: historyOf(changes) };
    }
    return this.#written.history;
  }

  /** How many times the power of `gpu` was set in (fromNs, toNs]. */
  changesBetween(gpu: number, fromNs: bigint, toNs: bigint): number {
    return this.#history[gpu]!.filter((c) => c.tNs > fromNs && c.tNs <= toNs).length;
  }

  /** Power of `gpu` at `tNs`, W. */
  powerAt(gpu: number, tNs: bigint): number {
    let w = this.#history[gpu]![0]!.watts;
    for (const c of this.#history[gpu]!) {
      if (c.tNs <= tNs) w = c.watts;
      else break;
    }
    return w;
  }

  /**
   * On profile h200: the power `gpu` drew up to `toNs` (its work's power through the measured
   * response, src/sim/drawn-power.ts), whose energyJ(from, to) is a scope's in-situ truth.
   */
  drawnPower(gpu: number, toNs: bigint): DrawnPower {
    return new DrawnPower(this.#appliedHistory(gpu) ?? this.#writtenHistory(gpu), responseParamsFromEnv(), this.epochNs, toNs);
  }

  /** Exact energy of `gpu` between two monotonic timestamps, J. */
  energyJ(gpu: number, fromNs: bigint, toNs: bigint): number {
    return (this.#appliedHistory(gpu) ?? this.#writtenHistory(gpu)).energyJ(fromNs, toNs);
  }
}

/** A PowerHistory of changes (the first is the level from the epoch on), in time order. */
function historyOf(changes: Change[]): PowerHistory {
  const sorted = [...changes].sort((a, b) => (a.tNs < b.tNs ? -1 : a.tNs > b.tNs ? 1 : 0));
  const history = new PowerHistory(sorted[0]!.watts);
  for (const c of sorted) history.record(c.tNs, c.watts);
  return history;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Busy-waits (keeps the event loop blocked, like synchronous inference code). */
export function spin(ms: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < end) {
    // spin
  }
}
