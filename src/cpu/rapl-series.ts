/**
 * One RAPL zone's reads on the sampler's clock, and its cumulative energy at any instant between
 * them. A read's value is the counter as of the zone's last update (RAPL updates about every
 * millisecond), taken somewhere inside the read's span; the energy at an instant is interpolated
 * between the reads around it, and its half-width bounds where the counter can have been then:
 * no lower than the read before (less its span), no higher than the read after plus one update
 * period at the local power. Failed reads are kept as such: they widen the gap, never add a value.
 */

/** How often a RAPL counter updates, s (Intel's SDM: about every 1 ms; AMD Zen: 1 ms). */
export const RAPL_UPDATE_PERIOD_S = 0.001;

/**
 * A read that took longer than this, and than 4 times the zone's typical read, is not used to
 * place the counter in time (the thread was held up during it: its midpoint may be far from the
 * instant the value belongs to); it only widens the gap. ns.
 */
const SLOW_READ_FLOOR_NS = 100_000;
/** errno recorded for such a read. */
export const SLOW_READ = -1;

/** The zone's energy at an instant, J from the zone's first read, with its ~95% half-width. */
export interface RaplPoint {
  energyJ: number;
  uncertaintyJ: number;
}

/** Why a zone has no energy at an instant: a read that failed and no good read after it. */
export interface RaplGap {
  failure: string;
}

/** Describes a failed read (errno, the zone's energy_uj path) in a sentence. */
export type ReadFailureText = (errno: number) => string;

export class RaplSeries {
  readonly zoneId: string;
  /** ns since the monitor's origin; a failed read has NaN energy. */
  #tNs: number[] = [];
  #spanNs: number[] = [];
  #energyJ: number[] = [];
  #errno: number[] = [];
  readonly #retentionNs: number;
  readonly #describeFailure: ReadFailureText;

  constructor(zoneId: string, retentionS: number, describeFailure: ReadFailureText) {
    this.zoneId = zoneId;
    this.#retentionNs = retentionS * 1e9;
    this.#describeFailure = describeFailure;
  }

  /** A zone's typical read time, ns (a moving average of the reads that were not slow). */
  #typicalSpanNs = NaN;

  /** Appends one read: its midpoint (ns since origin), span (ns), cumulative energy (µJ, NaN when failed) and errno. */
  append(tNs: number, spanNs: number, energyUj: number, errno: number): void {
    const slow = spanNs > Math.max(SLOW_READ_FLOOR_NS, 4 * this.#typicalSpanNs);
    if (!slow && !Number.isNaN(energyUj)) this.#typicalSpanNs = Number.isNaN(this.#typicalSpanNs) ? spanNs : 0.95 * this.#typicalSpanNs + 0.05 * spanNs;
    this.#tNs.push(tNs);
    this.#spanNs.push(spanNs);
    this.#energyJ.push(Number.isNaN(energyUj) || slow ? NaN : energyUj / 1e6);
    this.#errno.push(slow && !Number.isNaN(energyUj) ? SLOW_READ : errno);
  }

  /** Drops reads older than the retention before `nowNs`, keeping the last one before the cut. */
  prune(nowNs: number): void {
    const cut = nowNs - this.#retentionNs;
    let drop = 0;
    while (drop + 1 < this.#tNs.length && this.#tNs[drop + 1]! < cut) drop++;
    if (drop < 4096) return;
    for (const column of [this.#tNs, this.#spanNs, this.#energyJ, this.#errno]) column.splice(0, drop);
  }

  get reads(): number {
    return this.#tNs.length;
  }

  /** Time of the newest read, ns since origin (-Infinity before any). */
  get lastReadT(): number {
    return this.#tNs.length ? this.#tNs[this.#tNs.length - 1]! : -Infinity;
  }

  /** The newest good read's energy, J since the zone's first read, or null before any. */
  get latestEnergyJ(): number | null {
    const last = this.#lastGoodAtOrBefore(Infinity, this.#tNs.length);
    return last < 0 ? null : this.#energyJ[last]!;
  }

  /** True once a read (good or failed) lies after `t`: the energy at `t` is then as known as it will be. */
  readyAt(t: number): boolean {
    return this.lastReadT > t;
  }

  /** The energy at `t` (ns since origin), interpolated between the good reads around it; a gap when there is none after it. */
  pointAt(t: number): RaplPoint | RaplGap {
    const after = this.#firstGoodAfter(t);
    if (after < 0) return { failure: this.#latestFailure(t) ?? `no read of ${this.zoneId} after this instant` };
    const before = this.#lastGoodAtOrBefore(t, after);
    if (before < 0) return { failure: `no read of ${this.zoneId} before this instant (it came before the zone's first read)` };
    const t0 = this.#tNs[before]!;
    const t1 = this.#tNs[after]!;
    const e0 = this.#energyJ[before]!;
    const e1 = this.#energyJ[after]!;
    const gapS = Math.max((t1 - t0) / 1e9, 1e-9);
    const powerW = Math.max((e1 - e0) / gapS, this.#nextPowerW(after));
    const energyJ = e0 + ((e1 - e0) * (t - t0)) / (t1 - t0 || 1);
    const lowJ = e0 - (powerW * this.#spanNs[before]!) / 2e9;
    const highJ = e1 + powerW * (RAPL_UPDATE_PERIOD_S + this.#spanNs[after]! / 2e9);
    return { energyJ, uncertaintyJ: Math.max(energyJ - lowJ, highJ - energyJ) };
  }

  /** Mean power from the newest retained read back over `windowS` (or since the first read), W (NaN without two good reads). */
  powerW(windowS: number): number {
    const last = this.#lastGoodAtOrBefore(Infinity, this.#tNs.length);
    if (last < 0) return NaN;
    // The window, or as much of it as the reads cover.
    let from = this.#lastGoodAtOrBefore(this.#tNs[last]! - windowS * 1e9, last);
    if (from < 0) from = this.#firstGoodAfter(-Infinity);
    if (from < 0 || from === last) return NaN;
    return (this.#energyJ[last]! - this.#energyJ[from]!) / ((this.#tNs[last]! - this.#tNs[from]!) / 1e9);
  }

  /** The mean power of the gap after good read `index`, W (0 when there is none yet). */
  #nextPowerW(index: number): number {
    const next = this.#firstGoodAfter(this.#tNs[index]!);
    if (next < 0) return 0;
    return (this.#energyJ[next]! - this.#energyJ[index]!) / Math.max((this.#tNs[next]! - this.#tNs[index]!) / 1e9, 1e-9);
  }

  /** Index of the first good read after `t`, or -1. */
  #firstGoodAfter(t: number): number {
    let low = 0;
    let high = this.#tNs.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.#tNs[mid]! > t) high = mid;
      else low = mid + 1;
    }
    for (let i = low; i < this.#tNs.length; i++) if (!Number.isNaN(this.#energyJ[i]!)) return i;
    return -1;
  }

  /** Index of the last good read at or before `t` (searching below `limit`), or -1. */
  #lastGoodAtOrBefore(t: number, limit: number): number {
    for (let i = Math.min(limit, this.#tNs.length) - 1; i >= 0; i--) {
      if (this.#tNs[i]! <= t && !Number.isNaN(this.#energyJ[i]!)) return i;
    }
    return -1;
  }

  /** The newest failed read's description after `t`, or null. */
  #latestFailure(t: number): string | null {
    for (let i = this.#tNs.length - 1; i >= 0 && this.#tNs[i]! > t; i--) {
      if (Number.isNaN(this.#energyJ[i]!)) return this.#describeFailure(this.#errno[i]!);
    }
    return null;
  }
}
