/**
 * An energy counter made monotonic across resets. NVML's counter restarts from 0 when the driver
 * reloads; a Prometheus counter must only grow (a drop reads as a reset to Prometheus, which then
 * counts the new value from 0, and the energy before the drop is kept). The bridge adds the last
 * value seen before each drop, so the exported total keeps growing; the energy between the last
 * read before a reset and the reset itself is unknown and not invented (read often to keep it small).
 */
export class CounterBridge {
  #lastRawJ: number | null = null;
  #offsetJ = 0;
  /** Drops of the raw counter seen (driver reloads). */
  resets = 0;

  /** Feeds a raw counter reading, J; returns the bridged total, J. */
  update(rawJ: number): number {
    if (this.#lastRawJ !== null && rawJ < this.#lastRawJ) {
      this.#offsetJ += this.#lastRawJ;
      this.resets++;
    }
    this.#lastRawJ = rawJ;
    return this.#offsetJ + rawJ;
  }

  /** The last raw reading fed, J, or null before any. */
  get lastRawJ(): number | null {
    return this.#lastRawJ;
  }

  /** The bridged total at the last reading, J, or null before any. */
  get totalJ(): number | null {
    return this.#lastRawJ === null ? null : this.#offsetJ + this.#lastRawJ;
  }
}
