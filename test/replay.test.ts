/**
 * `wattscope replay`: a real H200's recording (test/fixtures/h200/trace-*, two 300-query runs)
 * replayed through the simulated library, the native sampler and the estimator. Each run's total
 * is held against the recording's own counter over the run (the same window: no bound depends on
 * this machine's timing), and against the totals the recording's README states; each phase alone
 * (learnt from the recording's blocks, replayed as a calibration pass) against the blocks' own
 * energy, and the interleaving overhead against the one the README measured; a recording that
 * does not parse is an error naming the file and line.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ReplayResult } from '../src/runner/replay.js';
import { runCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';

const fixtures = path.join(import.meta.dirname, 'fixtures', 'h200');

/** The recording's README: each run's phases alone (its blocks), J, and what the runs drew beyond them, %. */
const phasesAloneJ = [
  { preprocess: 75.0, prefill: 3619.7, decode: 3623.0 },
  { preprocess: 74.4, prefill: 3589.6, decode: 3617.0 },
] as const;
const interleavingPct = [7.9, 6.6];
const runsJ = [7945, 7799];

/**
 * A run's phases alone within 3% of the recording's blocks (prefill and decode), each interval
 * covering the block's figure (preprocess too); its interleaving overhead within 1.5 percentage
 * points of the recording's, its interval covering the recording's overhead in J.
 */
function holdAloneFigures(run: ReplayResult['runs'][number]): void {
  const stated: Record<string, number> = phasesAloneJ[run.run]!;
  for (const [phase, p] of Object.entries(run.phases)) {
    const truth = stated[phase]!;
    const label = `run ${run.run} ${phase}: ${p.isolatedEnergyJ} +- ${p.isolatedUncertaintyJ} J alone, the block drew ${truth} J`;
    if (phase !== 'preprocess') expect(Math.abs(p.isolatedEnergyJ! - truth) / truth, label).toBeLessThan(0.03);
    expect(Math.abs(p.isolatedEnergyJ! - truth), label).toBeLessThanOrEqual(p.isolatedUncertaintyJ!);
  }
  const overheadPct = (run.interleavingOverheadJ! / run.totalEnergyJ) * 100;
  expect(Math.abs(overheadPct - interleavingPct[run.run]!), `run ${run.run}: ${overheadPct}%`).toBeLessThan(1.5);
  const statedOverheadJ = runsJ[run.run]! - Object.values(stated).reduce((a, b) => a + b, 0);
  expect(Math.abs(run.interleavingOverheadJ! - statedOverheadJ)).toBeLessThanOrEqual(run.interleavingOverheadUncertaintyJ!);
}

describe('wattscope replay', () => {
  it("replays the shared trace: each run's total within 0.5% of the recording's counter; phases + gaps = the total; each phase alone and the interleaving overhead against the recording's blocks", () => {
    configureSim();
    const r = runCli(['replay', fixtures, '--json'], process.env, 280_000);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as ReplayResult;
    expect(result.runs.map((run) => [run.run, run.queries])).toEqual([
      [0, 300],
      [1, 300],
    ]);
    // The recording's README: the runs drew 7945 J and 7799 J (its counter, shaped by the 20 ms samples).
    const stated = runsJ;
    for (const run of result.runs) {
      expect(Math.abs(run.totalEnergyJ - run.recordedCounterJ) / run.recordedCounterJ, `run ${run.run}`).toBeLessThan(0.005);
      expect(Math.abs(run.recordedCounterJ - stated[run.run]!) / stated[run.run]!).toBeLessThan(0.005);
      const phasesJ = Object.values(run.phases).reduce((sum, p) => sum + p.energyJ, 0);
      expect(phasesJ + run.unattributedEnergyJ).toBeCloseTo(run.totalEnergyJ, 6);
      expect(Object.keys(run.phases).sort()).toEqual(['decode', 'prefill', 'preprocess']);
      for (const p of Object.values(run.phases)) expect(p.uncertaintyJ).toBeGreaterThan(0);
      holdAloneFigures(run);
    }
    // The blocks (each run's phases back to back, phase by phase) as the monitor measured them,
    // against the recording's README: 75.0 + 74.4 J, 3619.7 + 3589.6 J, 3623.0 + 3617.0 J.
    const blocksJ: Record<string, number> = { preprocess: 149.4, prefill: 7209.3, decode: 7240.0 };
    // Within 1%, or within the blocks' stated interval where that is wider (a busy CI pass measured
    // the 149 J preprocess blocks 1.009% off: 1.5 J, at its scopes' edges).
    for (const [phase, stated] of Object.entries(blocksJ)) {
      const { energyJ, energyUncertaintyJ } = result.alone[phase]!;
      expect(Math.abs(energyJ - stated), `${phase}: ${energyJ} +- ${energyUncertaintyJ} J`).toBeLessThanOrEqual(Math.max(0.01 * stated, energyUncertaintyJ));
      expect(result.alone[phase]!.scopes).toBe(2);
    }
    // The monitor sees the driver's samples at their recorded cadence (the replayed driver answers
    // with the recording's own samples, drained by the sampler thread): none lost.
    const samples = result.driverSamples;
    expect(samples.recordedMedianIntervalMs).toBeGreaterThan(15);
    expect(Math.abs(samples.medianIntervalMs! - samples.recordedMedianIntervalMs) / samples.recordedMedianIntervalMs).toBeLessThan(0.05);
    expect(samples.seen).toBeGreaterThan(1000);
  }, 300_000);

  it('a recording that does not parse is an error naming the file and line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-bad-recording-'));
    cpSync(fixtures, dir, { recursive: true });
    const phases = gunzipSync(readFileSync(path.join(fixtures, 'trace-phases.csv.gz')))
      .toString('utf8')
      .split('\n');
    phases[4] = 'run,0,1,prefill,soon,65079108772';
    writeFileSync(path.join(dir, 'trace-phases.csv'), phases.join('\n'));
    const r = runCli(['replay', dir, '--name', 'trace']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`wattscope: ${path.join(dir, 'trace-phases.csv')}:5: t0_ns must be an integer of ns, got "soon"\n`);
  });
});
