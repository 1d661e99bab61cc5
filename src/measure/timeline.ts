/**
 * One GPU's sampled history and the energy estimator built on it.
 *
 * Samples (power W, energy counter J) arrive from the native sampler. Each
 * change of the counter marks an update instant: an anchor whose cumulative
 * energy is known exactly (to the mJ) and whose time is known to within half a
 * sample interval. The cumulative energy E(t) at any instant is:
 *
 * - between two anchors: the counter's step shared out by the sampled power's
 *   integral (trapezoid), so E is exact at every anchor and follows the power
 *   shape in between ("counter interpolated with sampled power");
 * - after the last anchor: the last anchor plus the power integral scaled by
 *   the observed counter/power ratio (provisional: not yet settled);
 * - with no counter (pre-Volta, or NOT_SUPPORTED): the power integral alone.
 *
 * A scope's energy is E(end) - E(start); phases and gaps therefore add up to
 * the counter's delta exactly. Uncertainty (a ~95% half-width, J) combines the
 * trapezoid's error at each boundary (|dP| x dt / 2 of the sample interval it
 * falls in), the random error of power jumps inside the interpolated spans
 * (2 sqrt(sum (dP dt)^2 / 12)), and the anchors' timing (P x half interval).
 */
import { Column } from './columns.js';

const NVML_ERROR_GPU_IS_LOST = 15;
/** A power step within this long after a scope boundary is attributed to the boundary, ns. */
const STEP_LAG_NS = 1_000_000;
/** Sampling gaps of at least this long are flagged (sampling-gap), ns. */
const GAP_FLAG_NS = 50e6;

export type EnergyMethod = 'energy-counter' | 'counter-interpolated' | 'power-integration';

/** E(t) at one instant. */
export interface PointEstimate {
  /** Cumulative energy on this GPU's timeline, J (an arbitrary but fixed origin). */
  energyJ: number;
  /** Uncertainty of this boundary alone, J. */
  uncertaintyJ: number;
  /** False while t lies after the last counter update (the value may still change). */
  settled: boolean;
  /** Index of the anchor interval [u_k, u_k+1] holding t; -1 before the first; null without counter. */
  anchorInterval: number | null;
  /** Fraction of the anchor interval's power integral before t (0..1). */
  fraction: number;
  /** True when t is beyond the sampled data or the anchors (power extrapolation). */
  extrapolated: boolean;
}

export interface IntervalEstimate {
  energyJ: number;
  uncertaintyJ: number;
  method: EnergyMethod;
  settled: boolean;
  flags: string[];
}

export interface TimelineSamples {
  gpu: number;
  /** Monotonic ns (same clock as process.hrtime.bigint()). */
  tNs: BigInt64Array;
  powerW: Float64Array;
  /** The raw energy counter, J (NaN where the read failed). */
  counterJ: Float64Array;
}

/**
 * The power model of one closed sample interval [s0, s1] holding boundaries b0 < b1 < ...:
 * `cumJ[i]` is the integral from s0 to b_i, `afterW[i]` the level from b_i to the next boundary
 * (or s1), and `spreadW` the power range around it (its boundaries' error bound).
 */
interface IntervalModel {
  bounds: number[];
  cumJ: number[];
  afterW: number[];
  spreadW: number;
}

export class PowerTimeline {
  readonly gpu: number;
  readonly originNs: bigint;
  readonly hasCounter: boolean;
  readonly nominalPeriodNs: number;
  readonly maxSamples: number;

  // Samples, t in ns relative to originNs.
  readonly #t = new Column();
  readonly #p = new Column();
  readonly #w = new Column(); // cumulative trapezoid integral of power, J
  readonly #v = new Column(); // cumulative variance of power jumps, J^2
  readonly #c = new Column(); // raw counter, J
  // Anchors (counter update instants).
  readonly #au = new Column(); // time, ns rel
  readonly #ah = new Column(); // half-width of the time uncertainty, ns
  readonly #ae = new Column(); // cumulative (reset-adjusted) counter, J
  readonly #aw = new Column(); // W at the anchor, J
  readonly #ap = new Column(); // power at the anchor, W

  // Scope boundaries (ns rel, increasing): where the work, and so the power, changes.
  readonly #bounds = new Column();
  // The label of the segment each boundary starts: a phase name, '' (no phase open), null (mixed).
  #boundLabels: Array<string | null> = [];
  // Typical power per label, learnt from stretches sampled entirely inside one labelled segment.
  readonly #priors = new Map<string, { meanW: number; n: number }>();
  // The power model of each sample interval that holds a boundary (or starts just after one),
  // fixed when the interval closed (keyed by its start), so E(t) never changes afterwards.
  readonly #levels = new Map<number, IntervalModel>();
  #lastCounterJ = NaN;
  #offsetJ = 0; // added to the raw counter after resets
  #ratios: number[] = []; // counter / power integral over recent anchor intervals
  #lastPowerW = NaN;
  /** Counter resets seen (driver reload), as [from, to] ns rel. */
  readonly resets: Array<[number, number]> = [];
  /** Sampling gaps of 50 ms or more (and over 5 nominal periods), as [from, to] ns rel. */
  readonly gaps: Array<[number, number]> = [];
  readErrors = 0;
  lostAt: number | null = null;
  dropped = 0;

  /** True when the power source is a 1 s moving average (no instant power field). */
  readonly averagedPower: boolean;

  constructor(gpu: number, originNs: bigint, hasCounter: boolean, sampleHz: number, retentionS: number, averagedPower = false) {
    this.gpu = gpu;
    this.originNs = originNs;
    this.hasCounter = hasCounter;
    this.averagedPower = averagedPower;
    this.nominalPeriodNs = 1e9 / sampleHz;
    this.maxSamples = Math.max(1024, Math.ceil(sampleHz * retentionS));
  }

  get sampleCount(): number {
    return this.#t.length;
  }

  get anchorCount(): number {
    return this.#au.length;
  }

  /** Time of the last sample, ns rel, or -Infinity. */
  get lastSampleT(): number {
    return this.#t.length ? this.#t.last() : -Infinity;
  }

  /** The latest sampled power, W (NaN before the first sample). */
  get lastPowerW(): number {
    return this.#lastPowerW;
  }

  /** Time of the last anchor, ns rel, or -Infinity. */
  get lastAnchorT(): number {
    return this.#au.length ? this.#au.last() : -Infinity;
  }

  get bytes(): number {
    return [this.#t, this.#p, this.#w, this.#v, this.#c, this.#au, this.#ah, this.#ae, this.#aw, this.#ap].reduce(
      (s, c) => s + c.bytes,
      0,
    );
  }

  /**
   * Registers a scope boundary at t (ns rel). Inside a sample interval holding
   * boundaries, power is modelled as stepping at them (the work changes there)
   * rather than ramping linearly between the two samples.
   */
  markBoundary(t: number, label: string | null = null): void {
    if (this.#bounds.length === 0 || t > this.#bounds.last()) {
      this.#bounds.push(t);
      this.#boundLabels.push(label);
    } else if (t === this.#bounds.last()) {
      this.#boundLabels[this.#boundLabels.length - 1] = label;
    }
  }

  /** Typical power of a labelled segment, W, or NaN when not yet learnt. */
  priorW(label: string | null): number {
    if (label === null) return NaN;
    const p = this.#priors.get(label);
    return p && p.n >= 3 ? p.meanW : NaN;
  }

  #labelAt(k: number): string | null {
    return this.#boundLabels[k] ?? null;
  }

  /** Learns label priors from [t0, t]; for an interval holding boundaries, fixes its power model. */
  #closeInterval(t0: number, t: number, p0: number, p: number): void {
    const k0 = this.#bounds.floorIndex(t0);
    let k = k0 + 1;
    if (k >= this.#bounds.length || this.#bounds.at(k) >= t) {
      // No boundary inside. If one fell just before this interval, the work it started may have
      // changed the power a few microseconds after the sample that closed the previous interval:
      // the step then belongs to that boundary, so the new level holds from the interval's start.
      if (k0 >= 0 && t0 - this.#bounds.at(k0) <= STEP_LAG_NS && p !== p0) {
        this.#levels.set(t0, { bounds: [t0], cumJ: [0], afterW: [p], spreadW: 0 });
        return;
      }
      // Otherwise the whole interval lies in the segment that started at bound k0.
      const label = k0 >= 0 ? this.#labelAt(k0) : null;
      if (label !== null) {
        const prior = this.#priors.get(label) ?? { meanW: 0, n: 0 };
        const w = Math.min(prior.n + 1, 50);
        prior.meanW += ((p0 + p) / 2 - prior.meanW) / w;
        prior.n++;
        this.#priors.set(label, prior);
      }
      return;
    }
    // Boundaries inside: p0 until the first, p from the last, and for each middle segment the
    // learnt level of its phase (or the linear ramp's value at its centre).
    const dt = t - t0;
    const bounds: number[] = [];
    for (; k < this.#bounds.length && this.#bounds.at(k) < t; k++) bounds.push(this.#bounds.at(k));
    const first = k - bounds.length;
    const afterW: number[] = [];
    const cumJ: number[] = [];
    let acc = p0 * (bounds[0]! - t0);
    for (let i = 0; i < bounds.length; i++) {
      cumJ.push(acc / 1e9);
      let level: number;
      if (i === bounds.length - 1) level = p;
      else {
        const prior = this.priorW(this.#labelAt(first + i));
        level = Number.isFinite(prior) ? prior : p0 + ((p - p0) * ((bounds[i]! + bounds[i + 1]!) / 2 - t0)) / dt;
      }
      afterW.push(level);
      acc += level * ((i + 1 < bounds.length ? bounds[i + 1]! : t) - bounds[i]!);
    }
    let min = Math.min(p0, p, ...afterW);
    let max = Math.max(p0, p, ...afterW);
    const n = this.#p.length;
    for (let i = Math.max(0, n - 6); i < n; i++) {
      min = Math.min(min, this.#p.at(i));
      max = Math.max(max, this.#p.at(i));
    }
    this.#levels.set(t0, { bounds, cumJ, afterW, spreadW: bounds.length > 1 ? max - min : 0 });
  }

  /**
   * Integral of power over [s0, x] inside one sample interval [s0, s1] whose ends
   * read p0 and p1, J: the interval's fixed model when it holds boundaries, else the trapezoid.
   */
  #segment(s0: number, s1: number, p0: number, p1: number, x: number): number {
    const model = this.#levels.get(s0);
    if (!model) {
      const dt = s1 - s0;
      if (dt <= 0) return 0;
      const u = x - s0;
      return (p0 * u + ((p1 - p0) * u * u) / (2 * dt)) / 1e9;
    }
    const b = model.bounds;
    if (x < b[0]!) return (p0 * (x - s0)) / 1e9;
    let lo = 0;
    let hi = b.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (b[mid]! <= x) lo = mid;
      else hi = mid - 1;
    }
    return model.cumJ[lo]! + (model.afterW[lo]! * (x - b[lo]!)) / 1e9;
  }

  /** Appends one drained batch. */
  append(tNs: BigInt64Array, energyMj: Float64Array, powerMw: Float64Array, energyRet: Int32Array, powerRet: Int32Array): void {
    for (let i = 0; i < tNs.length; i++) {
      if (this.lostAt !== null) return;
      const t = Number(tNs[i]! - this.originNs);
      if (energyRet[i] === NVML_ERROR_GPU_IS_LOST || powerRet[i] === NVML_ERROR_GPU_IS_LOST) {
        this.lostAt = t;
        return;
      }
      let p = powerMw[i]! / 1000;
      if (!Number.isFinite(p)) {
        this.readErrors++;
        p = this.#lastPowerW;
        if (!Number.isFinite(p)) continue;
      }
      const c = energyMj[i]! / 1000;
      if (this.hasCounter && !Number.isFinite(c)) this.readErrors++;
      this.#push(t, p, c);
    }
    this.#evict();
  }

  #push(t: number, p: number, c: number): void {
    const n = this.#t.length;
    if (n > 0) {
      const t0 = this.#t.last();
      if (t <= t0) return;
      const p0 = this.#p.last();
      const dtS = (t - t0) / 1e9;
      this.#closeInterval(t0, t, p0, p);
      this.#w.push(this.#w.last() + this.#segment(t0, t, p0, p, t));
      const jump = (p - p0) * dtS;
      this.#v.push(this.#v.last() + (jump * jump) / 12);
      // A gap worth flagging: long enough to hide a whole short phase (shorter jitter is in the uncertainty).
      if (t - t0 > Math.max(5 * this.nominalPeriodNs, GAP_FLAG_NS)) this.gaps.push([t0, t]);
    } else {
      this.#w.push(0);
      this.#v.push(0);
    }
    this.#t.push(t);
    this.#p.push(p);
    this.#c.push(c);
    this.#lastPowerW = p;
    if (!this.hasCounter || !Number.isFinite(c)) return;
    const prev = this.#lastCounterJ;
    this.#lastCounterJ = c;
    if (Number.isNaN(prev) || c === prev || n === 0) return;
    const tPrev = this.#t.at(n - 1);
    const { u, h } = this.#placeAnchor(tPrev, t);
    const wU = this.#w.at(n - 1) + this.#segment(tPrev, t, this.#p.at(n - 1), p, u);
    const reset = c < prev;
    if (reset) {
      // The counter went backwards: a driver reload reset it. Continue the
      // cumulative curve from the last anchor by the power integral.
      const r = this.ratio();
      const lastE = this.#ae.length ? this.#ae.last() : prev + this.#offsetJ;
      const lastW = this.#aw.length ? this.#aw.last() : this.#w.at(0);
      const from = this.#au.length ? this.#au.last() : this.#t.at(0);
      this.#offsetJ = lastE + r * (wU - lastW) - c;
      this.resets.push([from, t]);
    }
    const e = c + this.#offsetJ;
    if (this.#au.length) {
      const dW = wU - this.#aw.last();
      const dE = e - this.#ae.last();
      if (dW > 0 && !reset) {
        this.#ratios.push(dE / dW);
        if (this.#ratios.length > 32) this.#ratios.shift();
        this.#ratioCache = null;
      }
    }
    this.#au.push(u);
    this.#ah.push(h);
    this.#ae.push(e);
    this.#aw.push(wU);
    this.#ap.push(p);
  }

  // Midpoints of recent counter-step windows, for locking onto the counter's update grid.
  readonly #stepMids: number[] = [];

  /**
   * Where a counter update seen between samples at tPrev and t happened. Counters update on a
   * regular grid (about every 100 ms): a fit of period and phase over recent steps (windows
   * randomized by the sampler's dither) predicts the instant far better than the window's
   * midpoint. The prediction is used when the fit is tight and falls inside the window; otherwise
   * the midpoint, with half the window as its uncertainty.
   */
  #placeAnchor(tPrev: number, t: number): { u: number; h: number } {
    const mid = (tPrev + t) / 2;
    const half = (t - tPrev) / 2;
    const mids = this.#stepMids;
    mids.push(mid);
    if (mids.length > 64) mids.shift();
    const k = mids.length - 1; // earlier steps to fit
    if (k < 5) return { u: mid, h: half };
    const spacing = mids.slice(1).map((m, i) => m - mids[i]!).sort((a, b) => a - b);
    let period = spacing[spacing.length >> 1]!;
    if (!(period > 0)) return { u: mid, h: half };
    const m0 = mids[0]!;
    let sn = 0;
    let sm = 0;
    let snn = 0;
    let snm = 0;
    for (let i = 0; i < k; i++) {
      const idx = Math.round((mids[i]! - m0) / period);
      sn += idx;
      sm += mids[i]!;
      snn += idx * idx;
      snm += idx * mids[i]!;
    }
    const det = k * snn - sn * sn;
    if (det <= 0) return { u: mid, h: half };
    period = (k * snm - sn * sm) / det;
    const origin = (sm - period * sn) / k;
    let ss = 0;
    for (let i = 0; i < k; i++) {
      const r = mids[i]! - (origin + Math.round((mids[i]! - origin) / period) * period);
      ss += r * r;
    }
    const sd = Math.sqrt(ss / Math.max(1, k - 2));
    // A periodic counter sampled with dither scatters midpoints by about half a window; more means it is not periodic.
    if (sd > half * 1.2) return { u: mid, h: half };
    const predicted = origin + Math.round((mid - origin) / period) * period;
    if (predicted <= tPrev || predicted > t) return { u: mid, h: half };
    return { u: predicted, h: Math.min(half, Math.max(100_000, (3 * sd) / Math.sqrt(k))) };
  }

  #evict(): void {
    const extra = this.#t.length - this.maxSamples;
    if (extra <= 0) return;
    const drop = Math.max(extra, Math.floor(this.maxSamples / 4));
    for (const col of [this.#t, this.#p, this.#w, this.#v, this.#c]) col.dropFront(drop);
    const first = this.#t.at(0);
    // Keep one anchor before the first retained sample.
    let k = 0;
    while (k + 1 < this.#au.length && this.#au.at(k + 1) <= first) k++;
    for (const col of [this.#au, this.#ah, this.#ae, this.#aw, this.#ap]) col.dropFront(k);
    const oldBounds = this.#bounds.floorIndex(first);
    if (oldBounds > 0) {
      this.#bounds.dropFront(oldBounds);
      this.#boundLabels = this.#boundLabels.slice(oldBounds);
    }
    for (const key of this.#levels.keys()) if (key < first) this.#levels.delete(key);
  }

  #ratioCache: { ratio: number; spread: number } | null = null;

  /** Counter energy / power integral over recent anchor intervals (1 until known). */
  ratio(): number {
    return this.#ratioStats().ratio;
  }

  /** Relative spread of that ratio (~95%), at least 2%. */
  ratioSpread(): number {
    return this.#ratioStats().spread;
  }

  #ratioStats(): { ratio: number; spread: number } {
    if (this.#ratioCache) return this.#ratioCache;
    const rs = this.#ratios;
    let ratio = 1;
    let spread = 0.05;
    if (rs.length >= 2) {
      const sorted = [...rs].sort((a, b) => a - b);
      ratio = Math.min(2, Math.max(0.5, sorted[sorted.length >> 1]!));
    }
    if (rs.length >= 4) {
      const dev = rs.map((x) => Math.abs(x - ratio)).sort((a, b) => a - b);
      spread = Math.max(0.02, (2 * dev[dev.length >> 1]!) / ratio);
    }
    return (this.#ratioCache = { ratio, spread });
  }

  /** The earliest instant still covered by retained samples, ns rel. */
  get firstSampleT(): number {
    return this.#t.length ? this.#t.at(0) : Infinity;
  }

  /** Power integral W(t) (J), its sample interval and the boundary error bound. */
  #integral(t: number): { w: number; j: number; bnd: number; beyond: boolean } {
    const n = this.#t.length;
    if (n === 0) return { w: 0, j: -1, bnd: 0, beyond: true };
    const j = this.#t.floorIndex(t);
    if (j < 0) {
      const t0 = this.#t.at(0);
      return { w: -this.#p.at(0) * ((t0 - t) / 1e9), j: -1, bnd: 0, beyond: t0 - t > 2 * this.nominalPeriodNs };
    }
    const tj = this.#t.at(j);
    const pj = this.#p.at(j);
    if (j === n - 1) {
      return { w: this.#w.at(j) + pj * ((t - tj) / 1e9), j, bnd: 0, beyond: t - tj > 2 * this.nominalPeriodNs };
    }
    const tj1 = this.#t.at(j + 1);
    const dt = tj1 - tj;
    const dp = this.#p.at(j + 1) - pj;
    const w = this.#w.at(j) + this.#segment(tj, tj1, pj, this.#p.at(j + 1), t);
    // Imputed levels inside: bound by the power range seen around the interval.
    const spread = Math.max(Math.abs(dp), this.#levels.get(tj)?.spreadW ?? 0);
    let bnd = (spread * dt) / 2;
    // If the power stepped in the next interval and was attributed to this boundary (the lag
    // model puts the step at that interval's start), the step's true place is unknown within it.
    if (j + 2 < n) {
      const next = this.#levels.get(tj1);
      if (next && next.bounds.length === 1 && next.bounds[0] === tj1) {
        bnd += (Math.abs(this.#p.at(j + 2) - this.#p.at(j + 1)) * (this.#t.at(j + 2) - tj1)) / 2;
      }
    }
    return { w, j, bnd: bnd / 1e9, beyond: false };
  }

  #varianceAt(j: number): number {
    return j < 0 ? 0 : this.#v.at(j);
  }

  /** E(t) for one instant, t in ns relative to originNs. */
  point(t: number): PointEstimate {
    const { w, j, bnd, beyond } = this.#integral(t);
    if (!this.hasCounter) {
      return { energyJ: w, uncertaintyJ: bnd, settled: t <= this.lastSampleT, anchorInterval: null, fraction: 0, extrapolated: beyond };
    }
    const m = this.#au.length;
    const k = this.#au.floorIndex(t);
    const r = this.ratio();
    if (m === 0) {
      // No update seen yet: raw counter at the first sample plus the power since then.
      const c0 = this.#c.length ? this.#c.at(0) + this.#offsetJ : 0;
      const e = c0 + r * (w - this.#w.at(0));
      const worst = this.#p.length ? Math.max(this.#p.at(0), this.#lastPowerW) : 0;
      return { energyJ: e, uncertaintyJ: bnd + (worst * this.nominalPeriodNs * 100) / 1e9, settled: false, anchorInterval: -1, fraction: 0, extrapolated: true };
    }
    if (k < 0) {
      // Before the first anchor: back from it by the scaled power integral (fixed once the anchor exists).
      const u0w = this.#aw.at(0);
      const dW = u0w - w;
      const jU = this.#t.floorIndex(this.#au.at(0));
      const sigma = bnd + this.ratioSpread() * Math.abs(dW) + 2 * Math.sqrt(Math.max(0, this.#varianceAt(jU) - this.#varianceAt(j))) + (this.#ap.at(0) * this.#ah.at(0)) / 1e9;
      return { energyJ: this.#ae.at(0) - r * dW, uncertaintyJ: sigma, settled: true, anchorInterval: -1, fraction: 1, extrapolated: false };
    }
    const ek = this.#ae.at(k);
    const wk = this.#aw.at(k);
    const jk = this.#t.floorIndex(this.#au.at(k));
    const hk = (this.#ap.at(k) * this.#ah.at(k)) / 1e9;
    if (k === m - 1) {
      const dW = w - wk;
      const sigma = bnd + this.ratioSpread() * Math.abs(dW) + 2 * Math.sqrt(Math.max(0, this.#varianceAt(j) - this.#varianceAt(jk))) + hk;
      return { energyJ: ek + r * dW, uncertaintyJ: sigma, settled: false, anchorInterval: k, fraction: 0, extrapolated: true };
    }
    const ek1 = this.#ae.at(k + 1);
    const wk1 = this.#aw.at(k + 1);
    const jk1 = this.#t.floorIndex(this.#au.at(k + 1));
    const hk1 = (this.#ap.at(k + 1) * this.#ah.at(k + 1)) / 1e9;
    const span = wk1 - wk;
    let f: number;
    if (span > 1e-12) f = (w - wk) / span;
    else f = (t - this.#au.at(k)) / (this.#au.at(k + 1) - this.#au.at(k));
    f = Math.min(1, Math.max(0, f));
    const vBefore = Math.max(0, this.#varianceAt(j) - this.#varianceAt(jk));
    const vAfter = Math.max(0, this.#varianceAt(jk1) - this.#varianceAt(j));
    let sigma = bnd + 2 * Math.sqrt((1 - f) * (1 - f) * vBefore + f * f * vAfter) + (1 - f) * hk + f * hk1;
    // A 1 s average says little about the power's shape inside a 100 ms counter step:
    // the only bound left is that E(t) lies between the two anchors.
    if (this.averagedPower) sigma = Math.max(sigma, Math.max(f, 1 - f) * (ek1 - ek));
    return { energyJ: ek + f * (ek1 - ek), uncertaintyJ: sigma, settled: true, anchorInterval: k, fraction: f, extrapolated: false };
  }

  /**
   * Energy of [a, b] (ns rel). When both ends fall in the same anchor interval the
   * interpolation errors largely cancel, and the uncertainty says so.
   */
  interval(a: number, b: number, pa: PointEstimate = this.point(a), pb: PointEstimate = this.point(b)): IntervalEstimate {
    const energyJ = pb.energyJ - pa.energyJ;
    const flags: string[] = [];
    let uncertaintyJ = pa.uncertaintyJ + pb.uncertaintyJ;
    let method: EnergyMethod;
    if (!this.hasCounter) {
      method = 'power-integration';
      flags.push('no-energy-counter');
      // No counter to anchor to: the power sensor's own accuracy dominates (NVML: about +-5%).
      uncertaintyJ = pa.uncertaintyJ + pb.uncertaintyJ + 0.05 * Math.abs(energyJ) + this.#interior(a, b);
    } else {
      const anchorsInside = this.#au.length ? this.#au.floorIndex(b) - this.#au.floorIndex(a) : 0;
      method = anchorsInside >= 2 ? 'energy-counter' : 'counter-interpolated';
      if (!this.averagedPower && pa.anchorInterval !== null && pa.anchorInterval === pb.anchorInterval && pa.settled && pb.settled && pa.anchorInterval >= 0) {
        uncertaintyJ = this.#sameInterval(a, b, pa.anchorInterval);
      }
    }
    if (this.averagedPower) {
      flags.push('averaged-power');
      if (!this.hasCounter) uncertaintyJ += this.#averagedSpread(a, b);
    }
    if (pa.extrapolated || pb.extrapolated) flags.push('extrapolated');
    if (this.resets.some(([f, t]) => t >= a && f <= b)) {
      flags.push('counter-reset');
      uncertaintyJ += this.ratioSpread() * Math.abs(energyJ);
    }
    if (this.gaps.some(([f, t]) => t >= a && f <= b)) flags.push('sampling-gap');
    return { energyJ, uncertaintyJ, method, settled: pa.settled && pb.settled, flags };
  }

  /** Without a counter, a 1 s average can hide a step up to the range it shows around [a, b] times 1 s. */
  #averagedSpread(a: number, b: number): number {
    const w = 1e9;
    let lo = Infinity;
    let hi = -Infinity;
    const i0 = Math.max(0, this.#t.floorIndex(a - w));
    const i1 = this.#t.floorIndex(b + w);
    for (let i = i0; i <= i1; i++) {
      lo = Math.min(lo, this.#p.at(i));
      hi = Math.max(hi, this.#p.at(i));
    }
    return hi > lo ? (hi - lo) * Math.min(1, (b - a) / w) * 2 : 0;
  }

  /** Number of counter updates inside [a, b] (ns rel). */
  anchorsBetween(a: number, b: number): number {
    return this.#au.length ? this.#au.floorIndex(b) - this.#au.floorIndex(a) : 0;
  }

  /** Flags that apply to anything measured in [a, b]: counter resets, sampling gaps, the power source. */
  flagsBetween(a: number, b: number): string[] {
    const flags: string[] = [];
    if (!this.hasCounter) flags.push('no-energy-counter');
    if (this.averagedPower) flags.push('averaged-power');
    if (this.resets.some(([f, t]) => t >= a && f <= b)) flags.push('counter-reset');
    if (this.gaps.some(([f, t]) => t >= a && f <= b)) flags.push('sampling-gap');
    return flags;
  }

  #interior(a: number, b: number): number {
    const ja = this.#t.floorIndex(a);
    const jb = this.#t.floorIndex(b);
    return 2 * Math.sqrt(Math.max(0, this.#varianceAt(jb) - this.#varianceAt(ja)));
  }

  #sameInterval(a: number, b: number, k: number): number {
    const ia = this.#integral(a);
    const ib = this.#integral(b);
    const wk = this.#aw.at(k);
    const wk1 = this.#aw.at(k + 1);
    const span = wk1 - wk;
    const g = span > 1e-12 ? Math.min(1, Math.max(0, (ib.w - ia.w) / span)) : 0;
    const jk = this.#t.floorIndex(this.#au.at(k));
    const jk1 = this.#t.floorIndex(this.#au.at(k + 1));
    const vIn = Math.max(0, this.#varianceAt(ib.j) - this.#varianceAt(ia.j));
    const vAll = Math.max(0, this.#varianceAt(jk1) - this.#varianceAt(jk));
    const anchors = (this.#ap.at(k) * this.#ah.at(k) + this.#ap.at(k + 1) * this.#ah.at(k + 1)) / 1e9;
    return ia.bnd + ib.bnd + 2 * Math.sqrt((1 - g) * (1 - g) * vIn + g * g * Math.max(0, vAll - vIn)) + g * anchors;
  }

  /** Retained samples in [fromNs, toNs] (absolute monotonic ns). */
  samples(fromNs?: bigint, toNs?: bigint): TimelineSamples {
    const from = fromNs === undefined ? -Infinity : Number(fromNs - this.originNs);
    const to = toNs === undefined ? Infinity : Number(toNs - this.originNs);
    let i0 = this.#t.floorIndex(from);
    if (i0 < 0 || this.#t.at(i0) < from) i0++;
    const i1 = this.#t.floorIndex(to) + 1;
    const n = Math.max(0, i1 - i0);
    const tNs = new BigInt64Array(n);
    const t = this.#t.slice(i0, i0 + n);
    for (let i = 0; i < n; i++) tNs[i] = this.originNs + BigInt(Math.round(t[i]!));
    return { gpu: this.gpu, tNs, powerW: this.#p.slice(i0, i0 + n), counterJ: this.#c.slice(i0, i0 + n) };
  }
}
