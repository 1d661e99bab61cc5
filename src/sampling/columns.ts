/** A growable Float64 column with cheap eviction from the front (for bounded sample history). */
export class Column {
  #data: Float64Array;
  #start = 0; // physical index of logical element 0
  #length = 0;

  constructor(initialCapacity = 4096) {
    this.#data = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.#length;
  }

  at(i: number): number {
    return this.#data[this.#start + i]!;
  }

  last(): number {
    return this.#data[this.#start + this.#length - 1]!;
  }

  push(v: number): void {
    if (this.#start + this.#length === this.#data.length) {
      // Reclaim the evicted front when it is at least a fifth of the used span; grow otherwise.
      if (this.#start * 4 >= this.#length) {
        this.#data.copyWithin(0, this.#start, this.#start + this.#length);
      } else {
        const bigger = new Float64Array(this.#data.length * 2);
        bigger.set(this.#data.subarray(this.#start, this.#start + this.#length));
        this.#data = bigger;
      }
      this.#start = 0;
    }
    this.#data[this.#start + this.#length++] = v;
  }

  /** Drops the first `n` elements. */
  dropFront(n: number): void {
    const k = Math.min(n, this.#length);
    this.#start += k;
    this.#length -= k;
  }

  /** A copy of elements [from, to). */
  slice(from: number, to: number): Float64Array {
    return this.#data.slice(this.#start + from, this.#start + to);
  }

  /** Bytes held (for the memory bound). */
  get bytes(): number {
    return this.#data.byteLength;
  }

  /** Largest i with at(i) <= v, or -1 (the column must be non-decreasing). */
  floorIndex(v: number): number {
    let lo = 0;
    let hi = this.#length - 1;
    if (hi < 0 || this.at(0) > v) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.at(mid) <= v) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
