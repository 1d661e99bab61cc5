/**
 * The number of requests in flight over time, averaged over a window (time-weighted): what the
 * ML.ENERGY Benchmark's third stability rule looks at (the running requests should stay at or
 * above 0.85 x max_num_seqs during the steady state). Times are passed in, so the arithmetic is
 * tested on synthetic instants.
 */
export class InFlightMeter {
  #count = 0;
  #windowStartNs: bigint | null = null;
  #windowEndNs: bigint | null = null;
  #lastChangeNs: bigint | null = null;
  /** Sum of count x ns over the window so far. */
  #areaCountNs = 0;

  get count(): number {
    return this.#count;
  }

  /** The count changes by `delta` at `nowNs`. */
  change(delta: number, nowNs: bigint): void {
    this.#accumulate(nowNs);
    this.#count += delta;
  }

  /** The window opens at `nowNs` (the steady state begins). */
  open(nowNs: bigint): void {
    this.#windowStartNs = nowNs;
    this.#lastChangeNs = nowNs;
    this.#areaCountNs = 0;
  }

  /** The window closes at `nowNs` (the tail begins). */
  close(nowNs: bigint): void {
    this.#accumulate(nowNs);
    this.#windowEndNs = nowNs;
  }

  /** The time-weighted mean count over the closed window, or null before it closes (or when it has no length). */
  get meanInWindow(): number | null {
    if (this.#windowStartNs === null || this.#windowEndNs === null || this.#windowEndNs <= this.#windowStartNs) return null;
    return this.#areaCountNs / Number(this.#windowEndNs - this.#windowStartNs);
  }

  #accumulate(nowNs: bigint): void {
    if (this.#lastChangeNs === null || this.#windowEndNs !== null) return;
    this.#areaCountNs += this.#count * Number(nowNs - this.#lastChangeNs);
    this.#lastChangeNs = nowNs;
  }
}
