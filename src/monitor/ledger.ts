/**
 * Settled boundaries, scope records and the run ledger's attribution sweep.
 * Energy of an elementary interval between consecutive boundaries goes to the
 * phase scopes open in it, shared equally when several overlap (concurrent
 * requests), or to "unattributed" when none is; the parts add up to the total.
 */
import type { CpuPoint } from '../cpu/cpu-sampling.js';
import type { PointEstimate } from '../estimators/estimate.js';
import type { Measurement, PhaseTotal } from './types.js';

/** An instant whose per-GPU energy estimate is fixed once every GPU's counter has updated past it. */
export interface Boundary {
  tNs: bigint;
  /** ns relative to the monitor's origin. */
  t: number;
  /** Per GPU slot: the settled estimate, or null until settled (the array is made when settling starts). */
  points: Array<PointEstimate | null>;
  /** Per GPU slot: true if the GPU was lost before this boundary could be settled. */
  lost: boolean[];
  forced: boolean;
  /** The CPU packages' and DRAM energy here, fixed with the GPUs' (null until then, or without CPU energy). */
  cpu: CpuPoint | null;
  /** True once every GPU's estimate is fixed (or the GPU was lost). */
  settled: boolean;
}

export interface ScopeRecord {
  id: number;
  name: string;
  parentId: number | null;
  queryId: string | null;
  phase: string | null;
  start: Boundary;
  end: Boundary | null;
  outcome: Measurement['outcome'] | null;
  error: Measurement['error'];
  tokens: number | null;
  /** Tokens declared when the phase began (q.phase's counts), used as the regression's covariate. */
  declaredTokens?: number;
  samples: number | null;
  /** A query's phase: the query's scope. The phase's measurement waits until the query has ended, as q.count may still add to it. */
  query?: ScopeRecord;
  /** True once both boundaries are settled. */
  settled: boolean;
  /** The final measurement, computed on first use after settling. */
  final: Measurement | null;
}

export function totalEnergyAt(b: Boundary): number {
  let e = 0;
  for (const p of b.points) e += p ? p.energyJ : NaN;
  return e;
}

export function totalUncertaintyAt(b: Boundary): number {
  let u = 0;
  for (const p of b.points) u += p ? p.uncertaintyJ * p.uncertaintyJ : 0;
  return Math.sqrt(u);
}

/** Splits [start, end]'s energy among the phase scopes (all boundaries settled). */
export function attribute(
  start: Boundary,
  end: Boundary,
  phases: ScopeRecord[],
  energyAt: (b: Boundary) => number = totalEnergyAt,
): { perScopeJ: Map<ScopeRecord, number>; unattributedJ: number } {
  type Event = { b: Boundary; scope: ScopeRecord; open: boolean };
  const events: Event[] = [];
  for (const s of phases) {
    if (!s.end || s.end.t <= start.t || s.start.t >= end.t) continue;
    events.push({ b: s.start.t < start.t ? start : s.start, scope: s, open: true });
    events.push({ b: s.end.t > end.t ? end : s.end, scope: s, open: false });
  }
  events.sort((x, y) => x.b.t - y.b.t || (x.open === y.open ? 0 : x.open ? 1 : -1));
  const perScopeJ = new Map<ScopeRecord, number>();
  const open = new Set<ScopeRecord>();
  let unattributedJ = 0;
  let prev = start;
  const share = (to: Boundary) => {
    const e = energyAt(to) - energyAt(prev);
    if (open.size === 0) unattributedJ += e;
    else for (const s of open) perScopeJ.set(s, (perScopeJ.get(s) ?? 0) + e / open.size);
    prev = to;
  };
  for (const ev of events) {
    if (ev.b !== prev && ev.b.t > prev.t) share(ev.b);
    if (ev.open) open.add(ev.scope);
    else open.delete(ev.scope);
  }
  share(end);
  return { perScopeJ, unattributedJ };
}

export function emptyPhaseTotal(): PhaseTotal {
  return { energyJ: 0, energyWh: 0, uncertaintyJ: 0, count: 0, durationS: 0, tokens: 0, samples: 0, energyPerTokenJ: null, tokenSeconds: 0, cpu: null };
}
