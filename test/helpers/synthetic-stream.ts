/**
 * Synthetic sample streams for the estimator's unit tests: a known power trace, read by a chosen
 * sensor model and counter, sampled at a chosen rate with deterministic jitter. No wall clock,
 * no simulator: the same input always gives the same stream.
 */
import { PowerTimeline } from '../../src/timeline/timeline.js';

const MS = 1e6;

/** A deterministic pseudo-random generator in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A piecewise-constant power trace: `levels[i]` W from `startsNs[i]` on (the first from 0). */
export class PowerTrace {
  readonly startsNs: number[] = [0];
  readonly levelsW: number[];

  constructor(initialW: number) {
    this.levelsW = [initialW];
  }

  set(fromNs: number, powerW: number): void {
    this.startsNs.push(fromNs);
    this.levelsW.push(powerW);
  }

  powerAt(tNs: number): number {
    let i = this.startsNs.length - 1;
    while (i > 0 && this.startsNs[i]! > tNs) i--;
    return this.levelsW[i]!;
  }

  /** The exact integral over [a, b], J. */
  energyJ(a: number, b: number): number {
    let sumJ = 0;
    for (let i = 0; i < this.startsNs.length; i++) {
      const from = Math.max(a, this.startsNs[i]!);
      const to = Math.min(b, i + 1 < this.startsNs.length ? this.startsNs[i + 1]! : Infinity);
      if (to > from) sumJ += (this.levelsW[i]! * (to - from)) / 1e9;
    }
    return sumJ;
  }
}

export interface StreamOptions {
  /** `instant`: the true power at each sample; `periodic`: refreshed every 100 ms, each value the mean of the 25 ms before. */
  sensor: 'instant' | 'periodic';
  sampleMs: number;
  durationMs: number;
  /** The counter's update period and phase, ms (it holds the exact integral at each update). */
  counterPeriodMs?: number;
  counterPhaseMs?: number;
  /** The periodic sensor's refresh phase, ms. */
  refreshPhaseMs?: number;
  seed?: number;
  /** Appends only the samples due after this instant, ms: a stream fed in parts, the same as whole. */
  fromMs?: number;
}

/** Reads `trace` as the sampler would and appends it to `timeline` in batches of 50 samples. */
export function feedTimeline(timeline: PowerTimeline, trace: PowerTrace, options: StreamOptions): void {
  const random = seededRandom(options.seed ?? 1);
  const counterPeriodNs = (options.counterPeriodMs ?? 100) * MS;
  const counterPhaseNs = (options.counterPhaseMs ?? 37) * MS;
  const refreshNs = 100 * MS;
  const refreshPhaseNs = (options.refreshPhaseMs ?? 61) * MS;
  const times: number[] = [];
  for (let t = 0; t <= options.durationMs * MS; t += options.sampleMs * MS) {
    const jitterNs = random() * 0.2 * options.sampleMs * MS;
    if (options.fromMs === undefined || t > options.fromMs * MS) times.push(t + jitterNs);
  }
  const reading = (t: number): number => {
    if (options.sensor === 'instant') return trace.powerAt(t);
    const lastRefresh = Math.floor((t - refreshPhaseNs) / refreshNs) * refreshNs + refreshPhaseNs;
    return trace.energyJ(lastRefresh - 25 * MS, lastRefresh) / 0.025;
  };
  const counter = (t: number): number => {
    const lastUpdate = Math.floor((t - counterPhaseNs) / counterPeriodNs) * counterPeriodNs + counterPhaseNs;
    return 1000 + trace.energyJ(0, Math.max(0, lastUpdate));
  };
  for (let from = 0; from < times.length; from += 50) {
    const batch = times.slice(from, from + 50);
    timeline.append(
      BigInt64Array.from(batch, (t) => BigInt(Math.round(t))),
      Float64Array.from(batch, (t) => counter(t) * 1000),
      Float64Array.from(batch, (t) => reading(t) * 1000),
      new Int32Array(batch.length),
      new Int32Array(batch.length),
    );
  }
}

export { MS };
