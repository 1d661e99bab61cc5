/**
 * What kind of power sensor a GPU has, learnt from its sample stream.
 *
 * An H100's power reading is refreshed only about every 100 ms (each value the mean of about
 * 25 ms), so a sampler polling at 1 kHz sees a staircase. A reading that changes between samples
 * a few milliseconds apart is `instant`; one that only ever changes on a coarse grid is `periodic`
 * with the grid's period; a 1 s moving average (nvmlDeviceGetPowerUsage) is `average-1s`. Until
 * the stream shows which, the sensor is `unknown`, and the estimator treats it as coarse: the
 * ideal sensor is never assumed.
 *
 * A second kind of evidence comes from the counter: in a counter step where the reading changed
 * by so much that a change seen even a few milliseconds late would break the match, an instant
 * sensor's integral matches the counter's step; a periodic one's does not (the change shows at
 * the next refresh, smoothed by its window). "Matches" is judged against the counter/power ratio
 * of steady steps (the reading flat throughout), never against a ratio the judged step itself
 * helped to form: a median over changed steps would agree with one of them by construction. Changed
 * steps seen before any steady one wait for it. One agreeing step with none disagreeing, or three
 * to one, shows an instant sensor. Changes a few milliseconds apart are proof enough alone: a
 * periodic sensor cannot make them.
 */

import type { CounterAnchors } from './counter-anchors.js';
import type { SampleStore } from './sample-store.js';

export type SensorKind = 'instant' | 'periodic' | 'average-1s' | 'unknown';

export interface SensorInfo {
  kind: SensorKind;
  /** How often a periodic reading is refreshed, ms; null while unknown and for an instant sensor (below one sample interval). */
  refreshPeriodMs: number | null;
  /** Number of reading changes the judgement rests on. */
  changesSeen: number;
}

/** Reading changes closer than this prove the sensor resolves the work between refreshes, ns. */
const INSTANT_CHANGE_NS = 5e6;
/** How many such close changes are needed before the sensor is called instant. */
const INSTANT_EVIDENCE = 3;
/** How many spaced changes are needed before a refresh period is stated. */
const PERIODIC_EVIDENCE = 5;
const KEPT_INTERVALS = 64;
/** Steady steps' ratios kept for the reference, and changed steps kept while no reference exists. */
const KEPT_STEPS = 16;

/** One counter step as the sensor judge sees it. */
export interface CounterStepEvidence {
  /** The counter's step, J. */
  counterJ: number;
  /** The sampled power's integral over the same step, J. */
  readingJ: number;
  /** Highest minus lowest reading inside the step, W. */
  readingSpreadW: number;
  /** Highest reading inside the step, W. */
  readingMaxW: number;
  /** Relative mismatch still called agreement (at least 1%: the anchors' timing widens it). */
  toleranceRel: number;
}

/** A changed step informs only if a change seen this late would already break the match, s. */
const LATE_CHANGE_S = 0.005;

/** A reading that moves by more than this inside a step (W, or 5% of its top) changed in it. */
function readingChanged(step: CounterStepEvidence): boolean {
  return step.readingSpreadW > Math.max(5, 0.05 * step.readingMaxW);
}

export class SensorDetector {
  readonly #averaged: boolean;
  #lastValue = NaN;
  #lastChangeNs = NaN;
  #closeChanges = 0;
  #agreeingSteps = 0;
  #disagreeingSteps = 0;
  readonly #steadyRatios: number[] = [];
  readonly #waitingSteps: Array<{ ratio: number; toleranceRel: number }> = [];
  #changes = 0;
  readonly #intervalsNs: number[] = [];

  /** `averaged`: the power source is a 1 s average by construction (nvmlDeviceGetPowerUsage, field 185). */
  constructor(averaged: boolean) {
    this.#averaged = averaged;
  }

  /** One reading at `tNs` (any monotonic origin). */
  observe(tNs: number, powerW: number): void {
    if (powerW === this.#lastValue) return;
    const first = Number.isNaN(this.#lastValue);
    this.#lastValue = powerW;
    if (first) return;
    if (!Number.isNaN(this.#lastChangeNs)) {
      const gap = tNs - this.#lastChangeNs;
      if (gap < INSTANT_CHANGE_NS) this.#closeChanges++;
      this.#intervalsNs.push(gap);
      if (this.#intervalsNs.length > KEPT_INTERVALS) this.#intervalsNs.shift();
    }
    this.#lastChangeNs = tNs;
    this.#changes++;
  }

  /**
   * One counter step. A steady one (reading flat) adds to the counter/power reference ratio; a
   * changed one whose match would break were a change seen 5 ms late is judged against that
   * reference: an instant sensor's integral matches the counter's step, a periodic one's does not.
   */
  observeCounterStep(step: CounterStepEvidence): void {
    if (!(step.counterJ > 0) || !(step.readingJ > 0)) return;
    const ratio = step.counterJ / step.readingJ;
    if (!readingChanged(step)) {
      this.#steadyRatios.push(ratio);
      if (this.#steadyRatios.length > KEPT_STEPS) this.#steadyRatios.shift();
      for (const waiting of this.#waitingSteps.splice(0)) this.#judge(waiting.ratio, waiting.toleranceRel);
      return;
    }
    // How late the change could be seen and the integral still agree, s.
    const slackS = (step.toleranceRel * step.counterJ) / step.readingSpreadW;
    if (slackS > LATE_CHANGE_S) return;
    if (this.#steadyRatios.length === 0) {
      this.#waitingSteps.push({ ratio, toleranceRel: step.toleranceRel });
      if (this.#waitingSteps.length > KEPT_STEPS) this.#waitingSteps.shift();
      return;
    }
    this.#judge(ratio, step.toleranceRel);
  }

  #judge(ratio: number, toleranceRel: number): void {
    const sorted = [...this.#steadyRatios].sort((a, b) => a - b);
    const reference = sorted[sorted.length >> 1]!;
    if (Math.abs(ratio / reference - 1) < toleranceRel) this.#agreeingSteps++;
    else this.#disagreeingSteps++;
  }

  #counterShowsInstant(): boolean {
    const agree = this.#agreeingSteps;
    const disagree = this.#disagreeingSteps;
    return (agree >= 1 && disagree === 0) || (agree >= 3 && agree >= 3 * disagree);
  }

  get info(): SensorInfo {
    const changesSeen = this.#changes;
    if (this.#averaged) return { kind: 'average-1s', refreshPeriodMs: this.#periodMs(), changesSeen };
    if (this.isInstant) return { kind: 'instant', refreshPeriodMs: null, changesSeen };
    if (this.#intervalsNs.length >= PERIODIC_EVIDENCE) return { kind: 'periodic', refreshPeriodMs: this.#periodMs(), changesSeen };
    return { kind: 'unknown', refreshPeriodMs: null, changesSeen };
  }

  /** True when the sensor is known to resolve changes far below the counter's ~100 ms step. */
  get isInstant(): boolean {
    if (this.#averaged) return false;
    return this.#closeChanges >= INSTANT_EVIDENCE || this.#counterShowsInstant();
  }

  /**
   * The refresh period: intervals between changes are whole multiples of it (a refresh can repeat
   * the previous value), so it is the median of those near the shortest one, ms. The shortest is
   * taken at the tenth percentile: a change seen late (a sampler tick delayed on a busy machine)
   * leaves one short interval after it (28 ms seen on a 100 ms sensor), which must not become the period.
   */
  #periodMs(): number | null {
    if (this.#intervalsNs.length === 0) return null;
    const sorted = [...this.#intervalsNs].sort((a, b) => a - b);
    const shortest = sorted[Math.floor(sorted.length / 10)]!;
    const near = sorted.filter((x) => x > shortest * 0.5 && x < shortest * 1.5);
    return near[near.length >> 1]! / 1e6;
  }
}

/** A report's GPU whose counter steps were shared out by the driver's own power samples (read sparsely, samples kept). */
export function driverShaped(gpu: { counterReads?: string; driverSamples?: { available: boolean } }): boolean {
  return gpu.counterReads === 'sparse' && gpu.driverSamples?.available === true;
}

/**
 * One line on a sensor for people: its kind, its refresh period, and what that means for the
 * figures (where the driver's samples shape the counter's steps, that instead).
 */
export function describeSensor(sensor: SensorInfo | null | undefined, driverShaped = false): string {
  if (!sensor) return 'not measured';
  const periodMs = sensor.refreshPeriodMs === null ? 'n/a' : sensor.refreshPeriodMs.toFixed(1);
  if (driverShaped && sensor.kind !== 'instant') {
    return `${sensor.kind === 'periodic' ? `periodic, refreshed every ${periodMs} ms` : sensor.kind}; the counter, read every ~2 s, is shared out by the driver's 20 ms power samples`;
  }
  if (sensor.kind === 'periodic') return `periodic, refreshed every ${periodMs} ms (coarse: phases are split by regression on the counter)`;
  if (sensor.kind === 'instant') return 'instant (resolves power between counter updates)';
  if (sensor.kind === 'average-1s') return 'a 1 s average (coarse)';
  return `unknown after ${sensor.changesSeen} reading changes (treated as coarse)`;
}

/** Counter step k (between anchors k and k + 1) as evidence on the sensor: its counter delta beside the readings. */
export function counterStepEvidence(samples: SampleStore, anchors: CounterAnchors, k: number): CounterStepEvidence {
  const from = samples.floorIndex(anchors.timeNs(k));
  const to = samples.floorIndex(anchors.timeNs(k + 1));
  const { minW, maxW } = samples.readingRange(from, to);
  const counterJ = anchors.stepJ(k);
  // The anchors' own timing uncertainty (half a sample interval each, before the grid fit) and the
  // trapezoid's error at each change of the reading (the sample interval hides where it fell) widen the tolerance.
  const trapezoidJ = 2 * Math.sqrt(samples.jumpVarianceBetweenJ2(from, to));
  return {
    counterJ,
    readingJ: anchors.integralJ(k + 1) - anchors.integralJ(k),
    readingSpreadW: maxW - minW,
    readingMaxW: maxW,
    toleranceRel: Math.max(0.01, (2 * (anchors.timingJ(k) + anchors.timingJ(k + 1)) + trapezoidJ) / counterJ),
  };
}
