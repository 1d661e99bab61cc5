/** Means of figures: of numbers that are all there, or of figures any of which may be missing. */

/** The arithmetic mean (NaN for no values: callers pass at least one). */
export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The mean when every value is a finite number, else null (a missing figure is never read as 0); null for no values. */
export function meanIfAll(values: ReadonlyArray<number | null | undefined>): number | null {
  if (values.length === 0 || !values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) return null;
  return mean(values);
}
