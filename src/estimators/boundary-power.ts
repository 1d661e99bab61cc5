/**
 * The power's shape around scope boundaries on one GPU. Scope boundaries are where the work, and
 * so the power, changes: inside a sample interval holding boundaries, power is modelled as
 * stepping at them rather than ramping linearly between the interval's two readings. Each
 * segment's level is the power learnt for its label (from stretches sampled entirely inside one
 * labelled segment), else the ramp's value at its centre. An interval's model is fixed when it
 * closes, so the energy at an instant never changes afterwards.
 *
 * It also keeps, per boundary, the label the boundary starts (a phase, '' for none, null where
 * phases overlap) and the tokens the phase declared: the counter steps' regression reads them.
 */
import type { CounterStep, TokenCovariate } from './coarse-step.js';
import { Column } from '../sampling/columns.js';
import type { ReadingRange, SampleStore } from '../sampling/sample-store.js';

/** The label of instants where several phases overlap. */
export const MIXED_LABEL = '*mixed';
/** A power step within this long after a scope boundary is attributed to the boundary, ns. */
const STEP_LAG_NS = 1_000_000;
/** Samples a label's learnt power averages over at most (older ones fade out). */
const PRIOR_MEMORY = 50;
/** Samples inside one segment before its learnt power is used. */
const PRIOR_MIN_SAMPLES = 3;

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

export class BoundaryPowerModel {
  readonly #bounds = new Column();
  #labels: Array<string | null> = [];
  #tokens: number[] = [];
  readonly #tokenReference = new Map<string, { reference: number; varies: boolean }>();
  readonly #priors = new Map<string, { meanW: number; samples: number }>();
  readonly #models = new Map<number, IntervalModel>();

  get boundaryCount(): number {
    return this.#bounds.length;
  }

  /** Registers a scope boundary at `tNs` starting `label` (null: mixed) with the phase's declared tokens. */
  markBoundary(tNs: number, label: string | null = null, tokens = NaN): void {
    if (label !== null && label !== '' && Number.isFinite(tokens)) {
      const seen = this.#tokenReference.get(label);
      if (!seen) this.#tokenReference.set(label, { reference: tokens, varies: false });
      else if (tokens !== seen.reference) seen.varies = true;
    }
    if (this.#bounds.length === 0 || tNs > this.#bounds.last()) {
      this.#bounds.push(tNs);
      this.#labels.push(label);
      this.#tokens.push(tokens);
    } else if (tNs === this.#bounds.last()) {
      this.#labels[this.#labels.length - 1] = label;
      this.#tokens[this.#tokens.length - 1] = tokens;
    }
  }

  /**
   * The covariate of a phase segment with `tokens` tokens (a phase's power may grow with its input,
   * as prefill's does): thousands of tokens above the phase's first count, or null where the phase's
   * counts do not vary (or are unknown).
   */
  readonly tokenCovariate: TokenCovariate = (label, tokens) => {
    const seen = this.#tokenReference.get(label);
    if (!seen?.varies || tokens === undefined || !Number.isFinite(tokens)) return null;
    return (tokens - seen.reference) / 1000;
  };

  /** Typical power of a labelled segment, W, or NaN when not yet learnt. */
  priorW(label: string | null): number {
    if (label === null) return NaN;
    const prior = this.#priors.get(label);
    return prior && prior.samples >= PRIOR_MIN_SAMPLES ? prior.meanW : NaN;
  }

  /**
   * Closes the sample interval [t0, t] read p0 then p (W). Without a boundary inside it teaches its
   * segment's label; with boundaries it fixes its power model. `recent` is the range of the last few
   * readings: imputed levels inside are uncertain by that much.
   */
  closeInterval(t0: number, t: number, p0: number, p: number, recent: ReadingRange): void {
    const before = this.#bounds.floorIndex(t0);
    const firstInside = before + 1;
    if (firstInside >= this.#bounds.length || this.#bounds.at(firstInside) >= t) {
      this.#closeWithoutBoundary(t0, p0, p, before);
      return;
    }
    const bounds: number[] = [];
    for (let k = firstInside; k < this.#bounds.length && this.#bounds.at(k) < t; k++) bounds.push(this.#bounds.at(k));
    // p0 until the first boundary, p from the last, and for each middle segment its label's level.
    const afterW: number[] = [];
    const cumJ: number[] = [];
    let integralNsW = p0 * (bounds[0]! - t0);
    for (let i = 0; i < bounds.length; i++) {
      cumJ.push(integralNsW / 1e9);
      const segmentEnd = i + 1 < bounds.length ? bounds[i + 1]! : t;
      let levelW = p;
      if (i < bounds.length - 1) {
        const prior = this.priorW(this.#labels[firstInside + i] ?? null);
        levelW = Number.isFinite(prior) ? prior : p0 + ((p - p0) * ((bounds[i]! + segmentEnd) / 2 - t0)) / (t - t0);
      }
      afterW.push(levelW);
      integralNsW += levelW * (segmentEnd - bounds[i]!);
    }
    const minW = Math.min(p0, p, recent.minW, ...afterW);
    const maxW = Math.max(p0, p, recent.maxW, ...afterW);
    this.#models.set(t0, { bounds, cumJ, afterW, spreadW: bounds.length > 1 ? maxW - minW : 0 });
  }

  #closeWithoutBoundary(t0: number, p0: number, p: number, before: number): void {
    // If a boundary fell just before this interval, the work it started may have changed the
    // power a few microseconds after the sample that closed the previous interval: the step then
    // belongs to that boundary, so the new level holds from the interval's start.
    if (before >= 0 && t0 - this.#bounds.at(before) <= STEP_LAG_NS && p !== p0) {
      this.#models.set(t0, { bounds: [t0], cumJ: [0], afterW: [p], spreadW: 0 });
      return;
    }
    // Otherwise the whole interval lies in the segment that started at that boundary.
    const label = before >= 0 ? (this.#labels[before] ?? null) : null;
    if (label === null) return;
    const prior = this.#priors.get(label) ?? { meanW: 0, samples: 0 };
    prior.meanW += ((p0 + p) / 2 - prior.meanW) / Math.min(prior.samples + 1, PRIOR_MEMORY);
    prior.samples++;
    this.#priors.set(label, prior);
  }

  /** The integral of power from the samples' origin to x (up to sample last + 1), J. */
  integralToJ(samples: SampleStore, x: number, last: number): number {
    const j = Math.min(last, Math.max(0, samples.floorIndex(x)));
    return samples.integralJ(j) + this.integralJ(samples.timeNs(j), samples.timeNs(j + 1), samples.powerW(j), samples.powerW(j + 1), x);
  }

  /**
   * Integral of power over [s0, x] inside one sample interval [s0, s1] whose ends read p0 and p1,
   * J: the interval's fixed model when it holds boundaries, else the trapezoid.
   */
  integralJ(s0: number, s1: number, p0: number, p1: number, x: number): number {
    const model = this.#models.get(s0);
    if (!model) {
      const dt = s1 - s0;
      if (dt <= 0) return 0;
      const u = x - s0;
      return (p0 * u + ((p1 - p0) * u * u) / (2 * dt)) / 1e9;
    }
    const bounds = model.bounds;
    if (x < bounds[0]!) return (p0 * (x - s0)) / 1e9;
    let lo = 0;
    let hi = bounds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bounds[mid]! <= x) lo = mid;
      else hi = mid - 1;
    }
    return model.cumJ[lo]! + (model.afterW[lo]! * (x - bounds[lo]!)) / 1e9;
  }

  /** The power range imputed inside the interval starting at s0 (0 without imputed levels), W. */
  spreadW(s0: number): number {
    return this.#models.get(s0)?.spreadW ?? 0;
  }

  /** True when the interval starting at s0 took a power step from a boundary just before it (see above). */
  stepsAtStart(s0: number): boolean {
    const model = this.#models.get(s0);
    return model !== undefined && model.bounds.length === 1 && model.bounds[0] === s0;
  }

  /** The labelled segments of [startNs, endNs): the label in force at startNs, then one per boundary inside. */
  segments(startNs: number, endNs: number): CounterStep['segments'] {
    const first = this.#bounds.floorIndex(startNs);
    const segments = [{ fromNs: startNs, label: first >= 0 ? this.#labelKey(first) : '', tokens: first >= 0 ? this.#tokens[first]! : NaN }];
    for (let k = first + 1; k < this.#bounds.length && this.#bounds.at(k) < endNs; k++) {
      segments.push({ fromNs: this.#bounds.at(k), label: this.#labelKey(k), tokens: this.#tokens[k]! });
    }
    return segments;
  }

  #labelKey(index: number): string {
    return this.#labels[index] ?? MIXED_LABEL;
  }

  /** Forgets what lies before `tNs`, keeping the boundary in force there. */
  dropBefore(tNs: number): void {
    const inForce = this.#bounds.floorIndex(tNs);
    if (inForce > 0) {
      this.#bounds.dropFront(inForce);
      this.#labels = this.#labels.slice(inForce);
      this.#tokens = this.#tokens.slice(inForce);
    }
    for (const start of this.#models.keys()) if (start < tNs) this.#models.delete(start);
  }
}
