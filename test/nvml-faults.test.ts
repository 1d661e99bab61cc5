/** Injected faults, old-driver fallbacks and the energy arithmetic, through the simulated GPU. */
import { afterEach, describe, expect, it } from 'vitest';
import { NvmlError, NvmlSession, WattscopeError } from '../src/index.js';
import { loadBinding } from '../src/native/binding.js';
import { configureSim, sleep } from './helpers/sim.js';

let session: NvmlSession | undefined;
afterEach(() => {
  session?.close();
  session = undefined;
});

function openError(setup: Parameters<typeof configureSim>[0]): unknown {
  configureSim(setup);
  try {
    session = NvmlSession.open({ simulate: true });
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('loading NVML', () => {
  it('the module loads with no NVML present; opening says NVML was not found and how to point at it', () => {
    expect(() => loadBinding()).not.toThrow();
    let err: unknown;
    try {
      NvmlSession.open({ library: '/nonexistent/libnvidia-ml.so.1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NvmlError);
    expect(err).toBeInstanceOf(WattscopeError);
    expect(err).toMatchObject({ code: 'NVML_ERROR_LIBRARY_NOT_FOUND', returnValue: 12, nvmlFunction: 'dlopen' });
    expect((err as Error).message).toMatch(/NVML was not found/);
    expect((err as Error).message).toMatch(/WATTSCOPE_NVML_LIBRARY/);
  });

  it('WATTSCOPE_NVML_LIBRARY overrides the default library', async () => {
    configureSim();
    const { simulatedNvmlPath } = await import('../src/native/binding.js');
    process.env.WATTSCOPE_NVML_LIBRARY = simulatedNvmlPath();
    try {
      session = NvmlSession.open();
      expect(session.library.source).toBe('env');
      expect(session.library.path).toBe(simulatedNvmlPath());
    } finally {
      delete process.env.WATTSCOPE_NVML_LIBRARY;
    }
  });

  it('a misspelled option is a typed error naming it', () => {
    expect(() => NvmlSession.open({ simulat: true } as never)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_INVALID_OPTIONS', field: 'simulat' }));
  });

  it('an old driver: unversioned symbols bound, missing ones listed, their features off', () => {
    configureSim();
    session = NvmlSession.open({ simulate: 'legacy' });
    expect(session.library.boundSymbols).toEqual([
      'nvmlInit',
      'nvmlDeviceGetCount',
      'nvmlDeviceGetHandleByIndex',
      'nvmlDeviceGetPciInfo',
      'nvmlDeviceGetCurrentClocksThrottleReasons',
    ]);
    expect(session.library.missingSymbols).toEqual(expect.arrayContaining(['nvmlDeviceGetFieldValues', 'nvmlDeviceGetSamples', 'nvmlDeviceGetTemperatureV']));
    const d = session.device(0);
    expect(d.architecture).toBeNull();
    expect(d.pciBusId).toBe('0000:18:00.0');
    const st = session.status(0);
    expect(st.instantPowerW).toBeNull();
    expect(st.unsupported.instantPowerW).toBe('NVML_ERROR_FUNCTION_NOT_FOUND');
    expect(st.temperatureC).toBeGreaterThan(0); // deprecated nvmlDeviceGetTemperature fallback
    expect(st.totalEnergyJ).toBeGreaterThan(0);
    expect(() => session!.powerSamples(0)).toThrow(expect.objectContaining({ code: 'NVML_ERROR_FUNCTION_NOT_FOUND' }));
  });
});

describe('injected faults', () => {
  it('energy counter NOT_SUPPORTED (pre-Volta): typed error naming function and device; power still works', () => {
    configureSim({ faults: 'energy_not_supported' });
    session = NvmlSession.open({ simulate: true });
    expect(() => session!.readEnergyMj(0)).toThrow(
      expect.objectContaining({
        code: 'NVML_ERROR_NOT_SUPPORTED',
        returnValue: 3,
        nvmlFunction: 'nvmlDeviceGetTotalEnergyConsumption',
        deviceIndex: 0,
      }),
    );
    expect(session.status(0).unsupported.totalEnergyJ).toBe('NVML_ERROR_NOT_SUPPORTED');
    expect(session.readPowerMw(0)).toBeGreaterThan(0);
  });

  it('NO_PERMISSION', () => {
    configureSim({ faults: 'no_permission' });
    session = NvmlSession.open({ simulate: true });
    expect(() => session!.readEnergyMj(0)).toThrow(expect.objectContaining({ code: 'NVML_ERROR_NO_PERMISSION' }));
    expect(() => session!.readPowerMw(0)).toThrow(expect.objectContaining({ code: 'NVML_ERROR_NO_PERMISSION' }));
  });

  it('DRIVER_NOT_LOADED at init', () => {
    const err = openError({ faults: 'driver_not_loaded' });
    expect(err).toBeInstanceOf(NvmlError);
    expect(err).toMatchObject({ code: 'NVML_ERROR_DRIVER_NOT_LOADED', nvmlFunction: 'nvmlInit_v2' });
  });

  it('GPU_IS_LOST after t seconds', async () => {
    configureSim({ faults: 'gpu_lost_after=0.1' });
    session = NvmlSession.open({ simulate: true });
    expect(session.readEnergyMj(0)).toBeGreaterThan(0);
    await sleep(150);
    expect(() => session!.readEnergyMj(0)).toThrow(expect.objectContaining({ code: 'NVML_ERROR_GPU_IS_LOST' }));
    expect(() => session!.status(0)).toThrow(expect.objectContaining({ code: 'NVML_ERROR_GPU_IS_LOST' }));
  });

  it('counter reset (driver reload): the counter restarts from zero', async () => {
    configureSim({ faults: 'counter_reset_at=0.15', trace: '0:300' });
    session = NvmlSession.open({ simulate: true });
    const before = session.readEnergyMj(0);
    await sleep(260);
    const after = session.readEnergyMj(0);
    expect(before).toBeGreaterThan(123_000_000);
    expect(after).toBeLessThan(before);
    expect(after).toBeGreaterThanOrEqual(0);
    expect(after).toBeLessThan(300 * 0.2 * 1000);
  });
});

describe('energy arithmetic', () => {
  it('energy read over an interval matches the trace integral within one counter step', async () => {
    const sim = configureSim({ trace: '0:100,0.2:600,0.45:250', periodMs: 100 });
    session = NvmlSession.open({ simulate: true });
    const t0 = process.hrtime.bigint();
    const e0 = session.readEnergyMj(0);
    await sleep(700);
    const e1 = session.readEnergyMj(0);
    const t1 = process.hrtime.bigint();
    const measuredJ = (e1 - e0) / 1000;
    const trueJ = sim.energyJ(0, t0, t1);
    // The counter lags by at most one 100 ms step at each end: at most 0.1 s x 600 W.
    expect(Math.abs(measuredJ - trueJ)).toBeLessThanOrEqual(0.1 * 600 + 0.002);
    // At the counter's own update instants the agreement is exact (to the mJ).
    const q = (t: bigint) => sim.epochNs + ((t - sim.epochNs) / 100_000_000n) * 100_000_000n;
    expect(Math.abs(measuredJ - sim.energyJ(0, q(t0), q(t1)))).toBeLessThan(0.002);
  });

  it('MIG: a MIG UUID resolves to its parent GPU and says so', () => {
    configureSim({ devices: 2, mig: 'MIG-11111111-2222-3333-4444-555555555555@1' });
    session = NvmlSession.open({ simulate: true });
    expect(session.indexByUuid('MIG-11111111-2222-3333-4444-555555555555')).toEqual({ index: 1, mig: true });
    expect(() => session!.indexByUuid('GPU-nope')).toThrow(expect.objectContaining({ code: 'NVML_ERROR_NOT_FOUND' }));
  });

  it('use after close is a typed error; close twice is fine', () => {
    configureSim();
    const s = NvmlSession.open({ simulate: true });
    s.close();
    s.close();
    expect(() => s.readEnergyMj(0)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_CLOSED' }));
  });

  it('the addon clock is the same clock as process.hrtime.bigint()', () => {
    const b = loadBinding();
    const a = process.hrtime.bigint();
    const n = b.nowNs();
    const c = process.hrtime.bigint();
    expect(n).toBeGreaterThanOrEqual(a);
    expect(n).toBeLessThanOrEqual(c);
  });
});
