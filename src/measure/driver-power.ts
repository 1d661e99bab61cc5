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

export class DriverPowerSeries {
  readonly gpu: number;
  readonly originNs: bigint;
  readonly #maxSamples: number;
  #endNs: number[] = [];
  #powerW: number[] = [];

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
      this.#endNs.push(t);
      this.#powerW.push(w);
    }
    const extra = this.#endNs.length - this.#maxSamples;
    if (extra > 0) {
      this.#endNs.splice(0, extra);
      this.#powerW.splice(0, extra);
    }
  }

  /**
   * The energy between two instants (ns rel), J, from the intervals the samples cover (the power
   * held at each interval's mean inside it), or null where [fromNs, toNs] is not covered.
   */
  energyJ(fromNs: number, toNs: number): number | null {
    const ends = this.#endNs;
    if (ends.length < 2 || fromNs < ends[0]! || toNs > ends[ends.length - 1]! || toNs < fromNs) return null;
    let sumJ = 0;
    for (let k = 1; k < ends.length; k++) {
      const lo = Math.max(ends[k - 1]!, fromNs);
      const hi = Math.min(ends[k]!, toNs);
      if (hi > lo) sumJ += (this.#powerW[k]! * (hi - lo)) / 1e9;
    }
    return sumJ;
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
