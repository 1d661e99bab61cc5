/**
 * One GPU's sampled history and the energy estimator built on it.
 *
 * Samples (power W, energy counter J) arrive from the native sampler. Each
 * change of the counter marks an update instant: an anchor whose cumulative
 * energy is known exactly (to the mJ) and whose time is known to within half a
 * sample interval. The cumulative energy E(t) at any instant is:
 *
 * - between two anchors: the counter's step shared out by the sampled power's
 *   integral (trapezoid), so E is exact at every anchor and follows the power
 *   shape in between ("counter interpolated with sampled power");
 * - after the last anchor: the last anchor plus the power integral scaled by
 *   the observed counter/power ratio (provisional: not yet settled);
 * - with no counter (pre-Volta, or NOT_SUPPORTED): the power integral alone.
 *
 * A scope's energy is E(end) - E(start); phases and gaps therefore add up to
 * the counter's delta exactly. Uncertainty (a ~95% half-width, J) combines the
 * trapezoid's error at each boundary (|dP| x dt / 2 of the sample interval it
 * falls in), the random error of power jumps inside the interpolated spans
 * (2 sqrt(sum (dP dt)^2 / 12)), and the anchors' timing (P x half interval).
 */
import { clipToBounds, labelTimesS, pieceBoundsJ, StepSplit, type CounterStep, type PowerRange } from './coarse-step.js';
import { Column } from './columns.js';
import { CounterGridFit } from './counter-grid.js';
import { PhasePowerRegression } from './phase-regression.js';
import { SensorDetector, type SensorInfo } from './sensor-detect.js';

const NVML_ERROR_GPU_IS_LOST = 15;
/** A power step within this long after a scope boundary is attributed to the boundary, ns. */
const STEP_LAG_NS = 1_000_000;
/** Sampling gaps of at least this long are flagged (sampling-gap), ns. */
const GAP_FLAG_NS = 50e6;

/**
 * How a figure was obtained: `energy-counter` (spans two or more counter updates),
 * `counter-interpolated` (inside counter steps, split by the sampled power's shape, or by time
 * alone on a coarse sensor), `counter-regression` (inside counter steps on a coarse sensor, split
 * by each phase's power learnt by regression over many steps), `power-integration` (no counter).
 */
export type EnergyMethod = 'energy-counter' | 'counter-interpolated' | 'counter-regression' | 'power-integration';
/** The label used for instants where several phases overlap. */
export const MIXED_LABEL = '*mixed';

/** E(t) at one instant. */
export interface PointEstimate {
  /** Cumulative energy on this GPU's timeline, J (an arbitrary but fixed origin). */
  energyJ: number;
  /** Uncertainty of this boundary alone, J. */
  uncertaintyJ: number;
  /** False while t lies after the last counter update (the value may still change). */
  settled: boolean;
  /** Index of the anchor interval [u_k, u_k+1] holding t; -1 before the first; null without counter. */
  anchorInterval: number | null;
  /** Fraction of the anchor interval's power integral before t (0..1). */
  fraction: number;
  /** True when t is beyond the sampled data or the anchors (power extrapolation). */
  extrapolated: boolean;
  /** On a coarse sensor, how the counter step was split: by learnt phase powers or by time alone. */
  coarseModel?: 'regression' | 'time-share';
}

export interface IntervalEstimate {
  energyJ: number;
  uncertaintyJ: number;
  method: EnergyMethod;
  settled: boolean;
  flags: string[];
}

export interface TimelineSamples {
  gpu: number;
  /** Monotonic ns (same clock as process.hrtime.bigint()). */
  tNs: BigInt64Array;
  powerW: Float64Array;
  /** The raw energy counter, J (NaN where the read failed). */
  counterJ: Float64Array;
}

/**
 * The power model of one closed sample interval [s0, s1] holding boundaries b0 < b1 < ...:
 * `cumJ[i]` is the integral from s0 to b_i, `afterW[i]` the level from b_i to the next boundary
 * (or s1), and `spreadW` the power range around it (its boundaries' error bound).
 */
interface IntervalModel {
  bounds: number[];
  cumJ: number[];
  afterW: number[];
  spreadW: number;
}

export class PowerTimeline {
  readonly gpu: number;
  readonly originNs: bigint;
  readonly hasCounter: boolean;
  readonly nominalPeriodNs: number;
  readonly maxSamples: number;

  // Samples, t in ns relative to originNs.
  readonly #sampleT = new Column();
  readonly #samplePowerW = new Column();
  readonly #powerIntegralJ = new Column(); // cumulative trapezoid integral of power, J
  readonly #jumpVarianceJ2 = new Column(); // cumulative variance of power jumps, J^2
  readonly #counterJ = new Column(); // raw counter, J
  // Anchors (counter update instants).
  readonly #anchorT = new Column(); // time, ns rel
  readonly #anchorHalfWidthNs = new Column(); // half-width of the time uncertainty, ns
  readonly #anchorEnergyJ = new Column(); // cumulative (reset-adjusted) counter, J
  readonly #anchorIntegralJ = new Column(); // W at the anchor, J
  readonly #anchorPowerW = new Column(); // power at the anchor, W

  // Scope boundaries (ns rel, increasing): where the work, and so the power, changes.
  readonly #bounds = new Column();
  // The label of the segment each boundary starts: a phase name, '' (no phase open), null (mixed).
  #boundLabels: Array<string | null> = [];
  // Tokens declared by the phase each boundary starts (NaN where none), and per phase the first
  // count seen (the covariate's reference) and whether counts vary (else no covariate is fitted).
  #boundTokens: number[] = [];
  readonly #tokenReference = new Map<string, { reference: number; varies: boolean }>();
  // Typical power per label, learnt from stretches sampled entirely inside one labelled segment.
  readonly #priors = new Map<string, { meanW: number; n: number }>();
  // The power model of each sample interval that holds a boundary (or starts just after one),
  // fixed when the interval closed (keyed by its start), so E(t) never changes afterwards.
  readonly #levels = new Map<number, IntervalModel>();
  #lastCounterJ = NaN;
  #offsetJ = 0; // added to the raw counter after resets
  #ratios: number[] = []; // counter / power integral over recent anchor intervals
  #lastPowerW = NaN;
  /** Counter resets seen (driver reload), as [from, to] ns rel. */
  readonly resets: Array<[number, number]> = [];
  /** Sampling gaps of 50 ms or more (and over 5 nominal periods), as [from, to] ns rel. */
  readonly gaps: Array<[number, number]> = [];
  readErrors = 0;
  lostAt: number | null = null;
  dropped = 0;

  /** True when the power source is a 1 s moving average (no instant power field). */
  readonly averagedPower: boolean;
  /** The GPU's enforced power limit, W (the top of its power range), or null when unknown. */
  readonly powerLimitW: number | null;
  readonly #sensor: SensorDetector;
  /** Each phase's power learnt from the counter's steps (used on coarse sensors). */
  readonly regression = new PhasePowerRegression();
  #minReadingW = Infinity;
  #maxReadingW = -Infinity;

  constructor(gpu: number, originNs: bigint, hasCounter: boolean, sampleHz: number, retentionS: number, averagedPower = false, powerLimitW: number | null = null) {
    this.gpu = gpu;
    this.powerLimitW = powerLimitW;
    this.#sensor = new SensorDetector(averagedPower);
    this.originNs = originNs;
    this.hasCounter = hasCounter;
    this.averagedPower = averagedPower;
    this.nominalPeriodNs = 1e9 / sampleHz;
    this.maxSamples = Math.max(1024, Math.ceil(sampleHz * retentionS));
  }

  /** What the power sensor is, as learnt from the samples so far. */
  get sensor(): SensorInfo {
    return this.#sensor.info;
  }

  /**
   * True unless the sensor is known to resolve power between counter updates: then the power's
   * shape inside a counter step is unknown, and estimates there say so.
   */
  get coarse(): boolean {
    return this.hasCounter && !this.#sensor.isInstant;
  }

  /** The range the GPU's power stays in: a little under the lowest reading to its limit, W. */
  powerRange(): PowerRange {
    const minW = Number.isFinite(this.#minReadingW) ? 0.9 * this.#minReadingW : 0;
    const maxW = Math.max(this.powerLimitW ?? 0, Number.isFinite(this.#maxReadingW) ? 1.05 * this.#maxReadingW : 0);
    return { minW, maxW };
  }

  get sampleCount(): number {
    return this.#sampleT.length;
  }

  get anchorCount(): number {
    return this.#anchorT.length;
  }

  /** Time of the last sample, ns rel, or -Infinity. */
  get lastSampleT(): number {
    return this.#sampleT.length ? this.#sampleT.last() : -Infinity;
  }

  /** The latest sampled power, W (NaN before the first sample). */
  get lastPowerW(): number {
    return this.#lastPowerW;
  }

  /** Time of the last anchor, ns rel, or -Infinity. */
  get lastAnchorT(): number {
    return this.#anchorT.length ? this.#anchorT.last() : -Infinity;
  }

  get bytes(): number {
    return [this.#sampleT, this.#samplePowerW, this.#powerIntegralJ, this.#jumpVarianceJ2, this.#counterJ, this.#anchorT, this.#anchorHalfWidthNs, this.#anchorEnergyJ, this.#anchorIntegralJ, this.#anchorPowerW].reduce(
      (s, c) => s + c.bytes,
      0,
    );
  }

  /**
   * Registers a scope boundary at t (ns rel). Inside a sample interval holding
   * boundaries, power is modelled as stepping at them (the work changes there)
   * rather than ramping linearly between the two samples.
   */
  markBoundary(t: number, label: string | null = null, tokens = NaN): void {
    if (label !== null && label !== '' && Number.isFinite(tokens)) {
      const seen = this.#tokenReference.get(label);
      if (!seen) this.#tokenReference.set(label, { reference: tokens, varies: false });
      else if (tokens !== seen.reference) seen.varies = true;
    }
    if (this.#bounds.length === 0 || t > this.#bounds.last()) {
      this.#bounds.push(t);
      this.#boundLabels.push(label);
      this.#boundTokens.push(tokens);
    } else if (t === this.#bounds.last()) {
      this.#boundLabels[this.#boundLabels.length - 1] = label;
      this.#boundTokens[this.#boundTokens.length - 1] = tokens;
    }
  }

  /**
   * The covariate of a phase segment with `tokens` tokens (a phase's power may grow with its input,
   * as prefill's does): thousands of tokens above the phase's first count, or null where the phase's
   * counts do not vary (or are unknown).
   */
  readonly tokenCovariate = (label: string, tokens: number | undefined): number | null => {
    const seen = this.#tokenReference.get(label);
    if (!seen?.varies || tokens === undefined || !Number.isFinite(tokens)) return null;
    return (tokens - seen.reference) / 1000;
  };

  /** Typical power of a labelled segment, W, or NaN when not yet learnt. */
  priorW(label: string | null): number {
    if (label === null) return NaN;
    const p = this.#priors.get(label);
    return p && p.n >= 3 ? p.meanW : NaN;
  }

  #labelAt(k: number): string | null {
    return this.#boundLabels[k] ?? null;
  }

  /** Learns label priors from [t0, t]; for an interval holding boundaries, fixes its power model. */
  #closeInterval(t0: number, t: number, p0: number, p: number): void {
    const k0 = this.#bounds.floorIndex(t0);
    let k = k0 + 1;
    if (k >= this.#bounds.length || this.#bounds.at(k) >= t) {
      // No boundary inside. If one fell just before this interval, the work it started may have
      // changed the power a few microseconds after the sample that closed the previous interval:
      // the step then belongs to that boundary, so the new level holds from the interval's start.
      if (k0 >= 0 && t0 - this.#bounds.at(k0) <= STEP_LAG_NS && p !== p0) {
        this.#levels.set(t0, { bounds: [t0], cumJ: [0], afterW: [p], spreadW: 0 });
        return;
      }
      // Otherwise the whole interval lies in the segment that started at bound k0.
      const label = k0 >= 0 ? this.#labelAt(k0) : null;
      if (label !== null) {
        const prior = this.#priors.get(label) ?? { meanW: 0, n: 0 };
        const w = Math.min(prior.n + 1, 50);
        prior.meanW += ((p0 + p) / 2 - prior.meanW) / w;
        prior.n++;
        this.#priors.set(label, prior);
      }
      return;
    }
    // Boundaries inside: p0 until the first, p from the last, and for each middle segment the
    // learnt level of its phase (or the linear ramp's value at its centre).
    const dt = t - t0;
    const bounds: number[] = [];
    for (; k < this.#bounds.length && this.#bounds.at(k) < t; k++) bounds.push(this.#bounds.at(k));
    const first = k - bounds.length;
    const afterW: number[] = [];
    const cumJ: number[] = [];
    let acc = p0 * (bounds[0]! - t0);
    for (let i = 0; i < bounds.length; i++) {
      cumJ.push(acc / 1e9);
      let level: number;
      if (i === bounds.length - 1) level = p;
      else {
        const prior = this.priorW(this.#labelAt(first + i));
        level = Number.isFinite(prior) ? prior : p0 + ((p - p0) * ((bounds[i]! + bounds[i + 1]!) / 2 - t0)) / dt;
      }
      afterW.push(level);
      acc += level * ((i + 1 < bounds.length ? bounds[i + 1]! : t) - bounds[i]!);
    }
    let min = Math.min(p0, p, ...afterW);
    let max = Math.max(p0, p, ...afterW);
    const n = this.#samplePowerW.length;
    for (let i = Math.max(0, n - 6); i < n; i++) {
      min = Math.min(min, this.#samplePowerW.at(i));
      max = Math.max(max, this.#samplePowerW.at(i));
    }
    this.#levels.set(t0, { bounds, cumJ, afterW, spreadW: bounds.length > 1 ? max - min : 0 });
  }

  /**
   * Integral of power over [s0, x] inside one sample interval [s0, s1] whose ends
   * read p0 and p1, J: the interval's fixed model when it holds boundaries, else the trapezoid.
   */
  #segment(s0: number, s1: number, p0: number, p1: number, x: number): number {
    const model = this.#levels.get(s0);
    if (!model) {
      const dt = s1 - s0;
      if (dt <= 0) return 0;
      const u = x - s0;
      return (p0 * u + ((p1 - p0) * u * u) / (2 * dt)) / 1e9;
    }
    const b = model.bounds;
    if (x < b[0]!) return (p0 * (x - s0)) / 1e9;
    let lo = 0;
    let hi = b.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (b[mid]! <= x) lo = mid;
      else hi = mid - 1;
    }
    return model.cumJ[lo]! + (model.afterW[lo]! * (x - b[lo]!)) / 1e9;
  }

  /** Appends one drained batch. */
  append(tNs: BigInt64Array, energyMj: Float64Array, powerMw: Float64Array, energyRet: Int32Array, powerRet: Int32Array): void {
    for (let i = 0; i < tNs.length; i++) {
      if (this.lostAt !== null) return;
      const t = Number(tNs[i]! - this.originNs);
      if (energyRet[i] === NVML_ERROR_GPU_IS_LOST || powerRet[i] === NVML_ERROR_GPU_IS_LOST) {
        this.lostAt = t;
        return;
      }
      let p = powerMw[i]! / 1000;
      if (!Number.isFinite(p)) {
        this.readErrors++;
        p = this.#lastPowerW;
        if (!Number.isFinite(p)) continue;
      }
      const c = energyMj[i]! / 1000;
      if (this.hasCounter && !Number.isFinite(c)) this.readErrors++;
      this.#push(t, p, c);
    }
    this.#evict();
  }

  #push(t: number, p: number, c: number): void {
    const n = this.#sampleT.length;
    if (n > 0) {
      const t0 = this.#sampleT.last();
      if (t <= t0) return;
      const p0 = this.#samplePowerW.last();
      const dtS = (t - t0) / 1e9;
      this.#closeInterval(t0, t, p0, p);
      this.#powerIntegralJ.push(this.#powerIntegralJ.last() + this.#segment(t0, t, p0, p, t));
      const jump = (p - p0) * dtS;
      this.#jumpVarianceJ2.push(this.#jumpVarianceJ2.last() + (jump * jump) / 12);
      // A gap worth flagging: long enough to hide a whole short phase (shorter jitter is in the uncertainty).
      if (t - t0 > Math.max(5 * this.nominalPeriodNs, GAP_FLAG_NS)) this.gaps.push([t0, t]);
    } else {
      this.#powerIntegralJ.push(0);
      this.#jumpVarianceJ2.push(0);
    }
    this.#sampleT.push(t);
    this.#samplePowerW.push(p);
    this.#counterJ.push(c);
    this.#lastPowerW = p;
    this.#sensor.observe(t, p);
    if (p < this.#minReadingW) this.#minReadingW = p;
    if (p > this.#maxReadingW) this.#maxReadingW = p;
    if (!this.hasCounter || !Number.isFinite(c)) return;
    const prev = this.#lastCounterJ;
    this.#lastCounterJ = c;
    if (Number.isNaN(prev) || c === prev || n === 0) return;
    const tPrev = this.#sampleT.at(n - 1);
    const { atNs: u, halfWidthNs: h } = this.#grid.place(tPrev, t);
    const wU = this.#powerIntegralJ.at(n - 1) + this.#segment(tPrev, t, this.#samplePowerW.at(n - 1), p, u);
    const reset = c < prev;
    if (reset) {
      // The counter went backwards: a driver reload reset it. Continue the
      // cumulative curve from the last anchor by the power integral.
      const r = this.ratio();
      const lastE = this.#anchorEnergyJ.length ? this.#anchorEnergyJ.last() : prev + this.#offsetJ;
      const lastW = this.#anchorIntegralJ.length ? this.#anchorIntegralJ.last() : this.#powerIntegralJ.at(0);
      const from = this.#anchorT.length ? this.#anchorT.last() : this.#sampleT.at(0);
      this.#offsetJ = lastE + r * (wU - lastW) - c;
      this.resets.push([from, t]);
    }
    const e = c + this.#offsetJ;
    if (this.#anchorT.length) {
      const dW = wU - this.#anchorIntegralJ.last();
      const dE = e - this.#anchorEnergyJ.last();
      if (dW > 0 && !reset) {
        this.#ratios.push(dE / dW);
        if (this.#ratios.length > 32) this.#ratios.shift();
        this.#ratioCache = null;
      }
    }
    this.#anchorT.push(u);
    this.#anchorHalfWidthNs.push(h);
    this.#anchorEnergyJ.push(e);
    this.#anchorIntegralJ.push(wU);
    this.#anchorPowerW.push(p);
    const m = this.#anchorT.length;
    if (m >= 2 && !reset) {
      const range = this.powerRange();
      if (range.maxW > range.minW) this.regression.setRange(range.minW, range.maxW);
      this.regression.addStep(labelTimesS(this.#step(m - 2), this.tokenCovariate), this.#anchorEnergyJ.at(m - 1) - this.#anchorEnergyJ.at(m - 2));
      this.#judgeSensorOnStep(m - 2);
    }
  }

  /** Counter evidence on the sensor: step k's counter delta beside the sampled power's integral. */
  #judgeSensorOnStep(k: number): void {
    const from = this.#sampleT.floorIndex(this.#anchorT.at(k));
    const to = this.#sampleT.floorIndex(this.#anchorT.at(k + 1));
    let min = Infinity;
    let max = -Infinity;
    for (let i = Math.max(0, from); i <= to; i++) {
      min = Math.min(min, this.#samplePowerW.at(i));
      max = Math.max(max, this.#samplePowerW.at(i));
    }
    const counterJ = this.#anchorEnergyJ.at(k + 1) - this.#anchorEnergyJ.at(k);
    // The anchors' own timing uncertainty (half a sample interval each, before the grid fit) and the
    // trapezoid's error at each change of the reading (the sample interval hides where it fell) widen the tolerance.
    const anchorsJ = (this.#anchorPowerW.at(k) * this.#anchorHalfWidthNs.at(k) + this.#anchorPowerW.at(k + 1) * this.#anchorHalfWidthNs.at(k + 1)) / 1e9;
    const trapezoidJ = 2 * Math.sqrt(Math.max(0, this.#varianceAt(to) - this.#varianceAt(from)));
    this.#sensor.observeCounterStep({
      counterJ,
      readingJ: this.#anchorIntegralJ.at(k + 1) - this.#anchorIntegralJ.at(k),
      readingSpreadW: max - min,
      readingMaxW: max,
      toleranceRel: Math.max(0.01, (2 * anchorsJ + trapezoidJ) / counterJ),
    });
  }

  /** How far one counter step may be off were the counter to integrate only sampled windows (~95%), J. */
  #stepErrorJ(): number {
    return 2 * (this.regression.fit()?.residualSdJ ?? 0);
  }

  /** Counter step k (between anchors k and k + 1) and the labelled segments inside it. */
  #step(k: number): CounterStep {
    const startNs = this.#anchorT.at(k);
    const endNs = this.#anchorT.at(k + 1);
    const first = this.#bounds.floorIndex(startNs);
    const segments = [{ fromNs: startNs, label: first >= 0 ? this.#labelKey(first) : '', tokens: first >= 0 ? this.#boundTokens[first]! : NaN }];
    for (let j = first + 1; j < this.#bounds.length && this.#bounds.at(j) < endNs; j++) {
      segments.push({ fromNs: this.#bounds.at(j), label: this.#labelKey(j), tokens: this.#boundTokens[j]! });
    }
    return { startNs, endNs, energyJ: this.#anchorEnergyJ.at(k + 1) - this.#anchorEnergyJ.at(k), segments };
  }

  #labelKey(boundIndex: number): string {
    return this.#boundLabels[boundIndex] ?? MIXED_LABEL;
  }

  // The split of the step last asked about, for the fit it was built with (points come in time order).
  #splitCache: { k: number; fit: unknown; step: CounterStep; split: StepSplit } | null = null;

  #stepSplit(k: number): { step: CounterStep; split: StepSplit } {
    const fit = this.regression.fit();
    const cached = this.#splitCache;
    if (cached && cached.k === k && cached.fit === fit && cached.step.startNs === this.#anchorT.at(k)) return cached;
    const step = this.#step(k);
    const split = new StepSplit(step, fit?.powers ?? null, this.tokenCovariate);
    this.#splitCache = { k, fit, step, split };
    return this.#splitCache;
  }

  /** E(t) inside counter step k on a coarse sensor: the model's split, bounded by the power range. */
  #coarsePoint(t: number, k: number, anchorsJ: [number, number]): PointEstimate {
    const { step, split } = this.#stepSplit(k);
    const fraction = split.fractionBefore(t);
    const model = split.model;
    const stepS = (step.endNs - step.startNs) / 1e9;
    const bounds = pieceBoundsJ(step.energyJ, stepS, Math.max(0, t - step.startNs) / 1e9, this.powerRange(), this.#stepErrorJ());
    const piece = clipToBounds(fraction * step.energyJ, bounds);
    const f = step.energyJ > 0 ? piece.energyJ / step.energyJ : fraction;
    return {
      energyJ: this.#anchorEnergyJ.at(k) + piece.energyJ, uncertaintyJ: piece.uncertaintyJ + (1 - f) * anchorsJ[0] + f * anchorsJ[1],
      settled: true, anchorInterval: k, fraction: f, extrapolated: false, coarseModel: model,
    };
  }

  // Locks onto the counter's update grid to place each update between its two samples.
  readonly #grid = new CounterGridFit();

  #evict(): void {
    const extra = this.#sampleT.length - this.maxSamples;
    if (extra <= 0) return;
    const drop = Math.max(extra, Math.floor(this.maxSamples / 4));
    for (const col of [this.#sampleT, this.#samplePowerW, this.#powerIntegralJ, this.#jumpVarianceJ2, this.#counterJ]) col.dropFront(drop);
    const first = this.#sampleT.at(0);
    // Keep one anchor before the first retained sample.
    let k = 0;
    while (k + 1 < this.#anchorT.length && this.#anchorT.at(k + 1) <= first) k++;
    for (const col of [this.#anchorT, this.#anchorHalfWidthNs, this.#anchorEnergyJ, this.#anchorIntegralJ, this.#anchorPowerW]) col.dropFront(k);
    const oldBounds = this.#bounds.floorIndex(first);
    if (oldBounds > 0) {
      this.#bounds.dropFront(oldBounds);
      this.#boundLabels = this.#boundLabels.slice(oldBounds);
      this.#boundTokens = this.#boundTokens.slice(oldBounds);
    }
    for (const key of this.#levels.keys()) if (key < first) this.#levels.delete(key);
  }

  #ratioCache: { ratio: number; spread: number } | null = null;

  /** Counter energy / power integral over recent anchor intervals (1 until known). */
  ratio(): number {
    return this.#ratioStats().ratio;
  }

  /** Relative spread of that ratio (~95%), at least 2%. */
  ratioSpread(): number {
    return this.#ratioStats().spread;
  }

  #ratioStats(): { ratio: number; spread: number } {
    if (this.#ratioCache) return this.#ratioCache;
    const rs = this.#ratios;
    let ratio = 1;
    let spread = 0.05;
    if (rs.length >= 2) {
      const sorted = [...rs].sort((a, b) => a - b);
      ratio = Math.min(2, Math.max(0.5, sorted[sorted.length >> 1]!));
    }
    if (rs.length >= 4) {
      const dev = rs.map((x) => Math.abs(x - ratio)).sort((a, b) => a - b);
      spread = Math.max(0.02, (2 * dev[dev.length >> 1]!) / ratio);
    }
    return (this.#ratioCache = { ratio, spread });
  }

  /** The earliest instant still covered by retained samples, ns rel. */
  get firstSampleT(): number {
    return this.#sampleT.length ? this.#sampleT.at(0) : Infinity;
  }

  /** Power integral W(t) (J), its sample interval and the boundary error bound. */
  #integral(t: number): { w: number; j: number; bnd: number; beyond: boolean } {
    const n = this.#sampleT.length;
    if (n === 0) return { w: 0, j: -1, bnd: 0, beyond: true };
    const j = this.#sampleT.floorIndex(t);
    if (j < 0) {
      const t0 = this.#sampleT.at(0);
      return { w: -this.#samplePowerW.at(0) * ((t0 - t) / 1e9), j: -1, bnd: 0, beyond: t0 - t > 2 * this.nominalPeriodNs };
    }
    const tj = this.#sampleT.at(j);
    const pj = this.#samplePowerW.at(j);
    if (j === n - 1) {
      return { w: this.#powerIntegralJ.at(j) + pj * ((t - tj) / 1e9), j, bnd: 0, beyond: t - tj > 2 * this.nominalPeriodNs };
    }
    const tj1 = this.#sampleT.at(j + 1);
    const dt = tj1 - tj;
    const dp = this.#samplePowerW.at(j + 1) - pj;
    const w = this.#powerIntegralJ.at(j) + this.#segment(tj, tj1, pj, this.#samplePowerW.at(j + 1), t);
    // Imputed levels inside: bound by the power range seen around the interval.
    const spread = Math.max(Math.abs(dp), this.#levels.get(tj)?.spreadW ?? 0);
    let bnd = (spread * dt) / 2;
    // If the power stepped in the next interval and was attributed to this boundary (the lag
    // model puts the step at that interval's start), the step's true place is unknown within it.
    if (j + 2 < n) {
      const next = this.#levels.get(tj1);
      if (next && next.bounds.length === 1 && next.bounds[0] === tj1) {
        bnd += (Math.abs(this.#samplePowerW.at(j + 2) - this.#samplePowerW.at(j + 1)) * (this.#sampleT.at(j + 2) - tj1)) / 2;
      }
    }
    return { w, j, bnd: bnd / 1e9, beyond: false };
  }

  #varianceAt(j: number): number {
    return j < 0 ? 0 : this.#jumpVarianceJ2.at(j);
  }

  /** E(t) for one instant, t in ns relative to originNs. */
  point(t: number): PointEstimate {
    const { w, j, bnd, beyond } = this.#integral(t);
    if (!this.hasCounter) {
      return { energyJ: w, uncertaintyJ: bnd, settled: t <= this.lastSampleT, anchorInterval: null, fraction: 0, extrapolated: beyond };
    }
    const m = this.#anchorT.length;
    const k = this.#anchorT.floorIndex(t);
    const r = this.ratio();
    if (m === 0) {
      // No update seen yet: raw counter at the first sample plus the power since then.
      const c0 = this.#counterJ.length ? this.#counterJ.at(0) + this.#offsetJ : 0;
      const e = c0 + r * (w - this.#powerIntegralJ.at(0));
      const worst = this.#samplePowerW.length ? Math.max(this.#samplePowerW.at(0), this.#lastPowerW) : 0;
      return { energyJ: e, uncertaintyJ: bnd + (worst * this.nominalPeriodNs * 100) / 1e9, settled: false, anchorInterval: -1, fraction: 0, extrapolated: true };
    }
    if (k < 0) {
      // Before the first anchor: back from it by the scaled power integral (fixed once the anchor exists).
      const u0w = this.#anchorIntegralJ.at(0);
      const dW = u0w - w;
      const sampleAtFirstAnchor = this.#sampleT.floorIndex(this.#anchorT.at(0));
      const sigma = bnd + this.ratioSpread() * Math.abs(dW) + 2 * Math.sqrt(Math.max(0, this.#varianceAt(sampleAtFirstAnchor) - this.#varianceAt(j))) + (this.#anchorPowerW.at(0) * this.#anchorHalfWidthNs.at(0)) / 1e9;
      return { energyJ: this.#anchorEnergyJ.at(0) - r * dW, uncertaintyJ: sigma, settled: true, anchorInterval: -1, fraction: 1, extrapolated: false };
    }
    const energyAtAnchor = this.#anchorEnergyJ.at(k);
    const integralAtAnchor = this.#anchorIntegralJ.at(k);
    const sampleAtAnchor = this.#sampleT.floorIndex(this.#anchorT.at(k));
    const anchorTimingJ = (this.#anchorPowerW.at(k) * this.#anchorHalfWidthNs.at(k)) / 1e9;
    if (k === m - 1) {
      const dW = w - integralAtAnchor;
      const sigma = bnd + this.ratioSpread() * Math.abs(dW) + 2 * Math.sqrt(Math.max(0, this.#varianceAt(j) - this.#varianceAt(sampleAtAnchor))) + anchorTimingJ;
      return { energyJ: energyAtAnchor + r * dW, uncertaintyJ: sigma, settled: false, anchorInterval: k, fraction: 0, extrapolated: true };
    }
    const energyAtNextAnchor = this.#anchorEnergyJ.at(k + 1);
    const integralAtNextAnchor = this.#anchorIntegralJ.at(k + 1);
    const sampleAtNextAnchor = this.#sampleT.floorIndex(this.#anchorT.at(k + 1));
    const nextAnchorTimingJ = (this.#anchorPowerW.at(k + 1) * this.#anchorHalfWidthNs.at(k + 1)) / 1e9;
    if (this.coarse) return this.#coarsePoint(t, k, [anchorTimingJ, nextAnchorTimingJ]);
    const span = integralAtNextAnchor - integralAtAnchor;
    let f: number;
    if (span > 1e-12) f = (w - integralAtAnchor) / span;
    else f = (t - this.#anchorT.at(k)) / (this.#anchorT.at(k + 1) - this.#anchorT.at(k));
    f = Math.min(1, Math.max(0, f));
    const vBefore = Math.max(0, this.#varianceAt(j) - this.#varianceAt(sampleAtAnchor));
    const vAfter = Math.max(0, this.#varianceAt(sampleAtNextAnchor) - this.#varianceAt(j));
    let sigma = bnd + 2 * Math.sqrt((1 - f) * (1 - f) * vBefore + f * f * vAfter) + (1 - f) * anchorTimingJ + f * nextAnchorTimingJ;
    // A 1 s average says little about the power's shape inside a 100 ms counter step:
    // the only bound left is that E(t) lies between the two anchors.
    if (this.averagedPower) sigma = Math.max(sigma, Math.max(f, 1 - f) * (energyAtNextAnchor - energyAtAnchor));
    return { energyJ: energyAtAnchor + f * (energyAtNextAnchor - energyAtAnchor), uncertaintyJ: sigma, settled: true, anchorInterval: k, fraction: f, extrapolated: false };
  }

  /**
   * Energy of [a, b] (ns rel). When both ends fall in the same anchor interval the
   * interpolation errors largely cancel, and the uncertainty says so.
   */
  interval(a: number, b: number, pa: PointEstimate = this.point(a), pb: PointEstimate = this.point(b)): IntervalEstimate {
    const energyJ = pb.energyJ - pa.energyJ;
    const flags: string[] = [];
    let uncertaintyJ = pa.uncertaintyJ + pb.uncertaintyJ;
    let method: EnergyMethod;
    if (!this.hasCounter) {
      method = 'power-integration';
      flags.push('no-energy-counter');
      // No counter to anchor to: the power sensor's own accuracy dominates (NVML: about +-5%).
      uncertaintyJ = pa.uncertaintyJ + pb.uncertaintyJ + 0.05 * Math.abs(energyJ) + this.#interior(a, b);
    } else if (this.coarse) {
      const coarse = this.#coarseInterval(a, b, energyJ, pa, pb);
      method = coarse.method;
      uncertaintyJ = coarse.uncertaintyJ;
      flags.push('coarse-sensor');
    } else {
      const anchorsInside = this.#anchorT.length ? this.#anchorT.floorIndex(b) - this.#anchorT.floorIndex(a) : 0;
      method = anchorsInside >= 2 ? 'energy-counter' : 'counter-interpolated';
      if (!this.averagedPower && pa.anchorInterval !== null && pa.anchorInterval === pb.anchorInterval && pa.settled && pb.settled && pa.anchorInterval >= 0) {
        uncertaintyJ = this.#sameInterval(a, b, pa.anchorInterval);
      }
    }
    if (this.averagedPower) {
      flags.push('averaged-power');
      if (!this.hasCounter) uncertaintyJ += this.#averagedSpread(a, b);
    }
    if (pa.extrapolated || pb.extrapolated) flags.push('extrapolated');
    if (this.resets.some(([f, t]) => t >= a && f <= b)) {
      flags.push('counter-reset');
      uncertaintyJ += this.ratioSpread() * Math.abs(energyJ);
    }
    if (this.gaps.some(([f, t]) => t >= a && f <= b)) flags.push('sampling-gap');
    return { energyJ, uncertaintyJ, method, settled: pa.settled && pb.settled, flags };
  }

  /**
   * [a, b] on a coarse sensor. Inside one counter step, the power range and the step bound it.
   * Across steps, each end's piece is bounded (in the points), and each whole step inside may
   * itself be off by the counter's own error if it integrates only sampled windows (one of the
   * published possibilities): the steps' regression residual, added in quadrature per step.
   */
  #coarseInterval(a: number, b: number, energyJ: number, pa: PointEstimate, pb: PointEstimate): { method: EnergyMethod; uncertaintyJ: number } {
    const model = pa.coarseModel === 'regression' && pb.coarseModel === 'regression' ? 'counter-regression' : 'counter-interpolated';
    const k = pa.anchorInterval;
    if (k !== null && k >= 0 && k === pb.anchorInterval && pa.settled && pb.settled) {
      const { step } = this.#stepSplit(k);
      const bounds = pieceBoundsJ(step.energyJ, (step.endNs - step.startNs) / 1e9, (b - a) / 1e9, this.powerRange(), this.#stepErrorJ());
      return { method: model, uncertaintyJ: Math.max(energyJ - bounds[0], bounds[1] - energyJ, 0) };
    }
    const stepsInside = Math.max(0, this.anchorsBetween(a, b) - 1);
    const residualSdJ = this.regression.fit()?.residualSdJ ?? 0;
    return {
      method: this.anchorsBetween(a, b) >= 2 ? 'energy-counter' : model,
      uncertaintyJ: pa.uncertaintyJ + pb.uncertaintyJ + 2 * residualSdJ * Math.sqrt(stepsInside),
    };
  }

  /** Without a counter, a 1 s average can hide a step up to the range it shows around [a, b] times 1 s. */
  #averagedSpread(a: number, b: number): number {
    const w = 1e9;
    let lo = Infinity;
    let hi = -Infinity;
    const i0 = Math.max(0, this.#sampleT.floorIndex(a - w));
    const i1 = this.#sampleT.floorIndex(b + w);
    for (let i = i0; i <= i1; i++) {
      lo = Math.min(lo, this.#samplePowerW.at(i));
      hi = Math.max(hi, this.#samplePowerW.at(i));
    }
    return hi > lo ? (hi - lo) * Math.min(1, (b - a) / w) * 2 : 0;
  }

  /** Number of counter updates inside [a, b] (ns rel). */
  anchorsBetween(a: number, b: number): number {
    return this.#anchorT.length ? this.#anchorT.floorIndex(b) - this.#anchorT.floorIndex(a) : 0;
  }

  /** Flags that apply to anything measured in [a, b]: counter resets, sampling gaps, the power source. */
  flagsBetween(a: number, b: number): string[] {
    const flags: string[] = [];
    if (!this.hasCounter) flags.push('no-energy-counter');
    if (this.averagedPower) flags.push('averaged-power');
    if (this.coarse) flags.push('coarse-sensor');
    if (this.resets.some(([f, t]) => t >= a && f <= b)) flags.push('counter-reset');
    if (this.gaps.some(([f, t]) => t >= a && f <= b)) flags.push('sampling-gap');
    return flags;
  }

  #interior(a: number, b: number): number {
    const ja = this.#sampleT.floorIndex(a);
    const jb = this.#sampleT.floorIndex(b);
    return 2 * Math.sqrt(Math.max(0, this.#varianceAt(jb) - this.#varianceAt(ja)));
  }

  #sameInterval(a: number, b: number, k: number): number {
    const ia = this.#integral(a);
    const ib = this.#integral(b);
    const integralAtAnchor = this.#anchorIntegralJ.at(k);
    const integralAtNextAnchor = this.#anchorIntegralJ.at(k + 1);
    const span = integralAtNextAnchor - integralAtAnchor;
    const g = span > 1e-12 ? Math.min(1, Math.max(0, (ib.w - ia.w) / span)) : 0;
    const sampleAtAnchor = this.#sampleT.floorIndex(this.#anchorT.at(k));
    const sampleAtNextAnchor = this.#sampleT.floorIndex(this.#anchorT.at(k + 1));
    const vIn = Math.max(0, this.#varianceAt(ib.j) - this.#varianceAt(ia.j));
    const vAll = Math.max(0, this.#varianceAt(sampleAtNextAnchor) - this.#varianceAt(sampleAtAnchor));
    const anchors = (this.#anchorPowerW.at(k) * this.#anchorHalfWidthNs.at(k) + this.#anchorPowerW.at(k + 1) * this.#anchorHalfWidthNs.at(k + 1)) / 1e9;
    return ia.bnd + ib.bnd + 2 * Math.sqrt((1 - g) * (1 - g) * vIn + g * g * Math.max(0, vAll - vIn)) + g * anchors;
  }

  /** Retained samples in [fromNs, toNs] (absolute monotonic ns). */
  samples(fromNs?: bigint, toNs?: bigint): TimelineSamples {
    const from = fromNs === undefined ? -Infinity : Number(fromNs - this.originNs);
    const to = toNs === undefined ? Infinity : Number(toNs - this.originNs);
    let i0 = this.#sampleT.floorIndex(from);
    if (i0 < 0 || this.#sampleT.at(i0) < from) i0++;
    const i1 = this.#sampleT.floorIndex(to) + 1;
    const n = Math.max(0, i1 - i0);
    const tNs = new BigInt64Array(n);
    const t = this.#sampleT.slice(i0, i0 + n);
    for (let i = 0; i < n; i++) tNs[i] = this.originNs + BigInt(Math.round(t[i]!));
    return { gpu: this.gpu, tNs, powerW: this.#samplePowerW.slice(i0, i0 + n), counterJ: this.#counterJ.slice(i0, i0 + n) };
  }
}
