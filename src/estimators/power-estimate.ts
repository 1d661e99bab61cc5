/**
 * Estimates from the sampled power's integral W(t): interpolated between two counter updates on
 * a sensor that resolves power between them, scaled by the counter/power ratio before the first
 * update and after the last, and alone where there is no counter.
 *
 * Between anchors k and k + 1, E(t) = E_k + f (E_k+1 - E_k) with f = (W(t) - W_k) / (W_k+1 - W_k):
 * exact at both anchors, following the power's shape in between. Its uncertainty (~95% half-width,
 * J) is the power model's error bound at t, the random error of the power's jumps on either side
 * of t (2 sqrt(sum (dP dt)^2 / 12), weighted by the share of the step each side carries), and the
 * anchors' timing (P x half-width).
 */
import type { BoundaryPowerModel } from './boundary-power.js';
import type { CounterAnchors } from '../sampling/counter-anchors.js';
import type { PointEstimate } from './estimate.js';
import type { SampleStore } from '../sampling/sample-store.js';

/** W(t) at one instant. */
export interface PowerIntegral {
  /** The power's integral from the samples' origin to t, J. */
  integralJ: number;
  /** The sample interval holding t (-1 before the first sample). */
  sampleIndex: number;
  /** The power model's error bound at t, J. */
  boundJ: number;
  /** True when t lies more than two sample intervals outside the samples. */
  beyond: boolean;
}

export class PowerEstimator {
  readonly #samples: SampleStore;
  readonly #anchors: CounterAnchors;
  readonly #boundaries: BoundaryPowerModel;
  readonly #nominalPeriodNs: number;

  constructor(samples: SampleStore, anchors: CounterAnchors, boundaries: BoundaryPowerModel, nominalPeriodNs: number) {
    this.#samples = samples;
    this.#anchors = anchors;
    this.#boundaries = boundaries;
    this.#nominalPeriodNs = nominalPeriodNs;
  }

  /** W(t), the sample interval holding t and the power model's error bound there. */
  integral(t: number): PowerIntegral {
    const samples = this.#samples;
    const n = samples.length;
    if (n === 0) return { integralJ: 0, sampleIndex: -1, boundJ: 0, beyond: true };
    const j = samples.floorIndex(t);
    if (j < 0) {
      const t0 = samples.timeNs(0);
      return { integralJ: samples.integralJ(0) - samples.powerW(0) * ((t0 - t) / 1e9), sampleIndex: -1, boundJ: 0, beyond: t0 - t > 2 * this.#nominalPeriodNs };
    }
    const tj = samples.timeNs(j);
    const pj = samples.powerW(j);
    if (j === n - 1) {
      return { integralJ: samples.integralJ(j) + pj * ((t - tj) / 1e9), sampleIndex: j, boundJ: 0, beyond: t - tj > 2 * this.#nominalPeriodNs };
    }
    const tNext = samples.timeNs(j + 1);
    const pNext = samples.powerW(j + 1);
    const integralJ = samples.integralJ(j) + this.#boundaries.integralJ(tj, tNext, pj, pNext, t);
    // Imputed levels inside: bounded by the power range seen around the interval.
    const spreadW = Math.max(Math.abs(pNext - pj), this.#boundaries.spreadW(tj));
    let boundNsW = (spreadW * (tNext - tj)) / 2;
    // If the power stepped in the next interval and was attributed to this boundary (the lag
    // model puts the step at that interval's start), the step's true place is unknown within it.
    if (j + 2 < n && this.#boundaries.stepsAtStart(tNext)) {
      boundNsW += (Math.abs(samples.powerW(j + 2) - pNext) * (samples.timeNs(j + 2) - tNext)) / 2;
    }
    return { integralJ, sampleIndex: j, boundJ: boundNsW / 1e9, beyond: false };
  }

  /** Without a counter (pre-Volta, or NOT_SUPPORTED): the power integral alone, settled once sampled past. */
  withoutCounter(at: PowerIntegral, sampledPast: boolean): PointEstimate {
    return { energyJ: at.integralJ, uncertaintyJ: at.boundJ, settled: sampledPast, anchorInterval: null, fraction: 0, extrapolated: at.beyond };
  }

  /**
   * [a, b] without a counter to anchor to: the power sensor's own accuracy dominates (NVML: about
   * +-5%), with the jumps' random error and, on a 1 s average, the steps it can hide, J.
   */
  withoutCounterJ(a: number, b: number, energyJ: number, averagedPower: boolean): number {
    return 0.05 * Math.abs(energyJ) + this.jumpsBetweenJ(a, b) + (averagedPower ? this.averagedSpreadJ(a, b) : 0);
  }

  /** The jumps' random error over [a, b], J (~95%). */
  jumpsBetweenJ(a: number, b: number): number {
    return 2 * Math.sqrt(this.#samples.jumpVarianceBetweenJ2(this.#samples.floorIndex(a), this.#samples.floorIndex(b)));
  }

  #sampleAtAnchor(k: number): number {
    return this.#samples.floorIndex(this.#anchors.timeNs(k));
  }

  /** No counter update seen yet: the raw counter at the first sample plus the scaled power since then (provisional). */
  beforeAnyAnchor(at: PowerIntegral, lastPowerW: number): PointEstimate {
    const samples = this.#samples;
    const anchors = this.#anchors;
    const counterAtFirstJ = samples.length ? samples.counterJ(0) + anchors.offsetJ : 0;
    const energyJ = counterAtFirstJ + anchors.ratio() * (at.integralJ - (samples.length ? samples.integralJ(0) : 0));
    const worstW = samples.length ? Math.max(samples.powerW(0), lastPowerW) : 0;
    // Until the counter's first update its phase is unknown: up to 100 sample intervals of power.
    const uncertaintyJ = at.boundJ + (worstW * this.#nominalPeriodNs * 100) / 1e9;
    return { energyJ, uncertaintyJ, settled: false, anchorInterval: -1, fraction: 0, extrapolated: true };
  }

  /** Before the first anchor: back from it by the scaled power integral (fixed once the anchor exists). */
  beforeFirstAnchor(at: PowerIntegral): PointEstimate {
    const anchors = this.#anchors;
    const integralToAnchorJ = anchors.integralJ(0) - at.integralJ;
    const jumpsJ = 2 * Math.sqrt(this.#samples.jumpVarianceBetweenJ2(at.sampleIndex, this.#sampleAtAnchor(0)));
    const uncertaintyJ = at.boundJ + anchors.ratioSpread() * Math.abs(integralToAnchorJ) + jumpsJ + anchors.timingJ(0);
    return {
      energyJ: anchors.energyJ(0) - anchors.ratio() * integralToAnchorJ,
      uncertaintyJ,
      settled: true,
      anchorInterval: -1,
      fraction: 1,
      extrapolated: false,
    };
  }

  /** After the last anchor k: forward from it by the scaled power integral (provisional). */
  afterLastAnchor(at: PowerIntegral, k: number): PointEstimate {
    const anchors = this.#anchors;
    const integralSinceJ = at.integralJ - anchors.integralJ(k);
    const jumpsJ = 2 * Math.sqrt(this.#samples.jumpVarianceBetweenJ2(this.#sampleAtAnchor(k), at.sampleIndex));
    const uncertaintyJ = at.boundJ + anchors.ratioSpread() * Math.abs(integralSinceJ) + jumpsJ + anchors.timingJ(k);
    return { energyJ: anchors.energyJ(k) + anchors.ratio() * integralSinceJ, uncertaintyJ, settled: false, anchorInterval: k, fraction: 0, extrapolated: true };
  }

  /** Between anchors k and k + 1: the counter's step shared out by the sampled power's integral. */
  betweenAnchors(t: number, at: PowerIntegral, k: number, averagedPower: boolean): PointEstimate {
    const anchors = this.#anchors;
    const stepIntegralJ = anchors.integralJ(k + 1) - anchors.integralJ(k);
    let f =
      stepIntegralJ > 1e-12 ? (at.integralJ - anchors.integralJ(k)) / stepIntegralJ : (t - anchors.timeNs(k)) / (anchors.timeNs(k + 1) - anchors.timeNs(k));
    f = Math.min(1, Math.max(0, f));
    const varianceBefore = this.#samples.jumpVarianceBetweenJ2(this.#sampleAtAnchor(k), at.sampleIndex);
    const varianceAfter = this.#samples.jumpVarianceBetweenJ2(at.sampleIndex, this.#sampleAtAnchor(k + 1));
    const stepJ = anchors.stepJ(k);
    let uncertaintyJ =
      at.boundJ + 2 * Math.sqrt((1 - f) * (1 - f) * varianceBefore + f * f * varianceAfter) + (1 - f) * anchors.timingJ(k) + f * anchors.timingJ(k + 1);
    // A 1 s average says little about the power's shape inside a 100 ms counter step:
    // the only bound left is that E(t) lies between the two anchors.
    if (averagedPower) uncertaintyJ = Math.max(uncertaintyJ, Math.max(f, 1 - f) * stepJ);
    return { energyJ: anchors.energyJ(k) + f * stepJ, uncertaintyJ, settled: true, anchorInterval: k, fraction: f, extrapolated: false };
  }

  /**
   * [a, b] inside one step k, both ends settled: the ends' interpolation errors largely cancel,
   * leaving the power model's bounds at a and b, the jumps inside [a, b] against those in the rest
   * of the step, and the anchors' timing in proportion to the share of the step [a, b] holds.
   */
  withinOneStepJ(a: number, b: number, k: number): number {
    const anchors = this.#anchors;
    const atA = this.integral(a);
    const atB = this.integral(b);
    const stepIntegralJ = anchors.integralJ(k + 1) - anchors.integralJ(k);
    const share = stepIntegralJ > 1e-12 ? Math.min(1, Math.max(0, (atB.integralJ - atA.integralJ) / stepIntegralJ)) : 0;
    const varianceInside = this.#samples.jumpVarianceBetweenJ2(atA.sampleIndex, atB.sampleIndex);
    const varianceStep = this.#samples.jumpVarianceBetweenJ2(this.#sampleAtAnchor(k), this.#sampleAtAnchor(k + 1));
    const jumpsJ = 2 * Math.sqrt((1 - share) * (1 - share) * varianceInside + share * share * Math.max(0, varianceStep - varianceInside));
    return atA.boundJ + atB.boundJ + jumpsJ + share * (anchors.timingJ(k) + anchors.timingJ(k + 1));
  }

  /** Without a counter, a 1 s average can hide a step up to the range it shows around [a, b] times 1 s, J. */
  averagedSpreadJ(a: number, b: number): number {
    const averageNs = 1e9;
    const samples = this.#samples;
    const { minW, maxW } = samples.readingRange(samples.floorIndex(a - averageNs), samples.floorIndex(b + averageNs));
    return maxW > minW ? (maxW - minW) * Math.min(1, (b - a) / averageNs) * 2 : 0;
  }
}
