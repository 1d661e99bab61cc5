/**
 * Throttling from the driver's own word: the clocks event reasons the sampler reads (about ten
 * times a second) flag a run by the reason's name; the old guess (temperature, power) is only a
 * fallback, and says it is one.
 */
import { describe, expect, it } from 'vitest';
import { ClocksEventLog, reasonNames } from '../src/sampling/clocks-events.js';
import type { BenchmarkHandler } from '../src/runner/runner.js';
import { runBenchmark } from '../src/runner/runner.js';
import { syntheticDataset } from '../src/runner/synthetic.js';
import { configureSim, spin, type SimControl } from './helpers/sim.js';

describe('clocks event readings (unit, synthetic)', () => {
  it("names NVML's reason bits", () => {
    expect(reasonNames(0x1)).toEqual(['gpu-idle']);
    expect(reasonNames(0x4 | 0x20 | 0x80)).toEqual(['sw-power-cap', 'sw-thermal-slowdown', 'hw-power-brake-slowdown']);
    expect(reasonNames(0x10000)).toEqual([]);
  });

  it('the reasons in force over an interval: readings inside it and the last one before it', () => {
    const log = new ClocksEventLog(100);
    log.append([0, 100, 200, 300], [0x1, 0x4, 0x1, 0x20]);
    expect(log.reasonsBetween(120, 180)).toEqual(['sw-power-cap']);
    expect(log.reasonsBetween(150, 250)).toEqual(['gpu-idle', 'sw-power-cap']);
    expect(log.reasonsBetween(310, 400)).toEqual(['sw-thermal-slowdown']);
    expect(log.reasonsBetween(-50, -10)).toBeNull();
  });

  it('keeps at most its cap, dropping the oldest', () => {
    const log = new ClocksEventLog(3);
    log.append([0, 1, 2, 3, 4], [0x4, 0x4, 0x1, 0x1, 0x1]);
    expect(log.length).toBe(3);
    expect(log.reasonsBetween(0, 1)).toBeNull();
    expect(log.reasonsBetween(2, 4)).toEqual(['gpu-idle']);
  });
});

/** Two phases per query at `prefillW` and `decodeW`, 8 ms each. */
function handlerAt(sim: SimControl, prefillW: number, decodeW = 300): BenchmarkHandler {
  return async (_row, q) => {
    await q.phase('prefill', () => {
      sim.setPower(prefillW);
      spin(8);
    });
    await q.phase('decode', () => {
      sim.setPower(decodeW);
      spin(8);
    });
    sim.setPower(70);
  };
}

const options = { runs: 1, warmup: 0, phases: ['prefill', 'decode'], idleMeasureS: 0, randomDelayMaxS: 0, dataset: syntheticDataset(40) };

describe('a run is flagged throttled by the reason the driver gives', () => {
  it('at the power limit: sw-power-cap', async () => {
    const sim = configureSim({ control: true });
    // Both phases at the limit: the driver's reasons are read about ten times a second, and a busy
    // machine's sampler may make only a few reads in the run; each one then sees the cap.
    const report = await runBenchmark({ ...options, handler: handlerAt(sim, 700, 700), monitor: { simulate: true } });
    const [run] = report.runs;
    expect(run!.clocksEventReasons).toContain('sw-power-cap');
    expect(run!.clocksEventReasons).not.toContain('gpu-idle');
    expect(run!.flags).toContain('throttled');
    expect(run!.flags).not.toContain('throttle-guessed');
    expect(run!.unstable).toContain("throttled: sw-power-cap (the driver's clocks event reasons)");
  });

  it('under a thermal slowdown: sw-thermal-slowdown', async () => {
    const sim = configureSim({ control: true, faults: 'thermal_after=0' });
    const report = await runBenchmark({ ...options, handler: handlerAt(sim, 500), monitor: { simulate: true } });
    expect(report.runs[0]!.clocksEventReasons).toEqual(['sw-thermal-slowdown']);
    expect(report.runs[0]!.flags).toContain('throttled');
  });

  it('well under the limit and cool: no reason but idle moments, not throttled', async () => {
    const sim = configureSim({ control: true });
    const report = await runBenchmark({ ...options, handler: handlerAt(sim, 500), monitor: { simulate: true } });
    expect(report.runs[0]!.clocksEventReasons).toEqual([]);
    expect(report.runs[0]!.flags).not.toContain('throttled');
  });

  it('a driver that reports no reasons: the guess (87 C), flagged throttle-guessed and said to be a guess', async () => {
    const sim = configureSim({ control: true, faults: 'thermal_after=0,not_supported=nvmlDeviceGetCurrentClocksEventReasons' });
    const report = await runBenchmark({ ...options, handler: handlerAt(sim, 500), monitor: { simulate: true } });
    const [run] = report.runs;
    expect(run!.clocksEventReasons).toBeNull();
    expect(run!.flags).toEqual(expect.arrayContaining(['throttled', 'throttle-guessed']));
    expect(run!.unstable.find((r) => r.startsWith('throttled'))).toMatch(/guessed .*this driver reports no clocks event reasons/);
  });
});
