/**
 * The settlement queue: boundaries wait until every GPU's counter has updated past them, then
 * their per-GPU estimates are fixed; ended scopes wait until both their boundaries are (and a
 * query's phase until its query has ended). Boundaries settle in creation order, scopes in the
 * order they ended, so each pass stops at the first one still waiting. A boundary still waiting
 * at the settle timeout is forced (extrapolated, flagged `unsettled`) and settled again once the
 * counter has updated past it. Every settled point goes through the monotonicity check.
 */
import type { CpuSampling } from '../cpu/cpu-sampling.js';
import type { Boundary, ScopeRecord } from './ledger.js';
import { MonotonicityCheck } from '../sampling/monotonicity.js';
import type { PowerTimeline } from '../timeline/timeline.js';

/** Placeholders until a boundary starts settling (saves two allocations per boundary on the hot path). */
const EMPTY: Array<null> = [];
const NONE_LOST: boolean[] = [];
/** Settled entries kept at the queue's head before it is compacted. */
const COMPACT_AFTER = 4096;

/** A boundary at `tNs`, `originNs` being the monitor's origin, not yet settling. */
export function newBoundary(tNs: bigint, originNs: bigint): Boundary {
  return { tNs, t: Number(tNs - originNs), points: EMPTY, lost: NONE_LOST, forced: false, cpu: null, settled: false };
}

/** A queue read from `head` on, compacted now and then. */
class Queue<T> {
  items: T[] = [];
  head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  compact(): void {
    if (this.head > COMPACT_AFTER && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

export class Settlement {
  readonly monotonicity = new MonotonicityCheck();
  readonly #timelines: readonly PowerTimeline[];
  readonly #boundaries = new Queue<Boundary>();
  readonly #scopes = new Queue<ScopeRecord>();
  readonly #cpu: CpuSampling | null;
  #forced: Boundary[] = [];

  /** `cpu`: the RAPL zones read beside the GPUs (a boundary then also waits for a read past it), or null. */
  constructor(timelines: readonly PowerTimeline[], cpu: CpuSampling | null = null) {
    this.#timelines = timelines;
    this.#cpu = cpu?.measuring ? cpu : null;
  }

  /** Boundaries still waiting. */
  get pendingBoundaries(): number {
    return this.#boundaries.length;
  }

  addBoundary(b: Boundary): void {
    this.#boundaries.items.push(b);
  }

  addEndedScope(rec: ScopeRecord): void {
    this.#scopes.items.push(rec);
  }

  /**
   * Settles what the samples now allow: boundaries up to the first still waiting (forcing those
   * before `overdueT`, or all with `force`), forced ones the counter has since passed, then the
   * ended scopes whose boundaries have settled (each handed to `onScopeSettled`).
   */
  settle(overdueT: number, force: boolean, onScopeSettled: (rec: ScopeRecord) => void): void {
    const boundaries = this.#boundaries;
    while (boundaries.length > 0) {
      const b = boundaries.items[boundaries.head]!;
      if (!this.#trySettle(b, force || b.t < overdueT)) break;
      boundaries.head++;
    }
    boundaries.compact();
    if (this.#forced.length) this.#forced = this.#forced.filter((b) => !this.#resettle(b));
    const scopes = this.#scopes;
    while (scopes.length > 0) {
      const rec = scopes.items[scopes.head]!;
      if (!rec.start.settled || !rec.end!.settled) break;
      // A query's phase keeps its counts open until the query ends (q.count after the phase).
      if (!force && rec.query !== undefined && rec.query.end === null) break;
      rec.settled = true;
      scopes.head++;
      onScopeSettled(rec);
    }
    scopes.compact();
  }

  /** Fixes a boundary's per-GPU estimates once every counter has updated past it; true when done. */
  #trySettle(b: Boundary, force: boolean): boolean {
    if (b.points === EMPTY) {
      b.points = this.#timelines.map(() => null);
      b.lost = this.#timelines.map(() => false);
    }
    let done = true;
    this.#timelines.forEach((tl, i) => {
      if (b.points[i] || b.lost[i]) return;
      if (tl.lostAt !== null && (b.t >= tl.lostAt || tl.lastAnchorT < b.t)) {
        b.lost[i] = true;
        return;
      }
      // Cheap test first: nothing can settle before data past it has arrived.
      const ready = tl.hasCounter ? tl.lastAnchorT > b.t : tl.lastSampleT >= b.t;
      const point = ready || force ? tl.point(b.t) : null;
      if (!point || (!point.settled && !force)) {
        done = false;
        return;
      }
      b.points[i] = point;
      if (point.settled) this.monotonicity.observeSettled(i, b.t, point.energyJ);
      else if (!b.forced) {
        b.forced = true;
        this.#forced.push(b);
      }
    });
    if (done && this.#cpu !== null && b.cpu === null) {
      // RAPL reads come at the sampler's rate or below it: past the GPUs' counters, or soon after.
      if (this.#cpu.readyAt(b.t) || force) b.cpu = this.#cpu.pointAt(b.t);
      else done = false;
    }
    b.settled = done;
    return done;
  }

  /**
   * A forced boundary's extrapolated points replaced by settled ones where the counter has since
   * updated past it (while its samples are retained); true once none is left, or none can be.
   */
  #resettle(b: Boundary): boolean {
    let done = true;
    this.#timelines.forEach((tl, i) => {
      const point = b.points[i];
      if (!point || point.settled || b.lost[i]) return;
      if (b.t < tl.firstSampleT || tl.lostAt !== null) return;
      const settled = tl.lastAnchorT > b.t ? tl.point(b.t) : null;
      if (settled?.settled) b.points[i] = settled;
      else done = false;
    });
    if (b.points.every((p, i) => p?.settled || b.lost[i])) b.forced = false;
    return done;
  }
}
