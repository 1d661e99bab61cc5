/**
 * A remote GPU's energy over a window, from its energy counter as Prometheus scraped it: the
 * counter is interpolated at the window's two edges between the scrapes around each, and the
 * edge's half-width bounds where it can have been then (no lower than the scrape before, no higher
 * than the scrape after), widened by the time the edge itself is uncertain by (the clocks' skew and
 * the counter's own update period) at the counter's rate there. A drop of the counter is a reset,
 * counted as Prometheus counts it (the value after the drop is energy since 0); the energy between
 * the last scrape before the reset and the reset is lost, so a reset is always reported.
 */

/** One raw sample: Prometheus's timestamp (the scrape's start, Unix ms) and the counter's value, J. */
export interface CounterSample {
  timeMs: number;
  valueJ: number;
}

/** How the window's edges are placed on the samples' clock. */
export interface EdgeTiming {
  /**
   * How long before the scrape's timestamp the value belongs to, on average, ms: half the counter's
   * update period (NVML's counter steps about every 100 ms, so a scrape reads energy up to 0 to
   * 100 ms earlier).
   */
  counterLagMs: number;
  /** How far the window's edges may be off on the samples' clock, ms: the clock-skew assumption plus the lag's spread. */
  edgeUncertaintyMs: number;
}

/** A counter's energy over a window, or why it has none. */
export interface WindowEnergy {
  energyJ: number | null;
  /** Half-width of where the energy can be, J (null with the energy). */
  uncertaintyJ: number | null;
  /** Drops of the counter inside the window (each loses the energy between a scrape and the reset). */
  resets: number;
  /** Why the energy is null: no scrape before the window, or none after it yet. */
  reason: string | null;
  /** The median time between scrapes, s, or null with fewer than two samples. */
  scrapeIntervalS: number | null;
}

/** The counter made monotonic across drops: each drop adds the value before it, as Prometheus's increase() does. */
export function unwrapResets(samples: CounterSample[]): { samples: CounterSample[]; resetTimesMs: number[] } {
  const unwrapped: CounterSample[] = [];
  const resetTimesMs: number[] = [];
  let offsetJ = 0;
  for (const [i, sample] of samples.entries()) {
    if (i > 0 && sample.valueJ < samples[i - 1]!.valueJ) {
      offsetJ += samples[i - 1]!.valueJ;
      resetTimesMs.push(sample.timeMs);
    }
    unwrapped.push({ timeMs: sample.timeMs, valueJ: sample.valueJ + offsetJ });
  }
  return { samples: unwrapped, resetTimesMs };
}

/** The median of the gaps between consecutive samples, s. */
export function medianIntervalS(samples: CounterSample[]): number | null {
  const gaps = samples.slice(1).map((s, i) => s.timeMs - samples[i]!.timeMs);
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  const mid = Math.floor(gaps.length / 2);
  return (gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2) / 1000;
}

/** The counter at an instant (ms, on the values' own time), with its half-width; null outside the samples. */
export function counterAt(samples: CounterSample[], timeMs: number, edgeUncertaintyMs: number): { valueJ: number; uncertaintyJ: number } | null {
  const after = samples.findIndex((s) => s.timeMs >= timeMs);
  if (after < 0) return null;
  if (samples[after]!.timeMs === timeMs) {
    return { valueJ: samples[after]!.valueJ, uncertaintyJ: rateAround(samples, after) * edgeUncertaintyMs };
  }
  if (after === 0) return null;
  const before = samples[after - 1]!;
  const next = samples[after]!;
  const rateJPerMs = (next.valueJ - before.valueJ) / (next.timeMs - before.timeMs);
  const valueJ = before.valueJ + rateJPerMs * (timeMs - before.timeMs);
  // Where the counter can be between the two scrapes, and the edge's own time uncertainty at its rate.
  const boundJ = Math.max(valueJ - before.valueJ, next.valueJ - valueJ);
  return { valueJ, uncertaintyJ: boundJ + rateJPerMs * edgeUncertaintyMs };
}

/** The counter's highest rate over the intervals beside sample `index`, J/ms. */
function rateAround(samples: CounterSample[], index: number): number {
  const rate = (a: number, b: number) => (samples[b]!.valueJ - samples[a]!.valueJ) / (samples[b]!.timeMs - samples[a]!.timeMs);
  const rates = [index > 0 ? rate(index - 1, index) : 0, index + 1 < samples.length ? rate(index, index + 1) : 0];
  return Math.max(...rates);
}

/**
 * The energy a counter gained over [startMs, endMs] (the window on the samples' clock), from its
 * samples in time order. Null, with the reason, unless a scrape lies at or before the start and one
 * at or after the end.
 */
export function windowEnergy(samples: CounterSample[], startMs: number, endMs: number, timing: EdgeTiming): WindowEnergy {
  const scrapeIntervalS = medianIntervalS(samples);
  // A sample's value belongs, on average, to counterLagMs before its timestamp.
  const shifted = samples.map((s) => ({ timeMs: s.timeMs - timing.counterLagMs, valueJ: s.valueJ }));
  const { samples: unwrapped, resetTimesMs } = unwrapResets(shifted);
  // The resets that touch the window: at a scrape after the one before its start, up to the one after its end.
  const fromMs = unwrapped.findLast((s) => s.timeMs <= startMs)?.timeMs ?? startMs;
  const toMs = unwrapped.find((s) => s.timeMs >= endMs)?.timeMs ?? endMs;
  const resets = resetTimesMs.filter((t) => t > fromMs && t <= toMs).length;
  const missing = (reason: string): WindowEnergy => ({ energyJ: null, uncertaintyJ: null, resets, reason, scrapeIntervalS });
  if (unwrapped.length === 0) return missing('no samples');
  const start = counterAt(unwrapped, startMs, timing.edgeUncertaintyMs);
  if (start === null) {
    return missing(`no scrape before the window's start (the first is ${((unwrapped[0]!.timeMs - startMs) / 1000).toFixed(3)} s after it)`);
  }
  const end = counterAt(unwrapped, endMs, timing.edgeUncertaintyMs);
  if (end === null) {
    return missing(`no scrape after the window's end (the last is ${((endMs - unwrapped.at(-1)!.timeMs) / 1000).toFixed(3)} s before it)`);
  }
  return { energyJ: end.valueJ - start.valueJ, uncertaintyJ: start.uncertaintyJ + end.uncertaintyJ, resets, reason: null, scrapeIntervalS };
}
