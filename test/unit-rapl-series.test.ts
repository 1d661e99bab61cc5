/**
 * RaplSeries and the CPU energy sums on synthetic reads (no clock, no files): interpolation
 * between reads, the stated half-width as a bound, failed and slow reads as gaps, never values.
 */
import { describe, expect, it } from 'vitest';
import { cpuEnergyBetween } from '../src/cpu/cpu-energy.js';
import { resolveCpuEstimate } from '../src/cpu/cpu-estimate.js';
import { RAPL_UPDATE_PERIOD_S, RaplSeries, SLOW_READ } from '../src/cpu/rapl-series.js';

const MS = 1e6;
const describeFailure = (errno: number) => `failed with errno ${errno}`;

/** Reads every `periodMs` of a counter at `powerW` (µJ), each read taking `spanNs`. */
function steadySeries(powerW: number, periodMs: number, count: number, spanNs = 10_000): RaplSeries {
  const series = new RaplSeries('intel-rapl:0', 120, describeFailure);
  for (let i = 0; i < count; i++) series.append(i * periodMs * MS, spanNs, powerW * i * periodMs * 1e3, 0);
  return series;
}

describe('RaplSeries', () => {
  it('interpolates between the reads around an instant, exact at constant power', () => {
    const series = steadySeries(50, 1, 100);
    const at = series.pointAt(10.4 * MS);
    expect('energyJ' in at && at.energyJ).toBeCloseTo(50 * 0.0104, 9);
  });

  it('states a half-width that bounds the counter anywhere in the gap, plus one RAPL update', () => {
    const series = steadySeries(50, 1, 100, 20_000);
    const at = series.pointAt(10.25 * MS);
    if (!('energyJ' in at)) throw new Error('expected a point');
    // Up to the read after (0.75 ms of 50 W) plus an update period and half the read's span.
    expect(at.uncertaintyJ).toBeCloseTo(50 * (0.00075 + RAPL_UPDATE_PERIOD_S + 10e-6), 9);
    // A burst inside the gap: the truth still lies within the bound (all 50 mJ of the gap at its very start).
    const burst = new RaplSeries('z', 120, describeFailure);
    burst.append(0, 0, 0, 0);
    burst.append(1 * MS, 0, 50_000, 0);
    burst.append(2 * MS, 0, 50_000, 0);
    const mid = burst.pointAt(0.5 * MS);
    if (!('energyJ' in mid)) throw new Error('expected a point');
    expect(Math.abs(0.05 - mid.energyJ)).toBeLessThanOrEqual(mid.uncertaintyJ);
    expect(Math.abs(0 - mid.energyJ)).toBeLessThanOrEqual(mid.uncertaintyJ);
  });

  it('is not ready, and has no point, before a read lies after the instant', () => {
    const series = steadySeries(50, 1, 10);
    expect(series.readyAt(9 * MS)).toBe(false);
    expect(series.readyAt(8.5 * MS)).toBe(true);
    expect(series.pointAt(9.5 * MS)).toEqual({ failure: 'no read of intel-rapl:0 after this instant' });
    expect(series.pointAt(-1)).toMatchObject({ failure: expect.stringContaining("before the zone's first read") });
  });

  it('a failed read is a gap: the reads around it are used, and the errno is the reason when none follows', () => {
    const series = steadySeries(50, 1, 10);
    series.append(10 * MS, 10_000, NaN, 13);
    expect(series.pointAt(9.5 * MS)).toEqual({ failure: 'failed with errno 13' });
    series.append(11 * MS, 10_000, 50 * 11 * 1e3, 0);
    const bridged = series.pointAt(9.5 * MS);
    expect('energyJ' in bridged && bridged.energyJ).toBeCloseTo(50 * 0.0095, 9);
  });

  it("a read far slower than the zone's typical read is not used to place the counter in time", () => {
    const series = steadySeries(50, 1, 50, 10_000);
    // Its value is right for its end (t = 50.5 ms), not for its midpoint (50 ms): used, it would bend the line.
    series.append(50 * MS, 1 * MS, 50 * 50.5 * 1e3, 0);
    series.append(51 * MS, 10_000, 50 * 51 * 1e3, 0);
    const at = series.pointAt(50.2 * MS);
    expect('energyJ' in at && at.energyJ).toBeCloseTo(50 * 0.0502, 9);
    const onlySlow = new RaplSeries('z', 120, describeFailure);
    onlySlow.append(0, 10_000, 0, 0);
    onlySlow.append(1 * MS, 5 * MS, 1000, 0);
    expect(onlySlow.pointAt(0.5 * MS)).toEqual({ failure: `failed with errno ${SLOW_READ}` });
  });

  it('gives the mean power over the newest reads', () => {
    expect(steadySeries(42, 1, 1000).powerW(0.5)).toBeCloseTo(42, 9);
    expect(new RaplSeries('z', 120, describeFailure).powerW(0.5)).toBeNaN();
  });
});

describe('CPU energy of an interval', () => {
  const point = (packageJ: number | null, dramJ: number | null, reason: string | null = null) => ({
    packageJ,
    packageUncertaintyJ: 0.1,
    dramJ,
    dramUncertaintyJ: 0.01,
    reason,
    estimate: null,
    packageEstimated: false,
    dramEstimated: false,
  });

  it('subtracts the two points and adds their half-widths', () => {
    expect(cpuEnergyBetween(point(10, 2), point(15, 3), 'x')).toEqual({
      packageEnergyJ: 5,
      packageUncertaintyJ: 0.2,
      dramEnergyJ: 1,
      dramUncertaintyJ: 0.02,
      method: 'rapl-counter',
      reason: null,
      flags: [],
      estimate: null,
    });
  });

  it("an estimated figure (CodeCarbon's way, no RAPL for it) is flagged, carries its inputs, and is uncertain by its whole size", () => {
    const inputs = resolveCpuEstimate({ tdpW: 200, ramGb: 64 });
    expect(inputs).toMatchObject({ cpuShare: 0.5, cpuW: 100, wattsPerGb: 0.375, ramW: 24 });
    // Packages read from RAPL, DRAM estimated (a CPU without a dram zone): 2 s of 24 W.
    const at = (t: number, packageJ: number) => ({ ...point(packageJ, 24 * t), estimate: inputs, dramEstimated: true });
    const energy = cpuEnergyBetween(at(1, 10), at(3, 25), 'x');
    expect(energy).toMatchObject({ packageEnergyJ: 15, packageUncertaintyJ: 0.2, dramEnergyJ: 48, dramUncertaintyJ: 48 });
    expect(energy).toMatchObject({ method: 'rapl-counter+estimate', flags: ['estimate'], estimate: inputs, reason: null });
    const allEstimated = cpuEnergyBetween({ ...at(1, 100), packageEstimated: true }, { ...at(3, 300), packageEstimated: true }, 'x');
    expect(allEstimated).toMatchObject({ method: 'estimate', packageEnergyJ: 200, packageUncertaintyJ: 200 });
  });

  it('a missing point or figure is null with the reason, never zero', () => {
    expect(cpuEnergyBetween(null, point(1, 1), 'not settled')).toMatchObject({ packageEnergyJ: null, dramEnergyJ: null, reason: 'not settled' });
    expect(cpuEnergyBetween(point(1, null, 'no dram zone'), point(2, null, 'no dram zone'), 'x')).toMatchObject({
      packageEnergyJ: 1,
      dramEnergyJ: null,
      reason: 'no dram zone',
    });
  });
});
