/**
 * A remote GPU's energy over a window from its counter's scrapes (src/fleet/counter-window.ts), on
 * synthetic scrapes: exact under constant power, never further from the truth than its stated
 * half-width under any piecewise-constant power, resets counted as Prometheus counts them, and a
 * missing edge said to be missing.
 */
import { describe, expect, it } from 'vitest';
import { counterAt, medianIntervalS, unwrapResets, windowEnergy, type CounterSample, type EdgeTiming } from '../src/fleet/counter-window.js';

const EXACT_EDGES: EdgeTiming = { counterLagMs: 0, edgeUncertaintyMs: 0 };

/** A deterministic generator (mulberry32), so each case is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Piecewise-constant power: `levels[i]` W from `changesMs[i]` on (changesMs[0] = 0). */
interface PowerTrace {
  changesMs: number[];
  levelsW: number[];
}

/** The exact energy from 0 to `timeMs`, J. */
function energyUpTo(trace: PowerTrace, timeMs: number): number {
  let joules = 0;
  for (const [i, fromMs] of trace.changesMs.entries()) {
    const toMs = Math.min(trace.changesMs[i + 1] ?? Infinity, timeMs);
    if (toMs > fromMs) joules += (trace.levelsW[i]! * (toMs - fromMs)) / 1000;
  }
  return joules;
}

function scrapesOf(trace: PowerTrace, timesMs: number[], startJ = 1e6): CounterSample[] {
  return timesMs.map((timeMs) => ({ timeMs, valueJ: startJ + energyUpTo(trace, timeMs) }));
}

describe('counter window', () => {
  it('is exact under constant power, and states the edges as bounds', () => {
    const trace = { changesMs: [0], levelsW: [300] };
    const samples = scrapesOf(trace, [0, 250, 500, 750, 1000, 1250, 1500]);
    const energy = windowEnergy(samples, 100, 1300, EXACT_EDGES);
    expect(energy.energyJ).toBeCloseTo(300 * 1.2, 9);
    // At 100 ms the counter lies between the scrapes at 0 and 250 ms: 30 J above the first, 45 J below the next.
    expect(energy.uncertaintyJ).toBeCloseTo(45 + 60, 9);
    expect(energy.resets).toBe(0);
    expect(energy.scrapeIntervalS).toBe(0.25);
  });

  it('widens each edge by its time uncertainty at the counter rate', () => {
    const samples = scrapesOf({ changesMs: [0], levelsW: [200] }, [0, 1000, 2000, 3000]);
    const onScrapes = windowEnergy(samples, 1000, 2000, { counterLagMs: 0, edgeUncertaintyMs: 100 });
    expect(onScrapes.energyJ).toBeCloseTo(200, 9);
    // Exactly on a scrape: no bracket, only 100 ms at 200 W on each edge.
    expect(onScrapes.uncertaintyJ).toBeCloseTo(2 * 20, 9);
  });

  it('never strays from the truth by more than its half-width, whatever the power does between scrapes', () => {
    const next = random(181);
    for (let trial = 0; trial < 500; trial++) {
      const changesMs = [0];
      while (changesMs.at(-1)! < 20_000) changesMs.push(changesMs.at(-1)! + 20 + next() * 2000);
      const trace = { changesMs, levelsW: changesMs.map(() => 60 + next() * 640) };
      const timesMs: number[] = [];
      for (let t = next() * 300; t < 20_000; t += 150 + next() * 1000) timesMs.push(t);
      const samples = scrapesOf(trace, timesMs);
      const startMs = 1500 + next() * 5000;
      const endMs = startMs + 1000 + next() * 8000;
      const energy = windowEnergy(samples, startMs, endMs, EXACT_EDGES);
      const truthJ = energyUpTo(trace, endMs) - energyUpTo(trace, startMs);
      expect(energy.energyJ).not.toBeNull();
      expect(Math.abs(energy.energyJ! - truthJ)).toBeLessThanOrEqual(energy.uncertaintyJ! + 1e-6);
    }
  });

  it("places a scrape's value counterLagMs before its timestamp", () => {
    // A counter that reads the energy up to 50 ms before each scrape.
    const trace = { changesMs: [0, 1000], levelsW: [100, 500] };
    const samples = [0, 500, 1000, 1500, 2000].map((timeMs) => ({ timeMs, valueJ: energyUpTo(trace, Math.max(0, timeMs - 50)) }));
    const truthJ = energyUpTo(trace, 1450) - energyUpTo(trace, 450);
    const shifted = windowEnergy(samples, 450, 1450, { counterLagMs: 50, edgeUncertaintyMs: 0 });
    const unshifted = windowEnergy(samples, 450, 1450, EXACT_EDGES);
    expect(shifted.energyJ).toBeCloseTo(truthJ, 9);
    expect(Math.abs(unshifted.energyJ! - truthJ)).toBeGreaterThan(10);
  });

  it('counts a reset as Prometheus does, and only those touching the window', () => {
    const samples: CounterSample[] = [
      { timeMs: 0, valueJ: 1000 },
      { timeMs: 1000, valueJ: 1200 },
      { timeMs: 2000, valueJ: 50 }, // the exporter's counter restarted: 50 J since
      { timeMs: 3000, valueJ: 250 },
      { timeMs: 4000, valueJ: 450 },
    ];
    expect(unwrapResets(samples).resetTimesMs).toEqual([2000]);
    const across = windowEnergy(samples, 1000, 4000, EXACT_EDGES);
    expect(across.resets).toBe(1);
    expect(across.energyJ).toBeCloseTo(50 + 400, 9);
    const after = windowEnergy(samples, 3000, 4000, EXACT_EDGES);
    expect(after.resets).toBe(0);
    expect(after.energyJ).toBeCloseTo(200, 9);
  });

  it('is missing, with the reason, without a scrape around each edge', () => {
    const samples = scrapesOf({ changesMs: [0], levelsW: [100] }, [1000, 2000, 3000]);
    const early = windowEnergy(samples, 500, 2500, EXACT_EDGES);
    expect(early.energyJ).toBeNull();
    expect(early.uncertaintyJ).toBeNull();
    expect(early.reason).toMatch(/^no scrape before the window's start \(the first is 0\.500 s after it\)/);
    const late = windowEnergy(samples, 1500, 3600, EXACT_EDGES);
    expect(late.energyJ).toBeNull();
    expect(late.reason).toMatch(/^no scrape after the window's end \(the last is 0\.600 s before it\)/);
    expect(windowEnergy([], 0, 1, EXACT_EDGES).reason).toBe('no samples');
  });

  it('reads the counter between scrapes, and nothing outside them', () => {
    const samples = [
      { timeMs: 0, valueJ: 0 },
      { timeMs: 100, valueJ: 10 },
      { timeMs: 300, valueJ: 50 },
    ];
    expect(counterAt(samples, 200, 0)).toEqual({ valueJ: 30, uncertaintyJ: 20 });
    expect(counterAt(samples, -1, 0)).toBeNull();
    expect(counterAt(samples, 301, 0)).toBeNull();
    expect(medianIntervalS(samples)).toBeCloseTo(0.15, 12);
    expect(medianIntervalS(samples.slice(0, 1))).toBeNull();
  });
});
