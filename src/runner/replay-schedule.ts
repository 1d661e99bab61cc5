/**
 * A recording's schedule for the replay: its runs and blocks as the recording holds them, and the
 * clock that plays them (recording instant r at epochNs + (r - startNs) on this machine).
 */
import type { RecordedPhase } from '../sim/recording.js';

/** Lead-in before the first replayed phase, so that the sampler has readings before it, ns. */
export const LEAD_IN_NS = 1_000_000_000n;

/** Waits until the monotonic clock reaches `atNs`: a timer while far, then a short spin. */
export async function waitUntil(atNs: bigint): Promise<void> {
  for (;;) {
    const leftNs = atNs - process.hrtime.bigint();
    if (leftNs <= 0n) return;
    if (leftNs > 3_000_000n) await new Promise((resolve) => setTimeout(resolve, Number(leftNs - 2_000_000n) / 1e6));
    else
      while (process.hrtime.bigint() < atNs) {
        // the last 3 ms: spin, for a boundary within microseconds of the recorded one
      }
  }
}

/** The `run` section's phases, by run number, then by query, in order. */
export function runsOf(phases: RecordedPhase[]): Map<number, Map<number, RecordedPhase[]>> {
  const runs = new Map<number, Map<number, RecordedPhase[]>>();
  for (const p of phases.filter((x) => x.section === 'run')) {
    const queries = runs.get(p.run) ?? new Map<number, RecordedPhase[]>();
    runs.set(p.run, queries);
    queries.set(p.query, [...(queries.get(p.query) ?? []), p]);
  }
  return runs;
}

/** The recording's schedule on this machine's clock: recording instant r plays at epochNs + (r - startNs). */
export interface Schedule {
  epochNs: bigint;
  startNs: bigint;
}

export const playAt = (schedule: Schedule, recordedNs: bigint): bigint => schedule.epochNs + (recordedNs - schedule.startNs);

/** One phase of a block: from its first call's start to its last call's end, on the recording's clock. */
export interface BlockSpan {
  phase: string;
  t0Ns: bigint;
  t1Ns: bigint;
}

/** The `block` section: per block number, each phase's span, in the order they ran. */
export function blocksOf(phases: RecordedPhase[]): Array<{ block: number; spans: BlockSpan[] }> {
  const blocks = new Map<number, Map<string, BlockSpan>>();
  for (const p of phases.filter((x) => x.section === 'block')) {
    const spans = blocks.get(p.run) ?? new Map<string, BlockSpan>();
    blocks.set(p.run, spans);
    const span = spans.get(p.phase);
    if (!span) spans.set(p.phase, { phase: p.phase, t0Ns: p.t0Ns, t1Ns: p.t1Ns });
    else {
      if (p.t0Ns < span.t0Ns) span.t0Ns = p.t0Ns;
      if (p.t1Ns > span.t1Ns) span.t1Ns = p.t1Ns;
    }
  }
  return [...blocks.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([block, spans]) => ({ block, spans: [...spans.values()].sort((a, b) => (a.t0Ns < b.t0Ns ? -1 : 1)) }));
}
