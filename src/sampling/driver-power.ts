/**
 * A GPU's power as its driver keeps it (nvmlDeviceGetSamples, NVML_TOTAL_POWER_SAMPLES): each
 * sample is the mean power since the previous one, so the samples cut time into intervals whose
 * energy is known exactly (on a measured H200 one every ~20 ms: every 2 ms pulse shows in it,
 * unlike the instant field, which refreshes every 100 ms over a short window). Times are ns
 * relative to the monitor's origin, on the monotonic clock (the native sampler converts the
 * driver's wall-clock stamps). Pure arithmetic: tested on synthetic samples.
 */

/** One GPU's driver power samples between two instants. */
export interface DriverPowerSamples {
  gpu: number;
  /** The monotonic end of the interval each sample averages, ns (process.hrtime.bigint()'s clock). */
  endNs: BigInt64Array;
  /** The mean power over that interval, W. */
  powerW: Float64Array;
}

/**
 * How far a part of a sample's interval (`partS` of it, the rest `restS`) can hold other than its
 * share of the interval's energy (`meanW` over the whole), J, the power staying in [floorW, ceilW]:
 * the part's energy lies between floorW x partS and ceilW x partS, and so does the rest's.
 */
function shareBoundJ(meanW: number, partS: number, restS: number, floorW: number, ceilW: number): number {
  const totalJ = meanW * (partS + restS);
  const lowJ = Math.max(floorW * partS, totalJ - ceilW * restS);
  const highJ = Math.min(ceilW * partS, totalJ - floorW * restS);
  const estimateJ = meanW * partS;
  return Math.max(0, highJ - estimateJ, estimateJ - lowJ);
}

export class DriverPowerSeries {
  readonly gpu: number;
  readonly originNs: bigint;
  readonly #maxSamples: number;
  #endNs: number[] = [];
  #powerW: number[] = [];
  /** The samples' integral from the first sample's end to each sample's end, J. */
  #cumulativeJ: number[] = [];

  /** Keeps up to `retentionS` of samples at the driver's ~20 ms (and never fewer than 1,024). */
  constructor(gpu: number, originNs: bigint, retentionS: number) {
    this.gpu = gpu;
    this.originNs = originNs;
    this.#maxSamples = Math.max(1024, Math.ceil(retentionS * 100));
  }

  get length(): number {
    return this.#endNs.length;
  }

  /** The end of the latest sample's interval, ns rel (-Infinity before the first). */
  get coveredUntilNs(): number {
    return this.#endNs.length ? this.#endNs[this.#endNs.length - 1]! : Number.NEGATIVE_INFINITY;
  }

  /**
   * Appends samples (monotonic ns, absolute; mW). A sample not after the latest one kept is
   * ignored: the driver's stream only moves forward, and a repeat adds no information.
   */
  append(endNs: BigInt64Array, powerMw: Float64Array): void {
    for (let i = 0; i < endNs.length; i++) {
      const t = Number(endNs[i]! - this.originNs);
      const w = powerMw[i]! / 1000;
      if (!(t > this.coveredUntilNs) || !Number.isFinite(w)) continue;
      const n = this.#endNs.length;
      this.#cumulativeJ.push(n === 0 ? 0 : this.#cumulativeJ[n - 1]! + (w * (t - this.#endNs[n - 1]!)) / 1e9);
      this.#endNs.push(t);
      this.#powerW.push(w);
    }
    const extra = this.#endNs.length - this.#maxSamples;
    if (extra > 0) {
      this.#endNs.splice(0, extra);
      this.#powerW.splice(0, extra);
      this.#cumulativeJ.splice(0, extra);
    }
  }

  /** The index of the last sample ending at or before t (-1 before the first). */
  #floorIndex(t: number): number {
    const ends = this.#endNs;
    let lo = 0;
    let hi = ends.length - 1;
    if (hi < 0 || t < ends[0]!) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ends[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The samples' integral from the first retained sample's end to t (ns rel), J, the power held at
   * each interval's mean inside it; null where t is outside what the samples cover.
   */
  integralAtJ(t: number): number | null {
    const j = this.#floorIndex(t);
    if (j < 0 || t > this.coveredUntilNs) return null;
    if (j === this.#endNs.length - 1) return this.#cumulativeJ[j]!;
    return this.#cumulativeJ[j]! + (this.#powerW[j + 1]! * (t - this.#endNs[j]!)) / 1e9;
  }

  /**
   * How far the integral at t (taken as the interval's mean power up to t) can be from the true
   * energy, J, where the power inside the interval holding t stays within [floorW, ceilW] (the GPU's
   * range) and its energy is the sample's: a guaranteed bound, 0 at the interval's ends and widest
   * mid-way when the mean lies mid-range. NaN where t is outside what the samples cover.
   */
  placementBoundJ(t: number, floorW: number, ceilW: number): number {
    const j = this.#floorIndex(t);
    if (j < 0 || t > this.coveredUntilNs) return Number.NaN;
    if (j === this.#endNs.length - 1) return 0;
    return shareBoundJ(this.#powerW[j + 1]!, (t - this.#endNs[j]!) / 1e9, (this.#endNs[j + 1]! - t) / 1e9, floorW, ceilW);
  }

  /**
   * How far the energy of [a, b] (taken as the samples' mean power over it) can be from the true
   * energy, J, the power staying within [floorW, ceilW]. Where a and b fall inside one sample's
   * interval the energy of [a, b] and of the rest of that interval add up to the sample's, which
   * bounds it as a whole (the two ends' placements are not independent: bounding each and adding
   * them would count the same unknown twice); otherwise each end's placement bound, added.
   */
  intervalBoundJ(a: number, b: number, floorW: number, ceilW: number): number {
    const j = this.#floorIndex(a);
    const sameInterval = j >= 0 && j < this.#endNs.length - 1 && b <= this.#endNs[j + 1]! && b <= this.coveredUntilNs;
    if (!sameInterval) return this.placementBoundJ(a, floorW, ceilW) + this.placementBoundJ(b, floorW, ceilW);
    const insideS = (b - a) / 1e9;
    return shareBoundJ(this.#powerW[j + 1]!, insideS, (this.#endNs[j + 1]! - this.#endNs[j]!) / 1e9 - insideS, floorW, ceilW);
  }

  /**
   * The energy between two instants (ns rel), J, from the intervals the samples cover (the power
   * held at each interval's mean inside it), or null where [fromNs, toNs] is not covered.
   */
  energyJ(fromNs: number, toNs: number): number | null {
    if (this.#endNs.length < 2 || toNs < fromNs) return null;
    const from = this.integralAtJ(fromNs);
    const to = this.integralAtJ(toNs);
    return from === null || to === null ? null : to - from;
  }

  /** The samples whose intervals end in [fromNs, toNs] (absolute monotonic ns; all by default). */
  samples(fromNs?: bigint, toNs?: bigint): DriverPowerSamples {
    const from = fromNs === undefined ? Number.NEGATIVE_INFINITY : Number(fromNs - this.originNs);
    const to = toNs === undefined ? Number.POSITIVE_INFINITY : Number(toNs - this.originNs);
    const picked = this.#endNs.map((t, i) => i).filter((i) => this.#endNs[i]! >= from && this.#endNs[i]! <= to);
    return {
      gpu: this.gpu,
      endNs: BigInt64Array.from(picked, (i) => this.originNs + BigInt(Math.round(this.#endNs[i]!))),
      powerW: Float64Array.from(picked, (i) => this.#powerW[i]!),
    };
  }
}
