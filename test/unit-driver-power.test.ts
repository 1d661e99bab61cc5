/** The driver's power samples as a series (src/sampling/driver-power.ts), on synthetic samples: no driver, no wall clock. */
import { describe, expect, it } from 'vitest';
import { DriverPowerSeries } from '../src/sampling/driver-power.js';

const ORIGIN_NS = 5_000_000_000n;
const ms = (t: number) => ORIGIN_NS + BigInt(Math.round(t * 1e6));

/** A series holding samples that end at `endsMs` (ms after the origin) with the mean powers `watts`. */
function seriesOf(endsMs: number[], watts: number[], retentionS = 120): DriverPowerSeries {
  const series = new DriverPowerSeries(3, ORIGIN_NS, retentionS);
  series.append(BigInt64Array.from(endsMs.map(ms)), Float64Array.from(watts.map((w) => w * 1000)));
  return series;
}

describe('DriverPowerSeries', () => {
  it('integrates each interval at its mean power, in part where a window cuts it', () => {
    // Intervals (0, 20] at 300 W, (20, 40] and (40, 60] at 200 W; the first sample's 999 W is the
    // mean of an interval before the series began, and only opens it.
    const series = seriesOf([0, 20, 40, 60], [999, 300, 200, 200]);
    expect(series.energyJ(0, 60e6)).toBeCloseTo(0.3 * 20e-3 * 1000 + 0.2 * 40e-3 * 1000, 12);
    // (10, 30]: 10 ms at 300 W and 10 ms at 200 W.
    expect(series.energyJ(10e6, 30e6)).toBeCloseTo(300 * 0.01 + 200 * 0.01, 12);
    expect(series.energyJ(25e6, 25e6)).toBe(0);
  });

  it('says null where the window is not covered (before the first sample, after the latest, reversed)', () => {
    const series = seriesOf([0, 20, 40], [100, 100, 100]);
    expect(series.energyJ(-1, 10e6)).toBeNull();
    expect(series.energyJ(10e6, 40e6 + 1)).toBeNull();
    expect(series.energyJ(30e6, 10e6)).toBeNull();
    expect(new DriverPowerSeries(0, ORIGIN_NS, 5).energyJ(0, 0)).toBeNull();
    expect(series.coveredUntilNs).toBe(40e6);
  });

  it('keeps only samples that move forward, and only finite powers', () => {
    const series = seriesOf([0, 20, 40], [100, 100, 100]);
    series.append(BigInt64Array.from([ms(40), ms(30), ms(60), ms(80)]), Float64Array.from([5e5, 5e5, Number.NaN, 2e5]));
    expect(series.length).toBe(4);
    const { endNs, powerW } = series.samples();
    expect(Array.from(endNs, (t) => Number(t - ORIGIN_NS) / 1e6)).toEqual([0, 20, 40, 80]);
    expect(Array.from(powerW)).toEqual([100, 100, 100, 200]);
  });

  it('keeps retentionS of samples at 100 per second (never fewer than 1,024), the newest', () => {
    const ends = Array.from({ length: 1500 }, (_, i) => i * 20);
    const series = seriesOf(
      ends,
      ends.map((_, i) => i),
      5,
    );
    expect(series.length).toBe(1024);
    expect(series.samples().powerW[0]).toBe(1500 - 1024);
    expect(
      seriesOf(
        ends,
        ends.map(() => 1),
        12,
      ).length,
    ).toBe(1200);
  });

  it('samples(from, to) picks the samples ending in the window, in absolute monotonic ns', () => {
    const series = seriesOf([0, 20, 40, 60], [1, 2, 3, 4]);
    const picked = series.samples(ms(20), ms(40));
    expect(picked.gpu).toBe(3);
    expect(Array.from(picked.endNs)).toEqual([ms(20), ms(40)]);
    expect(Array.from(picked.powerW)).toEqual([2, 3]);
  });
});
