/**
 * Energy inside one counter step when the power sensor cannot show the power's shape (a coarse,
 * periodic or averaged sensor): the step's energy is known exactly from the counter, its split
 * is not. The split follows each phase's power learnt by regression (or plain time shares until
 * it is learnt), and the uncertainty is the bound that the GPU's power range and the step's
 * energy allow, which always covers the truth while the power stays in that range.
 */
import type { LabelPower } from './phase-regression.js';

/** One counter step (the interval between two counter updates) and who ran inside it. */
export interface CounterStep {
  startNs: number;
  endNs: number;
  energyJ: number;
  /**
   * The label in force from each instant on (the first at startNs): a phase, '' for none, '*mixed';
   * with the tokens the phase declared, where it did.
   */
  segments: Array<{ fromNs: number; label: string; tokens?: number }>;
}

/** A phase segment's covariate (thousands of tokens above a reference), or null for none. */
export type TokenCovariate = (label: string, tokens: number | undefined) => number | null;

/** The regression column of a phase's token covariate: its power's growth per thousand tokens. */
export const perTokensLabel = (label: string) => `${label}\u0000per-1000-tokens`;
export const isCovariateLabel = (label: string) => label.endsWith('\u0000per-1000-tokens');

const noCovariate: TokenCovariate = () => null;

/** The power range a GPU's draw stays in, W (about idle to the power limit). */
export interface PowerRange {
  minW: number;
  maxW: number;
}

/**
 * How far the energy of `durationS` can be from `energyJ` when the power stays in `range`: the
 * energy lies in [minW t, maxW t] whatever else is known, so no estimate is less sure than that.
 * A cap on an interval's half-width, J (Infinity where the range is unknown).
 */
export function rangeBoundJ(energyJ: number, durationS: number, range: PowerRange): number {
  if (!(range.maxW > 0) || !(durationS >= 0)) return Infinity;
  return Math.max(energyJ - range.minW * durationS, range.maxW * durationS - energyJ);
}

/**
 * Seconds each label ran inside the step: the regression's row. A phase with a token covariate
 * also fills its covariate column with seconds x covariate.
 */
export function labelTimesS(step: CounterStep, covariate: TokenCovariate = noCovariate): Map<string, number> {
  const times = new Map<string, number>();
  const add = (label: string, value: number) => times.set(label, (times.get(label) ?? 0) + value);
  step.segments.forEach((seg, i) => {
    const to = i + 1 < step.segments.length ? step.segments[i + 1]!.fromNs : step.endNs;
    const from = Math.max(seg.fromNs, step.startNs);
    if (to <= from) return;
    add(seg.label, (to - from) / 1e9);
    const x = covariate(seg.label, seg.tokens);
    if (x !== null) add(perTokensLabel(seg.label), ((to - from) / 1e9) * x);
  });
  return times;
}

/** A segment's modelled power: its label's power, plus its covariate's share where fitted, W. */
function segmentPowerW(powers: Map<string, LabelPower> | null, label: string, tokens: number | undefined, covariate: TokenCovariate): number {
  const base = powers?.get(label)?.powerW ?? NaN;
  const x = covariate(label, tokens);
  const slope = x === null ? undefined : powers?.get(perTokensLabel(label))?.powerW;
  return slope === undefined ? base : base + slope * x!;
}

/**
 * The share of a step's energy spent before an instant: each segment weighted by its label's
 * learnt power, or by its duration alone (`time-share`) where any label's power is not known.
 * Built once per step (prefix sums), then answered in O(log n) for each instant.
 */
export class StepSplit {
  readonly model: 'regression' | 'time-share';
  readonly #starts: Float64Array;
  readonly #weights: Float64Array;
  readonly #before: Float64Array; // weighted time before each segment's start
  readonly #total: number;
  readonly #endNs: number;

  constructor(step: CounterStep, powers: Map<string, LabelPower> | null, covariate: TokenCovariate = noCovariate) {
    const n = step.segments.length;
    const weights = step.segments.map((s) => segmentPowerW(powers, s.label, s.tokens, covariate));
    const useModel = weights.every((w) => Number.isFinite(w) && w > 0);
    this.model = useModel ? 'regression' : 'time-share';
    this.#starts = new Float64Array(n);
    this.#weights = new Float64Array(n);
    this.#before = new Float64Array(n);
    this.#endNs = step.endNs;
    let acc = 0;
    step.segments.forEach((seg, i) => {
      const from = Math.max(seg.fromNs, step.startNs);
      const to = i + 1 < n ? step.segments[i + 1]!.fromNs : step.endNs;
      this.#starts[i] = from;
      this.#weights[i] = useModel ? weights[i]! : 1;
      this.#before[i] = acc;
      acc += this.#weights[i]! * Math.max(0, to - from);
    });
    this.#total = acc;
  }

  fractionBefore(tNs: number): number {
    if (this.#total <= 0 || this.#starts.length === 0) return 0;
    let lo = 0;
    let hi = this.#starts.length - 1;
    if (tNs <= this.#starts[0]!) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= tNs) lo = mid;
      else hi = mid - 1;
    }
    const within = Math.max(0, Math.min(tNs, this.#endNs) - this.#starts[lo]!);
    return Math.min(1, Math.max(0, (this.#before[lo]! + this.#weights[lo]! * within) / this.#total));
  }
}

/** How much longer or shorter a piece, and the rest of its step, may really be, s (from the anchors' timing). */
export interface PieceSlack {
  pieceS: number;
  restS: number;
}

/**
 * Bounds on the energy of `pieceS` seconds of a step of `stepS` seconds and `stepJ` joules: the
 * piece drew between minW and maxW, and so did the rest of the step. `stepErrorJ` is how far the
 * step itself may be off (a counter that integrates only sampled windows); `slack`, how far the
 * piece's and the rest's durations may be off where an end is a counter update placed only to
 * within its half-width (a late read). Returns [low, high], J.
 */
export function pieceBoundsJ(
  stepJ: number,
  stepS: number,
  pieceS: number,
  range: PowerRange,
  stepErrorJ = 0,
  slack: PieceSlack = { pieceS: 0, restS: 0 },
): [number, number] {
  const rest = Math.max(0, stepS - pieceS);
  const low = Math.max(range.minW * Math.max(0, pieceS - slack.pieceS), stepJ - stepErrorJ - range.maxW * (rest + slack.restS));
  const high = Math.min(range.maxW * (pieceS + slack.pieceS), stepJ + stepErrorJ - range.minW * Math.max(0, rest - slack.restS));
  // A step outside the range (a counter glitch, or a range too narrow) keeps the wider reading.
  return low <= high ? [low, high] : [Math.min(low, high), Math.max(low, high)];
}

/** An estimate clipped into its bounds, with the half-width that covers both bounds from it. */
export function clipToBounds(estimateJ: number, [low, high]: [number, number]): { energyJ: number; uncertaintyJ: number } {
  const energyJ = Math.min(high, Math.max(low, estimateJ));
  return { energyJ, uncertaintyJ: Math.max(energyJ - low, high - energyJ) };
}
