/**
 * A GPU's energy counter as of the latest sample, without reading the counter: the last update the
 * sampler saw plus the power sampled since, scaled by the counter/power ratio learnt over the run.
 * On a real H200 a counter read takes ~3 ms of busy CPU, so readers that want the counter at their
 * own times (the exporter's scrapes) take it from here: at most one counter update old, as a read of
 * the counter itself is (it steps every ~100 ms), or one sparse window old where the sampler reads
 * it sparsely, with the sampled power carrying it since.
 */
import type { PowerTimeline } from './timeline.js';

export interface CounterEstimate {
  /** The counter's value, J, bridged across driver reloads as the monitor's anchors are (a reload seen does not make it fall). */
  counterJ: number;
  /** The same on the raw counter's scale (what NVML would return now, reloads not bridged), J. */
  rawCounterJ: number;
  /** ~95% half-width, J: what the power sampled since the last update leaves uncertain. */
  uncertaintyJ: number;
  /** The instant it holds for: the latest sample's (monotonic ns). */
  atNs: bigint;
  /** How long before that instant the counter's last update seen was placed, ms (0 where it updated at that sample). */
  sinceUpdateMs: number;
}

/** The timeline's counter at its latest sample, or null without a counter or before its first update was seen. */
export function counterAtLastSample(timeline: PowerTimeline, originNs: bigint): CounterEstimate | null {
  if (!timeline.hasCounter || !Number.isFinite(timeline.lastAnchorT) || !Number.isFinite(timeline.lastSampleT)) return null;
  const t = timeline.lastSampleT;
  const point = timeline.point(t);
  if (!Number.isFinite(point.energyJ) || !Number.isFinite(point.uncertaintyJ)) return null;
  return {
    counterJ: point.energyJ,
    rawCounterJ: point.energyJ - timeline.counterOffsetJ,
    uncertaintyJ: point.uncertaintyJ,
    atNs: originNs + BigInt(Math.round(t)),
    sinceUpdateMs: Math.max(0, (t - timeline.lastAnchorT) / 1e6),
  };
}
