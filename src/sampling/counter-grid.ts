/**
 * Where a counter update happened. The sampler sees the counter change between two reads
 * (tPrev, t]; counters update on a regular grid (about every 100 ms), so a least-squares fit of
 * period and phase over recent steps (their windows randomized by the sampler's dither) predicts
 * the instant far better than the window's midpoint. The value read at t is the counter as of the
 * last update before t, so the prediction is the last grid instant in the window (a late read's
 * window can hold two). It is used when the fit is tight and an instant falls inside the window;
 * otherwise the midpoint, with half the window as its uncertainty.
 */

/** An update instant and the half-width of its uncertainty, ns. */
export interface UpdateInstant {
  atNs: number;
  halfWidthNs: number;
}

const KEPT_STEPS = 64;
const MIN_STEPS_TO_FIT = 5;
/** A window this many times wider than the typical one (a stalled read) is not learnt from. */
const WIDE_WINDOW_FACTOR = 3;

export class CounterGridFit {
  readonly #windowMidsNs: number[] = [];
  readonly #windowWidthsNs: number[] = [];

  /** Places the update seen between reads at `tPrevNs` and `tNs`, and learns from it. */
  place(tPrevNs: number, tNs: number): UpdateInstant {
    const mid = (tPrevNs + tNs) / 2;
    const half = (tNs - tPrevNs) / 2;
    const fallback = { atNs: mid, halfWidthNs: half };
    const mids = this.#windowMidsNs;
    const earlier = mids.length;
    const grid = earlier >= MIN_STEPS_TO_FIT ? fitGrid(mids) : null;
    this.#learn(mid, 2 * half);
    if (!grid) return fallback;
    // A periodic counter sampled with dither scatters midpoints by about half a typical window; more means it is not periodic.
    if (grid.residualSdNs > Math.min(half, this.#typicalWidthNs() / 2) * 1.2) return fallback;
    const lastInWindow = grid.originNs + Math.floor((tNs - grid.originNs) / grid.periodNs) * grid.periodNs;
    if (lastInWindow <= tPrevNs) return fallback;
    return { atNs: lastInWindow, halfWidthNs: Math.min(half, Math.max(100_000, (3 * grid.residualSdNs) / Math.sqrt(earlier))) };
  }

  /** Keeps the window's midpoint for the fit, unless the window is far wider than usual. */
  #learn(midNs: number, widthNs: number): void {
    const typical = this.#typicalWidthNs();
    this.#windowWidthsNs.push(widthNs);
    if (this.#windowWidthsNs.length > KEPT_STEPS) this.#windowWidthsNs.shift();
    if (this.#windowWidthsNs.length > MIN_STEPS_TO_FIT && widthNs > WIDE_WINDOW_FACTOR * typical) return;
    this.#windowMidsNs.push(midNs);
    if (this.#windowMidsNs.length > KEPT_STEPS) this.#windowMidsNs.shift();
  }

  /** The median width of recent windows, ns (Infinity before any). */
  #typicalWidthNs(): number {
    const widths = [...this.#windowWidthsNs].sort((a, b) => a - b);
    return widths.length ? widths[widths.length >> 1]! : Infinity;
  }
}

/** Least-squares period and origin of instants that lie near a regular grid; null if degenerate. */
export function fitGrid(instantsNs: readonly number[]): { periodNs: number; originNs: number; residualSdNs: number } | null {
  const n = instantsNs.length;
  if (n < 2) return null;
  const spacing = instantsNs
    .slice(1)
    .map((m, i) => m - instantsNs[i]!)
    .sort((a, b) => a - b);
  const roughPeriod = spacing[spacing.length >> 1]!;
  if (!(roughPeriod > 0)) return null;
  const first = instantsNs[0]!;
  let sumIndex = 0;
  let sumT = 0;
  let sumIndex2 = 0;
  let sumIndexT = 0;
  for (const t of instantsNs) {
    const index = Math.round((t - first) / roughPeriod);
    sumIndex += index;
    sumT += t;
    sumIndex2 += index * index;
    sumIndexT += index * t;
  }
  const det = n * sumIndex2 - sumIndex * sumIndex;
  if (det <= 0) return null;
  const periodNs = (n * sumIndexT - sumIndex * sumT) / det;
  const originNs = (sumT - periodNs * sumIndex) / n;
  let squares = 0;
  for (const t of instantsNs) {
    const r = t - (originNs + Math.round((t - originNs) / periodNs) * periodNs);
    squares += r * r;
  }
  return { periodNs, originNs, residualSdNs: Math.sqrt(squares / Math.max(1, n - 2)) };
}
