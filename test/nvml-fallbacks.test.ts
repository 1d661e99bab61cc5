/**
 * Each optional NVML query falls back to its older equivalent, or is null with NVML's reason,
 * whether the newer entry point is missing or exported but refused (NOT_SUPPORTED, NOT_FOUND).
 * The simulated driver refuses one query at a time (WATTSCOPE_SIM_FAULTS not_supported=...);
 * `devices --json` and a measured scope (`measure --json`) must still answer, and never throw.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';

type Device = Record<string, unknown> & { unsupported: Record<string, string> };

function devicesWith(faults: string): Device {
  configureSim({ faults });
  const r = runCli(['devices', '--simulate', '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as Device[])[0]!;
}

function measureWith(faults: string) {
  configureSim({ faults, trace: '0:250' });
  const r = runCli(['measure', '--simulate', '--json', '--', process.execPath, '-e', 'setTimeout(() => {}, 400)']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as {
    status: string;
    gpus: Array<{ energyJ: number; uncertaintyJ: number; method: string; powerSource: string; energySource: string }>;
  };
}

// Refused query -> what each field must show: a value from the fallback, or null with the reason.
const fromFallback: Array<[string, Record<string, unknown>]> = [
  ['nvmlDeviceGetTemperatureV', { temperatureC: expect.any(Number) }],
  ['nvmlDeviceGetPciInfo_v3', { pciBusId: '00000000:18:00.0' }],
  ['nvmlDeviceGetPowerUsage', { powerW: expect.any(Number) }],
  ['nvmlDeviceGetTotalEnergyConsumption', { totalEnergyJ: expect.any(Number) }],
  ['field185', { powerW: expect.any(Number) }],
];
const nullWithReason: Array<[string, string]> = [
  ['field186', 'instantPowerW'],
  ['nvmlDeviceGetArchitecture', 'architecture'],
  ['nvmlDeviceGetClockInfo', 'smClockMhz'],
  ['nvmlDeviceGetUtilizationRates', 'utilizationGpuPct'],
  ['nvmlDeviceGetMemoryInfo', 'memoryTotalBytes'],
  ['nvmlDeviceGetEnforcedPowerLimit', 'powerLimitW'],
  ['nvmlDeviceGetName', 'name'],
];

describe('optional NVML queries refused one at a time', () => {
  for (const mode of ['not_supported', 'not_found'] as const) {
    for (const [query, expected] of fromFallback) {
      it(`${mode}=${query}: the field comes from the older query`, () => {
        const device = devicesWith(`${mode}=${query}`);
        expect(device).toMatchObject(expected);
        for (const key of Object.keys(expected)) expect(device.unsupported[key]).toBeUndefined();
      });
    }
  }

  for (const [query, field] of nullWithReason) {
    it(`not_supported=${query}: ${field} is null with NVML's reason`, () => {
      const device = devicesWith(`not_supported=${query}`);
      expect(device[field]).toBeNull();
      expect(device.unsupported[field]).toBe('NVML_ERROR_NOT_SUPPORTED');
    });
  }

  it('temperature: when both queries are refused, null with the reason', () => {
    const device = devicesWith('not_supported=nvmlDeviceGetTemperatureV,not_supported=nvmlDeviceGetTemperature');
    expect(device.temperatureC).toBeNull();
    expect(device.unsupported.temperatureC).toBe('NVML_ERROR_NOT_SUPPORTED');
  });

  it('a scope with the instant power field refused samples the 1 s average instead, and says so', () => {
    const m = measureWith('not_supported=field186');
    expect(m.status).toBe('measured');
    expect(m.gpus[0]).toMatchObject({ powerSource: 'average-1s', energySource: 'counter', method: 'energy-counter' });
    expect(m.gpus[0]!.energyJ).toBeGreaterThan(0);
  });

  it('a scope with the instant field and nvmlDeviceGetPowerUsage refused samples the average field (185)', () => {
    const m = measureWith('not_supported=field186,not_supported=nvmlDeviceGetPowerUsage');
    expect(m.gpus[0]).toMatchObject({ powerSource: 'average-1s-field', energySource: 'counter' });
    expect(m.gpus[0]!.energyJ).toBeGreaterThan(0);
  });

  it('a scope with the counter function refused reads the counter through its field (83)', () => {
    const m = measureWith('not_supported=nvmlDeviceGetTotalEnergyConsumption');
    expect(m.gpus[0]).toMatchObject({ powerSource: 'instant', energySource: 'counter-field', method: 'energy-counter' });
    // 250 W for about 0.4 s.
    expect(m.gpus[0]!.energyJ).toBeGreaterThan(80);
  });

  it('a scope with the counter refused both ways falls back to power integration, flagged', () => {
    const m = measureWith('not_supported=nvmlDeviceGetTotalEnergyConsumption,not_supported=field83');
    expect(m.gpus[0]).toMatchObject({ energySource: 'none', method: 'power-integration' });
    expect(m.gpus[0]!.energyJ).toBeGreaterThan(80);
  });
});
