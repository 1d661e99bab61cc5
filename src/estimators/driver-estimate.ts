/**
 * Between two counter anchors, the counter's step shared out by the driver's own power samples
 * (driver-power.ts: on an H200 one every ~20 ms, each the mean power since the one before):
 * E(t) = E_k + f (E_k+1 - E_k), f = (D(t) - D(t_k)) / (D(t_k+1) - D(t_k)), D the samples' integral.
 * Exact at both anchors; inside a sample's interval the power is taken as its mean. The ~95%
 * half-width, J, holds under every shape the samples allow:
 * - where t, t_k and t_k+1 fall inside a sample's interval, the energy before them in it can lie
 *   anywhere the GPU's power range allows given the interval's energy (placementBoundJ): h_t,
 *   h_k, h_k+1, combined as r (h_t + (1 - f) h_k + f h_k+1), r the step's counter/samples ratio;
 * - each anchor's timing (its power times its half-width), weighted as its share;
 * - the step's disagreement between counter and samples beyond their long-run ratio (a driver
 *   whose samples read 1-2% off the counter is corrected by the ratio; what is left could lie on
 *   either side of t): max(f, 1 - f) times that residual.
 */
import type { PowerRange } from './coarse-step.js';
import type { CounterAnchors } from '../sampling/counter-anchors.js';
import type { DriverPowerSeries } from '../sampling/driver-power.js';
import type { PointEstimate } from './estimate.js';

/** How far the samples may lag the counter before they are taken to have stopped, ns. */
const STOPPED_LAG_NS = 3e9;
/** Anchor steps over which the counter/samples ratio is taken. */
const RATIO_STEPS = 32;

/** The samples' view of one anchor step: their integral at both anchors and the placement bounds there. */
interface StepView {
  fromJ: number;
  toJ: number;
  fromBoundJ: number;
  toBoundJ: number;
}

export class DriverShapeEstimator {
  readonly #anchors: CounterAnchors;
  readonly #series: DriverPowerSeries;
  readonly #range: () => PowerRange;

  constructor(anchors: CounterAnchors, series: DriverPowerSeries, range: () => PowerRange) {
    this.#anchors = anchors;
    this.#series = series;
    this.#range = range;
  }

  /**
   * The driver's samples stopped coming (they lag the counter by more than STOPPED_LAG_NS, where a
   * drain every 250 ms keeps them within ~0.3 s): the steps are shared out as without them.
   */
  stopped(): boolean {
    const last = this.#anchors.last;
    return last !== null && this.#series.coveredUntilNs < last.timeNs - STOPPED_LAG_NS;
  }

  #view(k: number): StepView | null {
    const anchors = this.#anchors;
    const { minW, maxW } = this.#range();
    const fromJ = this.#series.integralAtJ(anchors.timeNs(k));
    const toJ = this.#series.integralAtJ(anchors.timeNs(k + 1));
    if (fromJ === null || toJ === null) return null;
    return {
      fromJ,
      toJ,
      fromBoundJ: this.#series.placementBoundJ(anchors.timeNs(k), minW, maxW),
      toBoundJ: this.#series.placementBoundJ(anchors.timeNs(k + 1), minW, maxW),
    };
  }

  /** Counter energy over samples' energy across the recent steps the samples cover (1 until known). */
  #longRunRatio(k: number): number {
    let counterJ = 0;
    let samplesJ = 0;
    for (let i = Math.max(0, k - RATIO_STEPS); i <= k; i++) {
      const view = this.#view(i);
      if (view === null) continue;
      counterJ += this.#anchors.stepJ(i);
      samplesJ += view.toJ - view.fromJ;
    }
    return samplesJ > 0 && counterJ > 0 ? counterJ / samplesJ : 1;
  }

  /** E(t) between anchors k and k + 1, or null where the samples do not hold the step (yet). */
  point(t: number, k: number): PointEstimate | null {
    const view = this.#view(k);
    const atJ = this.#series.integralAtJ(t);
    if (view === null || atJ === null) return null;
    const anchors = this.#anchors;
    const stepJ = anchors.stepJ(k);
    const samplesStepJ = view.toJ - view.fromJ;
    const timeShare = (t - anchors.timeNs(k)) / (anchors.timeNs(k + 1) - anchors.timeNs(k));
    const f = Math.min(1, Math.max(0, samplesStepJ > 1e-12 ? (atJ - view.fromJ) / samplesStepJ : timeShare));
    const { minW, maxW } = this.#range();
    const ratio = samplesStepJ > 1e-12 ? stepJ / samplesStepJ : 1;
    const placementJ = ratio * (this.#series.placementBoundJ(t, minW, maxW) + (1 - f) * view.fromBoundJ + f * view.toBoundJ);
    const residualJ = Math.abs(stepJ - this.#longRunRatio(k) * samplesStepJ);
    const uncertaintyJ = placementJ + (1 - f) * anchors.timingJ(k) + f * anchors.timingJ(k + 1) + Math.max(f, 1 - f) * residualJ;
    return {
      energyJ: anchors.energyJ(k) + f * stepJ,
      uncertaintyJ,
      settled: true,
      anchorInterval: k,
      fraction: f,
      extrapolated: false,
      shape: 'driver-samples',
    };
  }

  /**
   * [a, b] inside one step k, both ends estimated from the samples (bounded together where they share
   * a sample's interval: DriverPowerSeries.intervalBoundJ): the anchors' placement and
   * timing count only in proportion to the share of the step [a, b] holds, and the residual as
   * the larger of that share and the rest (it may lie inside [a, b] or outside it).
   */
  withinOneStepJ(a: number, b: number, pa: PointEstimate, pb: PointEstimate, k: number): number | null {
    const view = this.#view(k);
    if (view === null) return null;
    const anchors = this.#anchors;
    const { minW, maxW } = this.#range();
    const stepJ = anchors.stepJ(k);
    const samplesStepJ = view.toJ - view.fromJ;
    const ratio = samplesStepJ > 1e-12 ? stepJ / samplesStepJ : 1;
    const share = Math.max(0, pb.fraction - pa.fraction);
    const endsJ = this.#series.intervalBoundJ(a, b, minW, maxW);
    const anchorsJ = share * (view.fromBoundJ + view.toBoundJ);
    const residualJ = Math.abs(stepJ - this.#longRunRatio(k) * samplesStepJ);
    return ratio * (endsJ + anchorsJ) + share * (anchors.timingJ(k) + anchors.timingJ(k + 1)) + Math.max(share, 1 - share) * residualJ;
  }
}
