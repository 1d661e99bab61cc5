/**
 * The monitor's logic on a fake binding (test/helpers/fake-binding.ts): scopes, queries and runs
 * over a synthetic power stream whose clock the test moves. No addon, no simulated NVML, no wall
 * clock in any figure: each is compared with the stream's exact energy, and two monitors fed the
 * same stream give the same figures to the last bit. The same paths through the real addon and the
 * simulated NVML are the simulator tier's (scopes-accuracy, runs, ...).
 */
import { describe, expect, it } from 'vitest';
import { EnergyMonitor } from '../src/index.js';
import { NvmlError } from '../src/util/errors.js';
import { FakeBinding } from './helpers/fake-binding.js';

/** A monitor over `fake`, on the fake clock: 1 kHz ticks, no RAPL, no real NVML. */
function openOn(fake: FakeBinding): Promise<EnergyMonitor> {
  return EnergyMonitor.open({ library: 'fake-nvml', cpu: false, sampleHz: 1000 }, { binding: fake });
}

/** A scope of 400 ms over a step from 100 W to 300 W in its middle, settled once the counter has passed its end. */
async function scopeOverStep(): Promise<{ energyJ: number; uncertaintyJ: number; truthJ: number; method: string }> {
  const fake = new FakeBinding({ idleW: 100, changes: [{ atMs: 700, watts: 300 }] });
  const monitor = await openOn(fake);
  try {
    fake.advanceMs(500);
    const scope = monitor.begin('step');
    fake.advanceMs(400);
    scope.end();
    fake.advanceMs(300);
    const m = await scope.settled();
    if (m.status !== 'measured') throw new Error(`expected a measurement: ${m.reason}`);
    const truthJ = fake.energyJ(m.startNs, m.endNs);
    return { energyJ: m.energyJ, uncertaintyJ: m.uncertaintyJ, truthJ, method: m.method };
  } finally {
    await monitor.close();
  }
}

describe('the monitor on a fake binding (unit tier)', () => {
  it('a scope over a power step: within its stated uncertainty of the exact energy, the same on every run', async () => {
    const first = await scopeOverStep();
    expect(first.truthJ).toBeCloseTo(100 * 0.2 + 300 * 0.2, 6);
    expect(Math.abs(first.energyJ - first.truthJ)).toBeLessThanOrEqual(first.uncertaintyJ);
    expect(first.uncertaintyJ).toBeLessThan(0.05 * first.truthJ);
    const second = await scopeOverStep();
    expect(second).toEqual(first);
  });

  it("a run of queries: each phase's total within its uncertainty of the exact energy, phases and gaps adding up to the run", async () => {
    const fake = new FakeBinding({ idleW: 90 });
    const monitor = await openOn(fake);
    try {
      fake.advanceMs(300);
      const run = monitor.startRun('unit');
      const truth = { prefill: 0, decode: 0 };
      for (let i = 0; i < 10; i++) {
        await monitor.query(i, async (q) => {
          await q.phase('prefill', () => {
            const from = fake.nowNs();
            fake.setPowerW(520);
            fake.advanceMs(240);
            truth.prefill += fake.energyJ(from, fake.nowNs());
          });
          await q.phase('decode', () => {
            const from = fake.nowNs();
            fake.setPowerW(360);
            fake.advanceMs(310);
            truth.decode += fake.energyJ(from, fake.nowNs());
          });
        });
        fake.setPowerW(90);
        fake.advanceMs(150);
      }
      // The run ends now; it is summed once the counter has updated past its end.
      const endNs = fake.nowNs();
      const finishing = run.finish();
      fake.advanceMs(300);
      const summary = await finishing;
      expect(summary.queries).toBe(10);
      expect(summary.endNs).toBe(endNs);
      const totalTruthJ = fake.energyJ(summary.startNs, summary.endNs);
      expect(Math.abs(summary.totalEnergyJ - totalTruthJ)).toBeLessThanOrEqual(summary.totalUncertaintyJ);
      for (const phase of ['prefill', 'decode'] as const) {
        const total = summary.phases[phase]!;
        expect(total.count).toBe(10);
        expect(Math.abs(total.energyJ - truth[phase]), phase).toBeLessThanOrEqual(total.uncertaintyJ);
        // An instant sensor read at 1 kHz: the phases' 240 and 310 ms are pinned (seen: +-0.15%).
        expect(total.uncertaintyJ, phase).toBeLessThan(0.01 * truth[phase]);
      }
      const parts = summary.phases.prefill!.energyJ + summary.phases.decode!.energyJ + summary.unattributedEnergyJ;
      expect(parts).toBeCloseTo(summary.totalEnergyJ, 6);
    } finally {
      await monitor.close();
    }
  });

  it('without a GPU (ifUnavailable: noop): the null sampling measures nothing, says why, and never a zero', async () => {
    class NoNvml extends FakeBinding {
      override open(): never {
        throw new NvmlError('libnvidia-ml.so.1 not found', {
          code: 'NVML_ERROR_LIBRARY_NOT_FOUND',
          returnValue: 12,
          nvmlFunction: 'dlopen',
          deviceIndex: null,
        });
      }
    }
    const monitor = await EnergyMonitor.open({ library: 'fake-nvml', cpu: false, ifUnavailable: 'noop' }, { binding: new NoNvml() });
    try {
      expect(monitor.unavailableReason).toMatch(/not found/);
      expect(monitor.gpus).toEqual([]);
      const { measurement } = await monitor.measure('nothing', () => 42);
      expect(measurement.status).toBe('unavailable');
      expect(measurement.energyJ).toBeNull();
      expect(Number.isNaN(monitor.latestPowerW())).toBe(true);
      await expect(monitor.startRun('r').finish()).rejects.toMatchObject({ code: 'WATTSCOPE_NO_GPU' });
    } finally {
      await monitor.close();
    }
  });
});
