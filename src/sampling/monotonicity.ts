/**
 * A per-monitor check that cumulative energy never runs backwards. Settled boundaries come in
 * time order; on each GPU, E(t) at a later boundary must not be below E at an earlier one. A
 * decrease would give some phase (or the unattributed rest) negative energy, so every one is
 * counted, the first few are kept with what they were, and runs that hold one are flagged
 * `non-monotonic`.
 */

/** One decrease seen. */
export interface EnergyDecrease {
  gpu: number;
  /** The later boundary, ns relative to the monitor's origin. */
  t: number;
  /** How far E fell below the earlier boundary's, J. */
  dropJ: number;
  /** Where it was seen: when settling boundaries, or in a run's summary (refined points). */
  where: 'settle' | 'run-summary';
  /** True when either boundary was forced (settled by extrapolation at the settle timeout). */
  forced: boolean;
}

/** Differences below this share of the energy are rounding (cumulative energies reach MJ). */
const RELATIVE_ROUNDING = 1e-9;
const KEPT_DECREASES = 16;

/** True when `laterJ` lies below `earlierJ` by more than rounding. */
export function fellBack(earlierJ: number, laterJ: number): boolean {
  return laterJ < earlierJ - RELATIVE_ROUNDING * Math.max(1, Math.abs(earlierJ));
}

export class MonotonicityCheck {
  /** Every decrease seen. */
  count = 0;
  /** The first few, with where they were seen. */
  readonly decreases: EnergyDecrease[] = [];
  readonly #lastJ: number[] = [];

  /**
   * The next settled boundary on `gpu` (in time order). Extrapolated points forced at the settle
   * timeout are not observed here: they are provisional, flagged `unsettled`, and settled again
   * once the counter has updated past them (the run summary checks them then).
   */
  observeSettled(gpu: number, t: number, energyJ: number): void {
    const lastJ = this.#lastJ[gpu];
    if (lastJ !== undefined && fellBack(lastJ, energyJ)) this.record({ gpu, t, dropJ: lastJ - energyJ, where: 'settle', forced: false });
    this.#lastJ[gpu] = energyJ;
  }

  /**
   * A run's boundaries as its summary evaluates them, in any order: the decreases between
   * consecutive instants (summed over GPUs). Returns how many there were.
   */
  observeRun(points: ReadonlyArray<{ t: number; energyJ: number; forced: boolean }>): number {
    const sorted = [...points].sort((a, b) => a.t - b.t);
    let found = 0;
    for (let i = 1; i < sorted.length; i++) {
      const earlier = sorted[i - 1]!;
      const later = sorted[i]!;
      if (later.t === earlier.t || !fellBack(earlier.energyJ, later.energyJ)) continue;
      found++;
      this.record({ gpu: -1, t: later.t, dropJ: earlier.energyJ - later.energyJ, where: 'run-summary', forced: earlier.forced || later.forced });
    }
    return found;
  }

  record(decrease: EnergyDecrease): void {
    this.count++;
    if (this.decreases.length < KEPT_DECREASES) this.decreases.push(decrease);
  }
}
