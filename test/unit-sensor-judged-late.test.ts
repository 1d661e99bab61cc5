/**
 * A scope's ends settled while the sensor was still unknown were split as on a coarse sensor (by
 * time alone). Once the sensor is later shown instant, the scope's interval must still be judged
 * the way its ends were made: flagged coarse, with the coarse bounds. (CI once saw such scopes,
 * measured right after open(), claim a within-step uncertainty of 0.3 J for a 4 J error.)
 * Deterministic: a synthetic stream, no wall clock.
 */
import { describe, expect, it } from 'vitest';
import { PowerTimeline } from '../src/timeline/timeline.js';
import { feedTimeline, MS, PowerTrace } from './helpers/synthetic-stream.js';

/** 70 W idle, then in the first counter step (37-137 ms) three levels 20 ms apart; later, levels 2 ms apart. */
function traceWithEarlyScope(): { trace: PowerTrace; scope: { a: number; b: number } } {
  const trace = new PowerTrace(70);
  trace.set(60 * MS, 619);
  trace.set(80 * MS, 380);
  trace.set(100 * MS, 668);
  trace.set(120 * MS, 70);
  for (let i = 0; i < 30; i++) trace.set((400 + 2 * i) * MS, i % 2 ? 200 : 500);
  trace.set(460 * MS, 70);
  return { trace, scope: { a: 60 * MS, b: 72 * MS } };
}

describe('a scope whose ends settled before the sensor was known', () => {
  it('keeps the coarse judgement (flag and bounds) once the sensor is shown instant, and covers the truth', () => {
    const timeline = new PowerTimeline(0, 0n, true, 1000, 120, false, 700);
    const { trace, scope } = traceWithEarlyScope();
    timeline.markBoundary(scope.a, 'work');
    timeline.markBoundary(scope.b, '');
    const stream = { sensor: 'instant', sampleMs: 1, seed: 3 } as const;
    feedTimeline(timeline, trace, { ...stream, durationMs: 150 });
    // The counter has updated past the scope (at 137 ms), but no steady step has been seen yet.
    expect(timeline.lastAnchorT).toBeGreaterThan(scope.b);
    expect(timeline.sensor.kind).toBe('unknown');
    const pa = timeline.point(scope.a);
    const pb = timeline.point(scope.b);
    expect(pa.settled && pb.settled).toBe(true);
    expect(pa.coarseModel).toBe('time-share');

    feedTimeline(timeline, trace, { ...stream, durationMs: 700, fromMs: 150 });
    expect(timeline.sensor.kind).toBe('instant');
    const truthJ = trace.energyJ(scope.a, scope.b);
    const late = timeline.interval(scope.a, scope.b, pa, pb);
    expect(late.flags).toContain('coarse-sensor');
    expect(Math.abs(late.energyJ - truthJ)).toBeLessThanOrEqual(late.uncertaintyJ);
    // The same scope re-estimated now, with the sensor known, is both tight and right.
    const now = timeline.interval(scope.a, scope.b);
    expect(now.flags).not.toContain('coarse-sensor');
    expect(Math.abs(now.energyJ - truthJ)).toBeLessThan(0.02 * truthJ);
    expect(now.uncertaintyJ).toBeLessThan(late.uncertaintyJ);
  });
});
