/**
 * Estimates inside counter steps on a coarse sensor (one that cannot show the power's shape
 * between counter updates). Each step's energy is exact; its split between the phases inside
 * follows the powers the regression learnt over many steps (time shares until it has), clipped
 * to what the GPU's power range and the step allow. Every step closed feeds the regression.
 */
import { clipToBounds, labelTimesS, pieceBoundsJ, StepSplit, type CounterStep, type PowerRange } from './coarse-step.js';
import type { BoundaryPowerModel } from './boundary-power.js';
import type { CounterAnchors } from '../sampling/counter-anchors.js';
import type { EnergyMethod, PointEstimate } from './estimate.js';
import { PhasePowerRegression, type RegressionFit } from './phase-regression.js';

export class CoarseStepEstimator {
  /** Each phase's power learnt from the counter's steps. */
  readonly regression = new PhasePowerRegression();
  readonly #anchors: CounterAnchors;
  readonly #boundaries: BoundaryPowerModel;
  readonly #powerRange: () => PowerRange;
  // The split of the step last asked about, for the fit it was built with (points come in time order).
  #splitCache: { k: number; fit: RegressionFit | null; step: CounterStep; split: StepSplit } | null = null;

  constructor(anchors: CounterAnchors, boundaries: BoundaryPowerModel, powerRange: () => PowerRange) {
    this.#anchors = anchors;
    this.#boundaries = boundaries;
    this.#powerRange = powerRange;
  }

  /** Counter step k (between anchors k and k + 1) and the labelled segments inside it. */
  step(k: number): CounterStep {
    const startNs = this.#anchors.timeNs(k);
    const endNs = this.#anchors.timeNs(k + 1);
    return { startNs, endNs, energyJ: this.#anchors.stepJ(k), segments: this.#boundaries.segments(startNs, endNs) };
  }

  /** Adds the closed step k to the regression. */
  learnStep(k: number): void {
    const range = this.#powerRange();
    if (range.maxW > range.minW) this.regression.setRange(range.minW, range.maxW);
    this.regression.addStep(labelTimesS(this.step(k), this.#boundaries.tokenCovariate), this.#anchors.stepJ(k));
  }

  /** How far one counter step may be off were the counter to integrate only sampled windows (~95%), J. */
  stepErrorJ(): number {
    return 2 * (this.regression.fit()?.residualSdJ ?? 0);
  }

  #stepSplit(k: number): { step: CounterStep; split: StepSplit } {
    const fit = this.regression.fit();
    const cached = this.#splitCache;
    if (cached && cached.k === k && cached.fit === fit && cached.step.startNs === this.#anchors.timeNs(k)) return cached;
    const step = this.step(k);
    const split = new StepSplit(step, fit?.powers ?? null, this.#boundaries.tokenCovariate);
    this.#splitCache = { k, fit, step, split };
    return this.#splitCache;
  }

  /** E(t) inside counter step k: the model's split, bounded by the power range. */
  point(t: number, k: number): PointEstimate {
    const { step, split } = this.#stepSplit(k);
    const fraction = split.fractionBefore(t);
    const stepS = (step.endNs - step.startNs) / 1e9;
    // The anchors' instants are known to their half-widths: the piece since the first, and the
    // rest until the second, may be that much longer or shorter (the bounds hold every case).
    const slack = { pieceS: this.#anchors.halfWidthNs(k) / 1e9, restS: this.#anchors.halfWidthNs(k + 1) / 1e9 };
    const bounds = pieceBoundsJ(step.energyJ, stepS, Math.max(0, t - step.startNs) / 1e9, this.#powerRange(), this.stepErrorJ(), slack);
    // Clipped into the bounds, then kept inside the step, so that E(t) never runs backwards across
    // the step's ends (the bounds may reach past them when the step itself may be off); the
    // uncertainty still covers both bounds.
    const pieceJ = Math.min(Math.max(clipToBounds(fraction * step.energyJ, bounds).energyJ, 0), Math.max(step.energyJ, 0));
    const pieceUncertaintyJ = Math.max(pieceJ - bounds[0], bounds[1] - pieceJ, 0);
    const f = step.energyJ > 0 ? pieceJ / step.energyJ : fraction;
    return {
      energyJ: this.#anchors.energyJ(k) + pieceJ,
      uncertaintyJ: pieceUncertaintyJ,
      settled: true,
      anchorInterval: k,
      fraction: f,
      extrapolated: false,
      coarseModel: split.model,
    };
  }

  /**
   * [a, b] of `energyJ` between points pa and pb. Inside one counter step, the power range and the
   * step bound it. Across steps, each end's piece is bounded (in the points), and each whole step
   * inside may itself be off by the counter's own error if it integrates only sampled windows (one
   * of the published possibilities): the steps' regression residual, added in quadrature per step.
   */
  interval(a: number, b: number, energyJ: number, pa: PointEstimate, pb: PointEstimate): { method: EnergyMethod; uncertaintyJ: number } {
    const model = pa.coarseModel === 'regression' && pb.coarseModel === 'regression' ? 'counter-regression' : 'counter-interpolated';
    const k = pa.anchorInterval;
    if (k !== null && k >= 0 && k === pb.anchorInterval && pa.settled && pb.settled) {
      const { step } = this.#stepSplit(k);
      // The piece's length is known; the rest of the step's is to both anchors' half-widths.
      const slack = { pieceS: 0, restS: (this.#anchors.halfWidthNs(k) + this.#anchors.halfWidthNs(k + 1)) / 1e9 };
      const bounds = pieceBoundsJ(step.energyJ, (step.endNs - step.startNs) / 1e9, (b - a) / 1e9, this.#powerRange(), this.stepErrorJ(), slack);
      return { method: model, uncertaintyJ: Math.max(energyJ - bounds[0], bounds[1] - energyJ, 0) };
    }
    const anchorsInside = this.#anchors.between(a, b);
    const stepsInside = Math.max(0, anchorsInside - 1);
    return {
      method: anchorsInside >= 2 ? 'energy-counter' : model,
      uncertaintyJ: pa.uncertaintyJ + pb.uncertaintyJ + this.stepErrorJ() * Math.sqrt(stepsInside),
    };
  }
}
