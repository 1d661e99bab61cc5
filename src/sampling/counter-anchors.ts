/**
 * The energy counter's update instants on one GPU ("anchors"). At each, the cumulative energy is
 * known to the counter's resolution (reset-adjusted), the instant to within a half-width (half a
 * sample interval, less once the update grid is fitted), and the sampled power's integral there
 * is recorded, so that counter and power can be compared step by step.
 */
import { Column } from './columns.js';

export interface Anchor {
  /** The update instant, ns (relative to the timeline's origin). */
  timeNs: number;
  /** Half-width of the instant's uncertainty, ns. */
  halfWidthNs: number;
  /** Cumulative (reset-adjusted) counter, J. */
  energyJ: number;
  /** The sampled power's integral at the instant, J. */
  integralJ: number;
  /** The highest power read around the instant (within its half-width), W: what its timing error is weighed at. */
  powerW: number;
}

/** Counter/power ratios kept for the scale of power extrapolation. */
const KEPT_RATIOS = 32;

export class CounterAnchors {
  readonly #timeNs = new Column();
  readonly #halfWidthNs = new Column();
  readonly #energyJ = new Column();
  readonly #integralJ = new Column();
  readonly #powerW = new Column();
  readonly #ratios: number[] = [];
  #ratioStats: { ratio: number; spread: number } | null = null;
  #offsetJ = 0;

  /** Added to the raw counter after resets, J. */
  get offsetJ(): number {
    return this.#offsetJ;
  }

  /**
   * The raw counter changed from `previousRawJ` to `rawJ`, the update placed at `atNs`: records the
   * anchor. A counter that went backwards was reset (a driver reload): the cumulative curve then
   * continues from the last anchor (else from `origin`, the first retained sample) by the power
   * integral, scaled by the ratio. Returns where a reset bridged from, ns, or null.
   */
  recordUpdate(
    update: { atNs: number; halfWidthNs: number; rawJ: number; previousRawJ: number; integralJ: number; powerW: number },
    origin: { timeNs: number; integralJ: number },
  ): number | null {
    const reset = update.rawJ < update.previousRawJ;
    const last = this.last;
    if (reset) {
      const lastEnergyJ = last ? last.energyJ : update.previousRawJ + this.#offsetJ;
      const lastIntegralJ = last ? last.integralJ : origin.integralJ;
      this.#offsetJ = lastEnergyJ + this.ratio() * (update.integralJ - lastIntegralJ) - update.rawJ;
    }
    this.push(
      { timeNs: update.atNs, halfWidthNs: update.halfWidthNs, energyJ: update.rawJ + this.#offsetJ, integralJ: update.integralJ, powerW: update.powerW },
      reset,
    );
    return reset ? (last ? last.timeNs : origin.timeNs) : null;
  }

  get length(): number {
    return this.#timeNs.length;
  }

  timeNs(k: number): number {
    return this.#timeNs.at(k);
  }

  halfWidthNs(k: number): number {
    return this.#halfWidthNs.at(k);
  }

  energyJ(k: number): number {
    return this.#energyJ.at(k);
  }

  integralJ(k: number): number {
    return this.#integralJ.at(k);
  }

  powerW(k: number): number {
    return this.#powerW.at(k);
  }

  /** The energy anchor k's timing uncertainty can hold: its power times its half-width, J. */
  timingJ(k: number): number {
    return (this.#powerW.at(k) * this.#halfWidthNs.at(k)) / 1e9;
  }

  /** The counter's step from anchor k to k + 1, J. */
  stepJ(k: number): number {
    return this.#energyJ.at(k + 1) - this.#energyJ.at(k);
  }

  /** Index of the last anchor at or before `tNs`, or -1. */
  floorIndex(tNs: number): number {
    return this.#timeNs.floorIndex(tNs);
  }

  /** Number of anchors in (a, b]. */
  between(a: number, b: number): number {
    return this.length ? this.floorIndex(b) - this.floorIndex(a) : 0;
  }

  get last(): Anchor | null {
    const k = this.length - 1;
    if (k < 0) return null;
    return { timeNs: this.timeNs(k), halfWidthNs: this.halfWidthNs(k), energyJ: this.energyJ(k), integralJ: this.integralJ(k), powerW: this.powerW(k) };
  }

  /**
   * Appends the next anchor. Unless it follows a counter reset, the step since the previous
   * anchor adds its counter/power ratio to those the extrapolation scale is taken from.
   */
  push(anchor: Anchor, afterReset: boolean): void {
    const previous = this.last;
    if (previous && !afterReset) {
      const integralStepJ = anchor.integralJ - previous.integralJ;
      if (integralStepJ > 0) {
        this.#ratios.push((anchor.energyJ - previous.energyJ) / integralStepJ);
        if (this.#ratios.length > KEPT_RATIOS) this.#ratios.shift();
        this.#ratioStats = null;
      }
    }
    this.#timeNs.push(anchor.timeNs);
    this.#halfWidthNs.push(anchor.halfWidthNs);
    this.#energyJ.push(anchor.energyJ);
    this.#integralJ.push(anchor.integralJ);
    this.#powerW.push(anchor.powerW);
  }

  /** Counter energy / power integral: the median over recent steps, within [0.5, 2] (1 until known). */
  ratio(): number {
    return this.#stats().ratio;
  }

  /** The ratio's relative spread (~95%: twice the median absolute deviation), at least 2% (5% until known). */
  ratioSpread(): number {
    return this.#stats().spread;
  }

  #stats(): { ratio: number; spread: number } {
    if (this.#ratioStats) return this.#ratioStats;
    const ratios = this.#ratios;
    let ratio = 1;
    let spread = 0.05;
    if (ratios.length >= 2) {
      const sorted = [...ratios].sort((a, b) => a - b);
      ratio = Math.min(2, Math.max(0.5, sorted[sorted.length >> 1]!));
    }
    if (ratios.length >= 4) {
      const deviations = ratios.map((x) => Math.abs(x - ratio)).sort((a, b) => a - b);
      spread = Math.max(0.02, (2 * deviations[deviations.length >> 1]!) / ratio);
    }
    return (this.#ratioStats = { ratio, spread });
  }

  /** Drops the anchors before `tNs`, keeping the last one at or before it. */
  dropBefore(tNs: number): void {
    let keepFrom = 0;
    while (keepFrom + 1 < this.length && this.#timeNs.at(keepFrom + 1) <= tNs) keepFrom++;
    for (const column of this.#columns()) column.dropFront(keepFrom);
  }

  get bytes(): number {
    return this.#columns().reduce((sum, column) => sum + column.bytes, 0);
  }

  #columns(): Column[] {
    return [this.#timeNs, this.#halfWidthNs, this.#energyJ, this.#integralJ, this.#powerW];
  }
}
