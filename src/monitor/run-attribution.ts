/**
 * Per-phase totals of a run on a coarse power sensor. Each boundary's energy is re-evaluated
 * with the phase powers the regression learnt over all the steps so far (the run's own and those
 * before it), so that every counter step is split by the phases' powers rather than by the
 * readings' staircase; phases plus unattributed energy still add up to the counter's delta. The
 * interval of a phase's total comes from the standard error of its learnt power.
 */
import { perTokensLabel } from '../estimators/coarse-step.js';
import { totalEnergyAt, type Boundary, type ScopeRecord } from './ledger.js';
import type { PowerTimeline } from '../timeline/timeline.js';

/** The relative error the per-phase model may carry even when every step fits it (see below). */
const MODEL_LIMIT = 0.005;

/** True when some GPU's sensor is coarse and its regression is determined. */
export function usesRegression(timelines: readonly PowerTimeline[]): boolean {
  return timelines.some((tl) => tl.coarse && tl.regression.fit() !== null);
}

/** A boundary's energy and uncertainty summed over GPUs, J. */
export interface RefinedPoint {
  energyJ: number;
  uncertaintyJ: number;
}

/**
 * E(t) summed over GPUs with what is known at the run's end: re-evaluated (while the samples are
 * retained) on coarse timelines, with the powers learnt since, and where a boundary was settled
 * while the sensor was still unknown and it has since shown itself instant.
 */
export function refinedPoints(timelines: readonly PowerTimeline[]): (b: Boundary) => RefinedPoint {
  const cache = new Map<Boundary, RefinedPoint>();
  return (b) => {
    const cached = cache.get(b);
    if (cached !== undefined) return cached;
    let energyJ = 0;
    let variance = 0;
    timelines.forEach((tl, i) => {
      const settled = b.points[i];
      if (!settled) {
        energyJ = NaN;
        return;
      }
      // Coarse splits improve as the regression learns; forced (extrapolated) points may since have settled.
      const stale = tl.coarse || settled.coarseModel !== undefined || !settled.settled;
      const point = stale && b.t >= tl.firstSampleT && b.t < tl.lastAnchorT ? tl.point(b.t) : settled;
      energyJ += point.energyJ;
      variance += point.uncertaintyJ * point.uncertaintyJ;
    });
    const refined = { energyJ: Number.isNaN(energyJ) ? totalEnergyAt(b) : energyJ, uncertaintyJ: Math.sqrt(variance) };
    cache.set(b, refined);
    return refined;
  };
}

/** Where a phase stands in its run: how long it ran, its share of the run's energy, the run's counter steps. */
export interface PhaseInRun {
  /** The phase's estimated energy in the run, J. */
  energyJ: number;
  durationS: number;
  /** Seconds x token covariate summed over the phase's scopes (per GPU timeline's covariate). */
  covariateSeconds: (tl: PowerTimeline) => number;
  /** Each scope's duration or the power's response time, whichever is shorter, summed, s. */
  responseOverlapS: number;
  shareOfRun: number;
  runStartT: number;
  runEndT: number;
}

/**
 * ~95% half-width of a phase's total on coarse timelines, summed over GPUs: twice the standard
 * error of the phase's learnt power times the time it ran, plus the phase's share of the
 * counter's own step errors over the run (were the counter to integrate only the sensor's sampled
 * windows, each step would be off by about the regression's residual), plus the model's own
 * limit: it takes the power to change exactly at scope boundaries, which real work (and the
 * simulator, which applies a change at its next read) does only to within microseconds; that is
 * held to 0.5% of the phase's energy where the power follows the work at once. A real GPU's
 * power follows it late (responseShiftJ), and the energy drawn while a phase ran then differs from
 * its learnt power times its time by up to that shift. Null where a GPU's regression does not know
 * the phase (the caller keeps its bound-based uncertainty then).
 */
export function regressionUncertaintyJ(timelines: readonly PowerTimeline[], phase: string, where: PhaseInRun): number | null {
  let total = MODEL_LIMIT * Math.abs(where.energyJ);
  for (const tl of timelines) {
    if (!tl.coarse) continue;
    const fit = tl.regression.fit();
    const learnt = fit?.powers.get(phase);
    if (!fit || !learnt || !Number.isFinite(learnt.standardErrorW)) return null;
    const slope = fit.powers.get(perTokensLabel(phase));
    const slopeJ = slope && Number.isFinite(slope.standardErrorW) ? 2 * slope.standardErrorW * Math.abs(where.covariateSeconds(tl)) : 0;
    total += 2 * learnt.standardErrorW * where.durationS + slopeJ + where.shareOfRun * counterStepsUncertaintyJ(tl, where.runStartT, where.runEndT);
    total += responseShiftJ(learnt.powerW, tl.powerRange(), where.responseOverlapS);
  }
  return total;
}

/**
 * The most energy a late power response can move into or out of a phase's scopes, J. Inside a
 * scope of length d the drawn power is a weighted mean of the work's power over the response time
 * before each instant: it stays in the GPU's power range, and differs from the scope's own learnt
 * power only for min(d, the mean delay) in all. So the shift is at most the wider gap from the
 * learnt power to the range's edges times responseOverlapS. Systematic (every query runs its phases
 * in the same order), so it is added, not combined in quadrature.
 */
export function responseShiftJ(learntW: number, range: { minW: number; maxW: number }, responseOverlapS: number): number {
  if (!(responseOverlapS > 0)) return 0;
  const widestGapW = Math.max(learntW - range.minW, range.maxW - learntW, 0);
  return widestGapW * responseOverlapS;
}

/** Each scope's duration or the response time, whichever is shorter, summed over the scopes, s. */
export function responseOverlapS(scopes: readonly ScopeRecord[], responseS: number): number {
  let sum = 0;
  for (const s of scopes) if (s.end) sum += Math.min(Number(s.end.tNs - s.start.tNs) / 1e9, responseS);
  return sum;
}

/** ~95% half-width of the counter's own error over [a, b] if each step were off by the residual, J. */
export function counterStepsUncertaintyJ(tl: PowerTimeline, a: number, b: number): number {
  const residualSdJ = tl.coarse ? (tl.regression.fit()?.residualSdJ ?? 0) : 0;
  return 2 * residualSdJ * Math.sqrt(Math.max(0, tl.anchorsBetween(a, b)));
}

/** Seconds x token covariate over a phase's scopes on one timeline (zero where it has none). */
export function covariateSeconds(tl: PowerTimeline, scopes: readonly ScopeRecord[]): number {
  let sum = 0;
  for (const s of scopes) {
    const x = s.phase === null || !s.end ? null : tl.tokenCovariate(s.phase, s.declaredTokens);
    if (x !== null) sum += (x * Number(s.end!.tNs - s.start.tNs)) / 1e9;
  }
  return sum;
}
