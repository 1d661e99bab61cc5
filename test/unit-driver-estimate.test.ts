/**
 * The counter's steps shared out by the driver's power samples (src/estimators/driver-estimate.ts),
 * on synthetic streams: a known power curve, its 20 ms means as the driver's samples, its exact
 * energy at 100 ms anchors. No driver, no wall clock.
 */
import { describe, expect, it } from 'vitest';
import { CounterAnchors } from '../src/sampling/counter-anchors.js';
import { DriverShapeEstimator } from '../src/estimators/driver-estimate.js';
import { DriverPowerSeries } from '../src/sampling/driver-power.js';

const MS = 1e6;
const RANGE = { minW: 90, maxW: 735 };

/** A deterministic pseudo-random sequence in [0, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Power that changes every `stepMs` to a level in [100, 700] W, and its exact integral. */
function powerCurve(seed: number, stepMs: number) {
  const next = random(seed);
  const levels = Array.from({ length: 1000 }, () => 100 + 600 * next());
  const powerW = (t: number) => levels[Math.floor(t / (stepMs * MS))]!;
  const energyJ = (t: number) => {
    const whole = Math.floor(t / (stepMs * MS));
    let sum = 0;
    for (let i = 0; i < whole; i++) sum += (levels[i]! * stepMs) / 1000;
    return sum + (powerW(t) * (t - whole * stepMs * MS)) / 1e9;
  };
  return { powerW, energyJ };
}

/** The estimator over `durationMs` of the curve: driver samples every `sampleMs`, anchors every 100 ms (exactly placed, or `halfWidthMs` off). */
function estimatorOf(curve: ReturnType<typeof powerCurve>, durationMs: number, sampleMs = 20, gain = 1) {
  const series = new DriverPowerSeries(0, 0n, 120);
  const ends = Array.from({ length: Math.floor(durationMs / sampleMs) + 1 }, (_, i) => i * sampleMs * MS);
  const means = ends.map((t, i) => (i === 0 ? curve.powerW(0) : (gain * (curve.energyJ(t) - curve.energyJ(ends[i - 1]!)) * 1e9) / (sampleMs * MS)));
  series.append(
    BigInt64Array.from(ends, (t) => BigInt(t)),
    Float64Array.from(means, (w) => w * 1000),
  );
  const anchors = new CounterAnchors();
  for (let t = 0; t <= durationMs * MS; t += 100 * MS) {
    anchors.push({ timeNs: t, halfWidthNs: 0, energyJ: curve.energyJ(t), integralJ: curve.energyJ(t), powerW: curve.powerW(t) }, false);
  }
  return { estimator: new DriverShapeEstimator(anchors, series, () => RANGE), anchors, series };
}

describe('DriverShapeEstimator', () => {
  it('is exact at the anchors and where the power is flat inside the samples', () => {
    const flat = powerCurve(7, 1000); // one level per second: flat inside every sample
    const { estimator } = estimatorOf(flat, 900);
    for (const t of [0, 100 * MS, 240 * MS, 377.7 * MS, 899 * MS]) {
      const k = Math.min(8, Math.floor(t / (100 * MS)));
      const point = estimator.point(t, k)!;
      expect(point.energyJ).toBeCloseTo(flat.energyJ(t), 9);
      // The samples cannot tell flat power from any other shape with the same means: the interval
      // still allows the power anywhere in the GPU's range inside each sample (at most 10 ms either
      // side at each of t and the two anchors), never more.
      expect(point.uncertaintyJ).toBeLessThanOrEqual(3 * (RANGE.maxW - RANGE.minW) * 0.01);
      expect(point.shape).toBe('driver-samples');
    }
  });

  it('power changing every 7 ms (inside the 20 ms samples): every point within its stated interval, 2,000 instants', () => {
    const curve = powerCurve(11, 7);
    const { estimator } = estimatorOf(curve, 1900);
    const next = random(3);
    let widest = 0;
    for (let i = 0; i < 2000; i++) {
      const t = next() * 1899 * MS;
      const k = Math.floor(t / (100 * MS));
      const point = estimator.point(t, k)!;
      expect(Math.abs(point.energyJ - curve.energyJ(t)), `t ${t} ns`).toBeLessThanOrEqual(point.uncertaintyJ + 1e-9);
      widest = Math.max(widest, point.uncertaintyJ);
    }
    // No wider than the GPU's range over half a sample at either end and the anchors' (645 W x 10 ms x 3).
    expect(widest).toBeLessThan(645 * 0.01 * 3);
  });

  it('samples 3% off the counter (a driver whose power reads high): the ratio takes it out; a step that disagrees beyond it widens the interval', () => {
    const curve = powerCurve(5, 7);
    const { estimator } = estimatorOf(curve, 1900, 20, 1.03);
    const next = random(9);
    for (let i = 0; i < 500; i++) {
      const t = next() * 1899 * MS;
      const point = estimator.point(t, Math.floor(t / (100 * MS)))!;
      expect(Math.abs(point.energyJ - curve.energyJ(t))).toBeLessThanOrEqual(point.uncertaintyJ + 1e-9);
    }
  });

  it('[a, b] inside one step: the interval from both ends holds the truth and is no wider than the two points’ sum', () => {
    const curve = powerCurve(13, 7);
    const { estimator } = estimatorOf(curve, 1000);
    const next = random(17);
    for (let i = 0; i < 500; i++) {
      const k = Math.floor(next() * 9);
      const a = (k * 100 + next() * 60) * MS;
      const b = a + next() * (k * 100 * MS + 100 * MS - a);
      const [pa, pb] = [estimator.point(a, k)!, estimator.point(b, k)!];
      const withinJ = estimator.withinOneStepJ(a, b, pa, pb, k)!;
      const truthJ = curve.energyJ(b) - curve.energyJ(a);
      expect(Math.abs(pb.energyJ - pa.energyJ - truthJ)).toBeLessThanOrEqual(withinJ + 1e-9);
      expect(withinJ).toBeLessThanOrEqual(pa.uncertaintyJ + pb.uncertaintyJ + 1e-9);
    }
  });

  it('null where the samples do not hold the step yet; stopped once they lag the counter by 3 s', () => {
    const curve = powerCurve(1, 7);
    const { estimator, anchors } = estimatorOf(curve, 500);
    expect(estimator.point(450 * MS, 4)).not.toBeNull();
    anchors.push({ timeNs: 600 * MS, halfWidthNs: 0, energyJ: curve.energyJ(600 * MS), integralJ: 0, powerW: 100 }, false);
    expect(estimator.point(550 * MS, 5)).toBeNull();
    expect(estimator.stopped()).toBe(false);
    anchors.push({ timeNs: 3600 * MS, halfWidthNs: 0, energyJ: curve.energyJ(3600 * MS), integralJ: 0, powerW: 100 }, false);
    expect(estimator.stopped()).toBe(true);
  });
});
