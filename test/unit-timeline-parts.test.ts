/**
 * Deterministic unit tests of the estimator's parts, each fed synthetic input (no wall clock, no
 * simulator): sample storage, counter anchors, the power model at scope boundaries, and the
 * whole timeline on synthetic sample streams from an instant and a periodic (H100-like) sensor.
 */
import { describe, expect, it } from 'vitest';
import { BoundaryPowerModel, MIXED_LABEL } from '../src/estimators/boundary-power.js';
import { CounterAnchors } from '../src/sampling/counter-anchors.js';
import { fellBack, MonotonicityCheck } from '../src/sampling/monotonicity.js';
import { SampleStore } from '../src/sampling/sample-store.js';
import { PowerTimeline } from '../src/timeline/timeline.js';
import { feedTimeline, MS, PowerTrace, seededRandom } from './helpers/synthetic-stream.js';

const FLAT = { minW: Infinity, maxW: -Infinity };

describe('SampleStore', () => {
  it('keeps the integral and the jumps variance as running sums, across eviction', () => {
    const store = new SampleStore();
    store.push(0, 100, 5, 0);
    store.push(10 * MS, 300, 6, 2); // 2 J since the first sample; a 200 W jump over 10 ms
    store.push(20 * MS, 300, 9, 3);
    expect(store.integralJ(2)).toBe(5);
    const jumpJ = 200 * 0.01;
    expect(store.jumpVarianceJ2(1)).toBeCloseTo((jumpJ * jumpJ) / 12, 12);
    expect(store.jumpVarianceBetweenJ2(-1, 2)).toBeCloseTo((jumpJ * jumpJ) / 12, 12);
    expect(store.jumpVarianceBetweenJ2(1, 2)).toBe(0);
    expect(store.readingRange(0, 2)).toEqual({ minW: 100, maxW: 300 });
    expect(store.readingRange(-4, 0)).toEqual({ minW: 100, maxW: 100 });
    expect(store.floorIndex(15 * MS)).toBe(1);
    store.dropFront(1);
    expect({ first: store.firstTimeNs, integral: store.integralJ(0), counter: store.counterJ(1), length: store.length }).toEqual({
      first: 10 * MS,
      integral: 2,
      counter: 9,
      length: 2,
    });
  });
});

describe('CounterAnchors', () => {
  const anchor = (timeMs: number, energyJ: number, integralJ: number) => ({ timeNs: timeMs * MS, halfWidthNs: 0.5 * MS, energyJ, integralJ, powerW: 200 });

  it('scales power by the median counter/power ratio, skipping steps after a reset', () => {
    const anchors = new CounterAnchors();
    expect(anchors.ratio()).toBe(1);
    anchors.push(anchor(0, 0, 0), false);
    anchors.push(anchor(100, 20, 19), false); // 1.0526
    anchors.push(anchor(200, 40, 39), false); // 1.0
    anchors.push(anchor(300, 500, 59), true); // after a reset: not a ratio
    anchors.push(anchor(400, 521, 79), false); // 1.05
    expect(anchors.ratio()).toBeCloseTo(1.05, 12);
    expect(anchors.ratioSpread()).toBe(0.05); // fewer than four ratios: the prior spread
    expect(anchors.timingJ(1)).toBeCloseTo(0.1, 12);
    expect(anchors.stepJ(3)).toBe(21);
    expect(anchors.between(50 * MS, 350 * MS)).toBe(3);
  });

  it('bridges a counter reset (a driver reload) by the scaled power integral since the last anchor', () => {
    const anchors = new CounterAnchors();
    const origin = { timeNs: 0, integralJ: 0 };
    const update = (atMs: number, rawJ: number, previousRawJ: number, integralJ: number) =>
      anchors.recordUpdate({ atNs: atMs * MS, halfWidthNs: 0, rawJ, previousRawJ, integralJ, powerW: 100 }, origin);
    expect(update(100, 5000, 4990, 10)).toBeNull();
    expect(update(200, 5010, 5000, 20)).toBeNull();
    expect(update(300, 5020, 5010, 30)).toBeNull();
    // The driver reloads: the raw counter restarts near zero; 10 J of power were integrated since the last anchor.
    expect(update(400, 3, 5020, 40)).toBe(300 * MS);
    expect(anchors.energyJ(3)).toBeCloseTo(5030, 9);
    expect(anchors.offsetJ).toBeCloseTo(5027, 9);
    expect(update(500, 13, 3, 50)).toBeNull();
    expect(anchors.stepJ(3)).toBeCloseTo(10, 9);
  });

  it('clamps the ratio into [0.5, 2] and drops all but one anchor before a time', () => {
    const anchors = new CounterAnchors();
    for (let k = 0; k < 4; k++) anchors.push(anchor(100 * k, 30 * k, 10 * k), false);
    expect(anchors.ratio()).toBe(2);
    anchors.dropBefore(150 * MS);
    expect(anchors.length).toBe(3);
    expect(anchors.timeNs(0)).toBe(100 * MS);
  });
});

describe('BoundaryPowerModel', () => {
  it('integrates a trapezoid where no boundary falls', () => {
    const model = new BoundaryPowerModel();
    model.closeInterval(0, 10 * MS, 100, 300, FLAT);
    expect(model.integralJ(0, 10 * MS, 100, 300, 5 * MS)).toBeCloseTo(0.1 * 5 + (200 * 0.005 * 0.005) / (2 * 0.01), 12);
  });

  it('steps the power at a boundary inside a sample interval, not along the ramp', () => {
    const model = new BoundaryPowerModel();
    model.markBoundary(4 * MS, 'prefill');
    model.closeInterval(0, 10 * MS, 100, 500, FLAT);
    expect(model.integralJ(0, 10 * MS, 100, 500, 10 * MS)).toBeCloseTo(100 * 0.004 + 500 * 0.006, 12);
    expect(model.spreadW(0)).toBe(0);
  });

  it('gives a middle segment its label learnt power, and bounds it by the readings around', () => {
    const model = new BoundaryPowerModel();
    model.markBoundary(0, 'decode');
    for (let i = 0; i < 3; i++) model.closeInterval(i * MS, (i + 1) * MS, 320, 320, FLAT); // learns decode = 320 W
    expect(model.priorW('decode')).toBe(320);
    model.markBoundary(10.2 * MS, '');
    model.markBoundary(10.4 * MS, 'decode');
    model.markBoundary(10.5 * MS, '');
    model.closeInterval(10 * MS, 11 * MS, 80, 80, { minW: 70, maxW: 330 });
    const expectedJ = (80 * 0.2 + 80 * 0.2 + 320 * 0.1 + 80 * 0.5) / 1000; // the idle gap: ramp value 80 W
    expect(model.integralJ(10 * MS, 11 * MS, 80, 80, 11 * MS)).toBeCloseTo(expectedJ, 12);
    expect(model.spreadW(10 * MS)).toBe(330 - 70);
  });

  it('moves a step seen just after a boundary back to the interval start (the work starts it)', () => {
    const model = new BoundaryPowerModel();
    model.markBoundary(9.8 * MS, 'prefill');
    model.closeInterval(9 * MS, 9.9 * MS, 80, 80, FLAT);
    model.closeInterval(10 * MS, 11 * MS, 80, 600, FLAT);
    expect(model.stepsAtStart(10 * MS)).toBe(true);
    expect(model.integralJ(10 * MS, 11 * MS, 80, 600, 10.5 * MS)).toBeCloseTo(600 * 0.0005, 12);
  });

  it('lists the labelled segments of a step with their tokens, and the token covariate', () => {
    const model = new BoundaryPowerModel();
    model.markBoundary(5 * MS, 'prefill', 512);
    model.markBoundary(20 * MS, null);
    model.markBoundary(30 * MS, 'prefill', 2048);
    expect(model.segments(10 * MS, 40 * MS)).toEqual([
      { fromNs: 10 * MS, label: 'prefill', tokens: 512 },
      { fromNs: 20 * MS, label: MIXED_LABEL, tokens: NaN },
      { fromNs: 30 * MS, label: 'prefill', tokens: 2048 },
    ]);
    expect(model.tokenCovariate('prefill', 2048)).toBeCloseTo(1.536, 12);
    expect(model.tokenCovariate('decode', 10)).toBeNull();
    model.dropBefore(25 * MS);
    expect(model.segments(25 * MS, 26 * MS)).toEqual([{ fromNs: 25 * MS, label: MIXED_LABEL, tokens: NaN }]);
  });
});

/**
 * Three phases per query at their own powers (each query's power within +-`spread` of the phase's),
 * with idle gaps, from 300 ms on; boundaries marked.
 */
function queries(
  timeline: PowerTimeline,
  count: number,
  seed: number,
  spread = 0,
): { trace: PowerTrace; scopes: Array<{ label: string; a: number; b: number }> } {
  const random = seededRandom(seed);
  const trace = new PowerTrace(70);
  const scopes: Array<{ label: string; a: number; b: number }> = [];
  let t = 300 * MS;
  for (let q = 0; q < count; q++) {
    for (const [label, powerW] of [
      ['preprocess', 110],
      ['prefill', 560],
      ['decode', 330],
    ] as const) {
      const b = t + (2 + random() * 60) * MS;
      trace.set(t, powerW * (1 + spread * (2 * random() - 1)));
      timeline.markBoundary(t, label);
      scopes.push({ label, a: t, b });
      t = b;
    }
    trace.set(t, 70);
    timeline.markBoundary(t, '');
    t += (1 + random() * 20) * MS;
  }
  return { trace, scopes };
}

describe('PowerTimeline on synthetic streams', () => {
  it('instant sensor: scopes within their stated uncertainty, phases adding up to the counter', () => {
    const timeline = new PowerTimeline(0, 0n, true, 1000, 120);
    const { trace, scopes } = queries(timeline, 40, 7);
    const end = scopes.at(-1)!.b;
    feedTimeline(timeline, trace, { sensor: 'instant', sampleMs: 1, durationMs: end / MS + 300 });
    expect(timeline.sensor.kind).toBe('instant');
    let covered = 0;
    for (const { a, b } of scopes) {
      const estimate = timeline.interval(a, b);
      const truthJ = trace.energyJ(a, b);
      if (Math.abs(estimate.energyJ - truthJ) <= estimate.uncertaintyJ) covered++;
      expect(Math.abs(estimate.energyJ - truthJ)).toBeLessThan(0.02 * truthJ + 0.2);
    }
    expect(covered / scopes.length).toBeGreaterThanOrEqual(0.95);
    const whole = timeline.interval(scopes[0]!.a, end);
    expect(whole.energyJ).toBeCloseTo(trace.energyJ(scopes[0]!.a, end), 0);
  });

  it('periodic sensor (phase powers varying by +-30% per query): recognised, flagged coarse, at least 95% of scopes inside their stated interval', () => {
    const timeline = new PowerTimeline(0, 0n, true, 1000, 120, false, 700);
    const { trace, scopes } = queries(timeline, 40, 11, 0.3);
    feedTimeline(timeline, trace, { sensor: 'periodic', sampleMs: 1, durationMs: scopes.at(-1)!.b / MS + 300 });
    expect(timeline.sensor.kind).toBe('periodic');
    expect(timeline.sensor.refreshPeriodMs).toBeCloseTo(100, 0);
    let covered = 0;
    for (const { a, b } of scopes) {
      const estimate = timeline.interval(a, b);
      expect(estimate.flags).toContain('coarse-sensor');
      if (Math.abs(estimate.energyJ - trace.energyJ(a, b)) <= estimate.uncertaintyJ) covered++;
    }
    expect(covered / scopes.length).toBeGreaterThanOrEqual(0.95);
  });

  it('periodic sensor: over many queries the regression learns each phase power', () => {
    const timeline = new PowerTimeline(0, 0n, true, 1000, 120, false, 700);
    const { trace, scopes } = queries(timeline, 200, 5);
    feedTimeline(timeline, trace, { sensor: 'periodic', sampleMs: 1, durationMs: scopes.at(-1)!.b / MS + 300 });
    const fit = timeline.regression.fit()!;
    for (const [label, powerW] of [
      ['preprocess', 110],
      ['prefill', 560],
      ['decode', 330],
    ] as const) {
      expect(Math.abs(fit.powers.get(label)!.powerW - powerW)).toBeLessThan(2);
    }
    const estimate = timeline.interval(scopes[30]!.a, scopes[30]!.b);
    expect(estimate.method).toBe('counter-regression');
  });
});

describe('MonotonicityCheck', () => {
  it('counts a settled boundary below the one before it on the same GPU, not rounding', () => {
    const check = new MonotonicityCheck();
    check.observeSettled(0, 1, 1_000_000);
    check.observeSettled(1, 2, 10);
    check.observeSettled(0, 3, 1_000_000 - 1e-4); // rounding at a MJ counter
    check.observeSettled(0, 4, 999_990);
    expect(fellBack(1_000_000, 1_000_000 - 1e-4)).toBe(false);
    expect(check.count).toBe(1);
    expect(check.decreases).toEqual([{ gpu: 0, t: 4, dropJ: 1_000_000 - 1e-4 - 999_990, where: 'settle', forced: false }]);
  });

  it("checks a run summary's instants in time order, whatever order they come in", () => {
    const check = new MonotonicityCheck();
    const found = check.observeRun([
      { t: 30, energyJ: 12, forced: false },
      { t: 10, energyJ: 10, forced: false },
      { t: 20, energyJ: 13, forced: true },
    ]);
    expect(found).toBe(1);
    expect(check.decreases[0]).toMatchObject({ t: 30, where: 'run-summary', forced: true });
    expect(check.decreases[0]!.dropJ).toBeCloseTo(1, 12);
  });
});
