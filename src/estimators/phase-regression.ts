/**
 * Each phase's typical power, recovered statistically from the energy counter alone.
 *
 * On a coarse power sensor nothing below its ~100 ms refresh is visible, but the counter's steps
 * are: every step k gives one equation, energy_k = sum over labels of power_label x time_label,k,
 * where time_label,k is how long each phase (or no phase, label '') ran inside the step. Over
 * many steps whose mix of phases differs, least squares recovers each label's power, with a
 * standard error from the residuals. Steps are kept in a sliding window.
 */

export interface LabelPower {
  /** Least-squares power of the label, W. */
  powerW: number;
  /** Its standard error, W (infinite where the steps cannot separate it from the others). */
  standardErrorW: number;
}

export interface RegressionFit {
  powers: Map<string, LabelPower>;
  /** Standard deviation of one step's residual, J. */
  residualSdJ: number;
  /** Steps the fit used. */
  steps: number;
}

import { isCovariateLabel } from './coarse-step.js';

interface Step {
  timeByLabelS: Map<string, number>;
  energyJ: number;
}

/** Solves A x = b for a symmetric positive definite A (in place, Gauss-Jordan); null if singular. */
export function solveSymmetric(matrix: number[][], rhs: number[]): { x: number[]; inverse: number[][] } | null {
  const n = rhs.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)), rhs[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    const scale = Math.max(...matrix.map((row) => Math.abs(row[col]!)), 1e-300);
    if (Math.abs(a[pivot]![col]!) < 1e-12 * scale) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    for (let j = 0; j < 2 * n + 1; j++) a[col]![j]! /= p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]!;
      if (f === 0) continue;
      for (let j = 0; j < 2 * n + 1; j++) a[r]![j]! -= f * a[col]![j]!;
    }
  }
  return { x: a.map((row) => row[2 * n]!), inverse: a.map((row) => row.slice(n, 2 * n)) };
}

export class PhasePowerRegression {
  readonly maxSteps: number;
  readonly #steps: Step[] = [];
  #cache: RegressionFit | null = null;
  #rangeW: { minW: number; maxW: number } | null = null;

  constructor(maxSteps = 1200) {
    this.maxSteps = maxSteps;
  }

  /**
   * The range every label's power must lie in (the GPU's draw: about idle to its limit). A label
   * the unconstrained fit puts outside it is held at the nearer edge and the others refitted; its
   * standard error then covers the whole range (the steps could not place it).
   */
  setRange(minW: number, maxW: number): void {
    if (this.#rangeW?.minW === minW && this.#rangeW?.maxW === maxW) return;
    this.#rangeW = { minW, maxW };
    this.#cache = null;
  }

  get steps(): number {
    return this.#steps.length;
  }

  /** One counter step: seconds each label ran inside it, and the step's energy, J. */
  addStep(timeByLabelS: Map<string, number>, energyJ: number): void {
    if (!(energyJ >= 0) || timeByLabelS.size === 0) return;
    this.#steps.push({ timeByLabelS, energyJ });
    if (this.#steps.length > this.maxSteps) this.#steps.shift();
    this.#cache = null;
  }

  /** The least-squares fit over the kept steps, or null while it is not determined. */
  fit(): RegressionFit | null {
    if (this.#cache) return this.#cache;
    const labels = [...new Set(this.#steps.flatMap((s) => [...s.timeByLabelS.keys()]))];
    if (labels.length === 0 || this.#steps.length < 2 * labels.length + 2) return null;
    const held = new Map<string, number>();
    // Active set: hold out-of-range labels at the range's edge, one at a time, and refit the rest.
    for (let round = 0; round < labels.length; round++) {
      const free = labels.filter((l) => !held.has(l));
      const fit = this.#solve(free, held);
      if (!fit) return null;
      const range = this.#rangeW;
      // Only powers are bounded: a covariate's slope (W per thousand tokens) may take any sign.
      const outside = range
        ? free.filter((l) => {
            if (isCovariateLabel(l)) return false;
            const w = fit.powers.get(l)!.powerW;
            return w < range.minW || w > range.maxW;
          })
        : [];
      if (outside.length === 0 || free.length === 1) return (this.#cache = this.#widenForHeld(fit, free, held));
      // Hold the worst offender first: the others move once it is fixed.
      const worst = outside.reduce((a, b) => (this.#excess(fit, a) >= this.#excess(fit, b) ? a : b));
      held.set(worst, Math.min(range!.maxW, Math.max(range!.minW, fit.powers.get(worst)!.powerW)));
    }
    return null;
  }

  /**
   * A held label's power is only known to lie in the range, so the others' estimates depend on
   * where in it: each free label's standard error grows by half the spread of its estimate between
   * the held labels at the bottom and at the top of the range (two of them then span it).
   */
  #widenForHeld(fit: RegressionFit, free: string[], held: Map<string, number>): RegressionFit {
    const range = this.#rangeW;
    if (held.size === 0 || !range) return fit;
    const at = (w: number) => this.#solve(free, new Map([...held.keys()].map((l) => [l, w])));
    const low = at(range.minW);
    const high = at(range.maxW);
    const powers = new Map(fit.powers);
    for (const label of free) {
      const own = fit.powers.get(label);
      if (!own) continue;
      const a = low?.powers.get(label)?.powerW;
      const b = high?.powers.get(label)?.powerW;
      const spread = a === undefined || b === undefined ? Infinity : Math.abs(b - a) / 2;
      powers.set(label, { powerW: own.powerW, standardErrorW: own.standardErrorW + spread });
    }
    return { ...fit, powers };
  }

  #excess(fit: RegressionFit, label: string): number {
    const w = fit.powers.get(label)!.powerW;
    return Math.max(this.#rangeW!.minW - w, w - this.#rangeW!.maxW);
  }

  /** Least squares for the free labels, with the held labels' energy taken out of each step. */
  #solve(allLabels: string[], held: Map<string, number>): RegressionFit | null {
    // A column that is zero in every step (a covariate that never moved) cannot be fitted.
    const labels = allLabels.filter((l) => this.#steps.some((s) => (s.timeByLabelS.get(l) ?? 0) !== 0));
    const m = labels.length;
    const n = this.#steps.length;
    const column = new Map(labels.map((l, i) => [l, i]));
    const xtx = labels.map(() => new Array<number>(m).fill(0));
    const xty = new Array<number>(m).fill(0);
    const energyLeft = (s: Step) => {
      let e = s.energyJ;
      for (const [l, t] of s.timeByLabelS) if (held.has(l)) e -= held.get(l)! * t;
      return e;
    };
    for (const s of this.#steps) {
      const e = energyLeft(s);
      for (const [la, ta] of s.timeByLabelS) {
        const i = column.get(la);
        if (i === undefined) continue;
        xty[i]! += ta * e;
        for (const [lb, tb] of s.timeByLabelS) {
          const j = column.get(lb);
          if (j !== undefined) xtx[i]![j]! += ta * tb;
        }
      }
    }
    const solved = solveSymmetric(xtx, xty);
    if (!solved) return null;
    let rss = 0;
    for (const s of this.#steps) {
      let predicted = 0;
      for (const [l, t] of s.timeByLabelS) {
        const i = column.get(l);
        if (i !== undefined) predicted += solved.x[i]! * t;
      }
      rss += (energyLeft(s) - predicted) ** 2;
    }
    const residualVar = rss / Math.max(1, n - m);
    const powers = new Map<string, LabelPower>();
    labels.forEach((l, i) => {
      const variance = residualVar * solved.inverse[i]![i]!;
      powers.set(l, { powerW: solved.x[i]!, standardErrorW: variance >= 0 ? Math.sqrt(variance) : Infinity });
    });
    // A held label is known only to lie in the range: a half-range standard error, two of which span it.
    const range = this.#rangeW;
    for (const [l, w] of held) powers.set(l, { powerW: w, standardErrorW: range ? (range.maxW - range.minW) / 4 : Infinity });
    return (this.#cache = { powers, residualSdJ: Math.sqrt(residualVar), steps: n });
  }
}
