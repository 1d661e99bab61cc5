/**
 * `wattscope replay`: a real H200's recording (test/fixtures/h200/trace-*, two 300-query runs)
 * replayed through the simulated library, the native sampler and the estimator. Each run's total
 * is held against the recording's own counter over the run (the same window: no bound depends on
 * this machine's timing), and against the totals the recording's README states; a recording that
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

describe('wattscope replay', () => {
  it("replays the shared trace: each run's total within 0.5% of the recording's counter; phases + gaps = the total", () => {
    configureSim();
    const r = runCli(['replay', fixtures, '--json'], process.env, 180_000);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as ReplayResult;
    expect(result.runs.map((run) => [run.run, run.queries])).toEqual([
      [0, 300],
      [1, 300],
    ]);
    // The recording's README: the runs drew 7945 J and 7799 J (its counter, shaped by the 20 ms samples).
    const stated = [7945, 7799];
    for (const run of result.runs) {
      expect(Math.abs(run.totalEnergyJ - run.recordedCounterJ) / run.recordedCounterJ, `run ${run.run}`).toBeLessThan(0.005);
      expect(Math.abs(run.recordedCounterJ - stated[run.run]!) / stated[run.run]!).toBeLessThan(0.005);
      const phasesJ = Object.values(run.phases).reduce((sum, p) => sum + p.energyJ, 0);
      expect(phasesJ + run.unattributedEnergyJ).toBeCloseTo(run.totalEnergyJ, 6);
      expect(Object.keys(run.phases).sort()).toEqual(['decode', 'prefill', 'preprocess']);
      for (const p of Object.values(run.phases)) {
        expect(p.uncertaintyJ).toBeGreaterThan(0);
        expect(p.isolatedEnergyJ).toBeNull();
      }
      expect(run.interleavingOverheadJ).toBeNull();
    }
    // The monitor sees the driver's samples at their recorded cadence (the replayed driver answers
    // with the recording's own samples, drained by the sampler thread): none lost.
    const samples = result.driverSamples;
    expect(samples.recordedMedianIntervalMs).toBeGreaterThan(15);
    expect(Math.abs(samples.medianIntervalMs! - samples.recordedMedianIntervalMs) / samples.recordedMedianIntervalMs).toBeLessThan(0.05);
    expect(samples.seen).toBeGreaterThan(1000);
  }, 200_000);

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
