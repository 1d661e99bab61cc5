/**
 * One GPU's retained samples, in time order: instant (ns, relative to the timeline's origin),
 * power (W) and the raw energy counter (J), plus two running sums read in O(1) by the estimates:
 * the power's integral (J, each interval integrated by the caller's power model) and the variance
 * of the power's jumps (J^2: a jump of dP between samples dt apart, whose true instant is unknown
 * within dt, adds (dP dt)^2 / 12).
 */
import { Column } from './columns.js';

/** Lowest and highest reading over some samples, W. */
export interface ReadingRange {
  minW: number;
  maxW: number;
}

export class SampleStore {
  readonly #timeNs = new Column();
  readonly #powerW = new Column();
  readonly #integralJ = new Column();
  readonly #jumpVarianceJ2 = new Column();
  readonly #counterJ = new Column();

  get length(): number {
    return this.#timeNs.length;
  }

  timeNs(index: number): number {
    return this.#timeNs.at(index);
  }

  powerW(index: number): number {
    return this.#powerW.at(index);
  }

  /** The power's integral from the first retained sample's origin to sample `index`, J. */
  integralJ(index: number): number {
    return this.#integralJ.at(index);
  }

  /** The raw counter at sample `index`, J (NaN where the read failed). */
  counterJ(index: number): number {
    return this.#counterJ.at(index);
  }

  /** The jumps' variance summed up to sample `index`, J^2 (0 before the first sample). */
  jumpVarianceJ2(index: number): number {
    return index < 0 ? 0 : this.#jumpVarianceJ2.at(index);
  }

  /** The jumps' variance between samples `from` and `to` (either may be -1), J^2. */
  jumpVarianceBetweenJ2(from: number, to: number): number {
    return Math.max(0, this.jumpVarianceJ2(to) - this.jumpVarianceJ2(from));
  }

  /** Index of the last sample at or before `tNs`, or -1. */
  floorIndex(tNs: number): number {
    return this.#timeNs.floorIndex(tNs);
  }

  /** Time of the last sample, ns, or -Infinity when empty. */
  get lastTimeNs(): number {
    return this.length ? this.#timeNs.last() : -Infinity;
  }

  /** Time of the first retained sample, ns, or Infinity when empty. */
  get firstTimeNs(): number {
    return this.length ? this.#timeNs.at(0) : Infinity;
  }

  /**
   * Appends a sample later than the last one. `integralStepJ` is the power's integral since the
   * previous sample (ignored for the first).
   */
  push(tNs: number, powerW: number, counterJ: number, integralStepJ: number): void {
    const n = this.length;
    if (n > 0) {
      const jumpJ = ((powerW - this.#powerW.last()) * (tNs - this.#timeNs.last())) / 1e9;
      this.#integralJ.push(this.#integralJ.last() + integralStepJ);
      this.#jumpVarianceJ2.push(this.#jumpVarianceJ2.last() + (jumpJ * jumpJ) / 12);
    } else {
      this.#integralJ.push(0);
      this.#jumpVarianceJ2.push(0);
    }
    this.#timeNs.push(tNs);
    this.#powerW.push(powerW);
    this.#counterJ.push(counterJ);
  }

  /** Lowest and highest reading over samples [from, to] (clamped to what is retained). */
  readingRange(from: number, to: number): ReadingRange {
    let minW = Infinity;
    let maxW = -Infinity;
    for (let i = Math.max(0, from); i <= Math.min(to, this.length - 1); i++) {
      const powerW = this.#powerW.at(i);
      if (powerW < minW) minW = powerW;
      if (powerW > maxW) maxW = powerW;
    }
    return { minW, maxW };
  }

  /** Drops the first `count` samples. */
  dropFront(count: number): void {
    for (const column of this.#columns()) column.dropFront(count);
  }

  /** Copies of the samples at times in [fromNs, toNs]. */
  between(fromNs: number, toNs: number): { timeNs: Float64Array; powerW: Float64Array; counterJ: Float64Array } {
    let first = this.floorIndex(fromNs);
    if (first < 0 || this.timeNs(first) < fromNs) first++;
    const count = Math.max(0, this.floorIndex(toNs) + 1 - first);
    return this.slice(first, first + count);
  }

  /** Copies of the samples in [fromNs, toNs] (absolute monotonic ns; all by default), stamped in absolute ns. */
  exportBetween(originNs: bigint, fromNs?: bigint, toNs?: bigint): { tNs: BigInt64Array; powerW: Float64Array; counterJ: Float64Array } {
    const relative = (t: bigint | undefined, none: number) => (t === undefined ? none : Number(t - originNs));
    const copy = this.between(relative(fromNs, -Infinity), relative(toNs, Infinity));
    return { tNs: BigInt64Array.from(copy.timeNs, (t) => originNs + BigInt(Math.round(t))), powerW: copy.powerW, counterJ: copy.counterJ };
  }

  /** Copies of samples [from, to). */
  slice(from: number, to: number): { timeNs: Float64Array; powerW: Float64Array; counterJ: Float64Array } {
    return { timeNs: this.#timeNs.slice(from, to), powerW: this.#powerW.slice(from, to), counterJ: this.#counterJ.slice(from, to) };
  }

  get bytes(): number {
    return this.#columns().reduce((sum, column) => sum + column.bytes, 0);
  }

  #columns(): Column[] {
    return [this.#timeNs, this.#powerW, this.#integralJ, this.#jumpVarianceJ2, this.#counterJ];
  }
}

/** One GPU's retained samples. */
export interface TimelineSamples {
  gpu: number;
  /** Monotonic ns (same clock as process.hrtime.bigint()). */
  tNs: BigInt64Array;
  powerW: Float64Array;
  /** The raw energy counter, J (NaN where the read failed). */
  counterJ: Float64Array;
}
