/**
 * What a test may allow for where the sampler could not resolve the simulated power's steps: the
 * sample intervals around given boundaries in which the power was set two or more times (a
 * sampler thread running late, as on a busy machine). There the estimator cannot place each step
 * from the samples either side and imputes the levels between, so their energy (the simulator's)
 * is what it may misplace. Measured by the test from the monitor's own timeline.
 */
import type { SimControl } from './sim.js';

/**
 * The unresolved sample intervals around `boundariesNs`, keyed by their first instant (so that an
 * interval shared by boundaries counts once), with their energy, J. `windowNs` bounds the samples
 * given (an interval running past them is taken to the window's edge).
 */
export function unresolvedIntervalsJ(
  samples: { tNs: BigInt64Array },
  windowNs: [bigint, bigint],
  boundariesNs: bigint[],
  sim: SimControl,
): Map<bigint, number> {
  const unresolved = new Map<bigint, number>();
  for (const boundaryNs of boundariesNs) {
    let fromNs = windowNs[0];
    let toNs = windowNs[1];
    for (const tNs of samples.tNs) {
      if (tNs <= boundaryNs) fromNs = tNs;
      else {
        toNs = tNs;
        break;
      }
    }
    if (sim.changesBetween(0, fromNs, toNs) >= 2) unresolved.set(fromNs, sim.energyJ(0, fromNs, toNs));
  }
  return unresolved;
}
