/**
 * The runner's situation: 1,000 queries, each with preprocess, prefill and decode
 * phases of 5-80 ms, power changing between phases. Per-phase totals within 2% of
 * the truth; phases plus unattributed equal the counter's delta within 0.1%.
 */
import { describe, expect, it } from 'vitest';
import { EnergyMonitor } from '../src/index.js';
import { configureSim, sleep } from './helpers/sim.js';

describe('1,000 queries x 3 phases', () => {
  it('per-phase totals match the truth; phases + unattributed = counter delta', async () => {
    const sim = configureSim({ control: true });
    const monitor = await EnergyMonitor.open({ simulate: true });
    try {
      await sleep(150);
      let seed = 1234;
      const rand = () => (seed = (seed * 1664525 + 1013904223) % 2 ** 32) / 2 ** 32;
      const phasePower: Record<string, [number, number]> = { preprocess: [80, 160], prefill: [550, 700], decode: [280, 420] };
      const truthByPhase: Record<string, number> = { preprocess: 0, prefill: 0, decode: 0 };
      const run = monitor.startRun('run-0');
      for (let q = 0; q < 1000; q++) {
        const record = await monitor.query(q, async (ctx) => {
          for (const phase of ['preprocess', 'prefill', 'decode'] as const) {
            const [lo, hi] = phasePower[phase]!;
            await ctx.phase(
              phase,
              async () => {
                sim.setPower(Math.round(lo + rand() * (hi - lo)));
                await sleep(5 + rand() * 75);
              },
              phase === 'decode' ? { tokens: 10 } : {},
            );
          }
          sim.setPower(70); // idle between queries
        });
        for (const p of record.phases) truthByPhase[p.phase!]! += sim.energyJ(0, p.startNs, p.endNs);
        if (rand() < 0.2) await sleep(rand() * 10);
      }
      const summary = await run.finish();
      const truthTotal = sim.energyJ(0, summary.startNs, summary.endNs);
      expect(summary.queries).toBe(1000);
      for (const phase of ['preprocess', 'prefill', 'decode']) {
        const got = summary.phases[phase]!;
        expect(got.count).toBe(1000);
        expect(Math.abs(got.energyJ - truthByPhase[phase]!) / truthByPhase[phase]!).toBeLessThan(0.02);
      }
      expect(summary.phases.decode!.tokens).toBe(10_000);
      expect(summary.phases.decode!.energyPerTokenJ).toBeCloseTo(summary.phases.decode!.energyJ / 10_000, 9);
      const sumParts = Object.values(summary.phases).reduce((s, p) => s + p.energyJ, 0) + summary.unattributedEnergyJ;
      expect(Math.abs(sumParts - summary.totalEnergyJ) / summary.totalEnergyJ).toBeLessThan(0.001);
      expect(summary.unattributedEnergyJ).toBeGreaterThan(0);
      // The run total is the counter's delta, and matches the true integral.
      expect(Math.abs(summary.totalEnergyJ - truthTotal) / truthTotal).toBeLessThan(0.001);
      expect(summary.flags).not.toContain('unsettled');
      // Cumulative energy never ran backwards at any settled boundary (the monotonicity check).
      expect(monitor.stats().energyDecreases).toBe(0);
      expect(summary.flags).not.toContain('non-monotonic');
    } finally {
      await monitor.close();
    }
  }, 400_000);
});
