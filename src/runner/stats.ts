/** Statistics across runs: mean, standard deviation, Student-t 95% interval, coefficient of variation. */
import type { RunStatistic } from '../formats/report-types.js';

// Two-sided 95% Student t quantiles (t_{0.975, df}) for df = 1..30.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** t_{0.975} for `df` degrees of freedom (a Cornish-Fisher expansion beyond 30). */
export function tQuantile975(df: number): number {
  if (!(df >= 1)) return NaN;
  if (df <= 30) return T975[Math.floor(df) - 1]!;
  const z = 1.959964;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  return z + g1 / df + g2 / (df * df);
}

/** A statistic over runs: the report's own type. */
export type Summary = RunStatistic;

export function summarize(values: number[]): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, sd: NaN, ci95: [NaN, NaN], cv: null, min: NaN, max: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (tQuantile975(n - 1) * sd) / Math.sqrt(n) : 0;
  return { n, mean, sd, ci95: [mean - half, mean + half], cv: mean !== 0 ? sd / Math.abs(mean) : null, min: Math.min(...values), max: Math.max(...values) };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
