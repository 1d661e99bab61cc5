/**
 * The simulated GPU's true power over time, as set through the control file: what the demo and
 * the tests judge estimates against (the exact integral of the power that was set).
 */
export class PowerHistory {
  readonly #tNs: bigint[] = [];
  readonly #watts: number[] = [];
  readonly #initialW: number;

  /** `initialW`: the power before the first change (the simulator's idle power). */
  constructor(initialW: number) {
    this.#initialW = initialW;
  }

  /** Power from `tNs` (monotonic) on, W. Changes are recorded in time order. */
  record(tNs: bigint, watts: number): void {
    this.#tNs.push(tNs);
    this.#watts.push(watts);
  }

  /** The power set at `tNs`, W (the initial power before the first change). */
  powerW(tNs: bigint): number {
    const index = this.#lastAtOrBefore(tNs);
    return index >= 0 ? this.#watts[index]! : this.#initialW;
  }

  /** The first change's instant, or null before any. */
  firstChangeNs(): bigint | null {
    return this.#tNs[0] ?? null;
  }

  /** The exact energy between two monotonic instants, J. */
  energyJ(fromNs: bigint, toNs: bigint): number {
    if (toNs <= fromNs) return 0;
    let index = this.#lastAtOrBefore(fromNs);
    let level = index >= 0 ? this.#watts[index]! : this.#initialW;
    let at = fromNs;
    let joules = 0;
    for (index++; index < this.#tNs.length && this.#tNs[index]! < toNs; index++) {
      joules += (level * Number(this.#tNs[index]! - at)) / 1e9;
      at = this.#tNs[index]!;
      level = this.#watts[index]!;
    }
    return joules + (level * Number(toNs - at)) / 1e9;
  }

  #lastAtOrBefore(tNs: bigint): number {
    let lo = 0;
    let hi = this.#tNs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#tNs[mid]! <= tNs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
