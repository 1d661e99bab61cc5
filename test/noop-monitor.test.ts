/**
 * A monitor for machines without a GPU: `ifUnavailable: 'noop'` lets production code wrapped in
 * scopes run where there is no NVML (here: NVML pointed at a path that does not exist). Its
 * measurements are unavailable with the reason `no-gpu`, never a zero, and its scopes never throw
 * but the user's own errors.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnergyMonitor, NvmlError, type Measurement } from '../src/index.js';

const MISSING_NVML = '/nonexistent/libnvidia-ml.so.1';
let saved: string | undefined;
beforeEach(() => {
  saved = process.env.WATTSCOPE_NVML_LIBRARY;
  process.env.WATTSCOPE_NVML_LIBRARY = MISSING_NVML;
});
afterEach(() => {
  if (saved === undefined) delete process.env.WATTSCOPE_NVML_LIBRARY;
  else process.env.WATTSCOPE_NVML_LIBRARY = saved;
});

function expectNoGpu(m: Measurement): void {
  expect(m).toMatchObject({ status: 'unavailable', reason: 'no-gpu', energyJ: null, uncertaintyJ: null, flags: ['no-gpu'] });
}

describe("EnergyMonitor.open({ ifUnavailable: 'noop' }) without a GPU", () => {
  it('without the option, a machine without NVML is still an error', async () => {
    await expect(EnergyMonitor.open()).rejects.toBeInstanceOf(NvmlError);
    await expect(EnergyMonitor.open()).rejects.toMatchObject({ code: 'NVML_ERROR_LIBRARY_NOT_FOUND' });
  });

  it('gives a monitor whose scopes run the code and measure nothing, saying why', async () => {
    const monitor = await EnergyMonitor.open({ ifUnavailable: 'noop' });
    expect(monitor.gpus).toEqual([]);
    expect(monitor.unavailableReason).toMatch(/NVML was not found/);
    const { result, measurement } = await monitor.measure('work', () => 42);
    expect(result).toBe(42);
    expectNoGpu(measurement);
    expect(measurement.durationS).toBeGreaterThanOrEqual(0);
    {
      using scope = monitor.begin('decode', { phase: 'decode' });
      expect(scope).toBeDefined();
    }
    const record = await monitor.query('q1', async (q) => {
      await q.phase('prefill', () => 'tokens', { tokens: 12 });
      await q.phase('decode', async () => 'text');
      return 'answer';
    });
    expect(record.result).toBe('answer');
    expectNoGpu(record.measurement);
    expect(record.phases.map((p) => p.phase)).toEqual(['prefill', 'decode']);
    for (const p of record.phases) expectNoGpu(p);
    expect(record.phases[0]!.tokens).toBe(12);
    expect(Number.isNaN(monitor.latestPowerW())).toBe(true);
    await monitor.settle();
    expect(await monitor.close()).toEqual([]);
  });

  it("rethrows the user's own errors and records them; a run has no energy to sum and says so", async () => {
    const monitor = await EnergyMonitor.open({ ifUnavailable: 'noop' });
    const boom = new Error('model failed');
    await expect(
      monitor.measure('fails', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    const run = monitor.startRun('r');
    await expect(run.finish()).rejects.toMatchObject({ code: 'WATTSCOPE_NO_GPU' });
    await monitor.close();
  });

  it('a machine with a GPU still gets a measuring monitor (the simulated GPU here)', async () => {
    delete process.env.WATTSCOPE_NVML_LIBRARY;
    const monitor = await EnergyMonitor.open({ ifUnavailable: 'noop', simulate: true });
    try {
      expect(monitor.unavailableReason).toBeNull();
      expect(monitor.gpus).toHaveLength(1);
      const { measurement } = await monitor.measure('work', () => new Promise((r) => setTimeout(r, 120)));
      expect(measurement.status).toBe('measured');
    } finally {
      await monitor.close();
    }
  });
});
