/**
 * Leaderboard comparability: a result is marked not comparable (never refused) for another GPU
 * than an H100, a class A or B model on several GPUs, other than 1,000 queries x 10 runs, or more
 * than 5% failed queries in a run. Unit tests on reports built from the fixture.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WattscopeReportSchema } from '../src/formats/report-schema.js';
import type { WattscopeReport } from '../src/formats/report-types.js';
import { assessComparability } from '../src/runner/comparability.js';

const fixture = WattscopeReportSchema.parse(JSON.parse(readFileSync(path.resolve(import.meta.dirname, 'fixtures', 'report-minimal.json'), 'utf8')));

/** A report as the leaderboard wants it: a real H100, 1,000 queries, 10 included runs, no failure. */
function leaderboardLike(): WattscopeReport {
  const report = structuredClone(fixture);
  report.device.simulated = false;
  report.benchmark.dataset.rows = 1000;
  report.runs = Array.from({ length: 10 }, (_, index) => ({ ...structuredClone(fixture.runs[0]!), index, queries: 1000, failedQueries: 0, included: true }));
  return report;
}

describe('assessComparability', () => {
  it('a real H100, one GPU, 1,000 queries x 10 runs: comparable', () => {
    expect(assessComparability(leaderboardLike(), 'A')).toEqual({ leaderboardComparable: true, reasons: [] });
  });

  it('each departure is one reason, named', () => {
    const simulated = leaderboardLike();
    simulated.device.simulated = true;
    expect(assessComparability(simulated, 'A').reasons).toEqual(['measured on the simulated GPU, not a real one']);

    const a100 = leaderboardLike();
    a100.device.gpus[0]!.name = 'NVIDIA A100-SXM4-80GB';
    expect(assessComparability(a100, 'A').reasons).toEqual(['measured on NVIDIA A100-SXM4-80GB, not an NVIDIA H100']);

    const twoGpus = leaderboardLike();
    twoGpus.device.gpus.push({ ...twoGpus.device.gpus[0]!, index: 1 });
    expect(assessComparability(twoGpus, 'B').reasons).toEqual(['a class B model ran on 2 GPUs; the leaderboard runs classes A and B on one']);
    expect(assessComparability(twoGpus, 'C')).toMatchObject({ leaderboardComparable: true });
    expect(assessComparability(twoGpus, null).reasons[0]).toMatch(/2 GPUs and no model class given/);

    const small = leaderboardLike();
    small.benchmark.dataset.rows = 10;
    small.runs = small.runs.slice(0, 1);
    expect(assessComparability(small, 'A').reasons).toEqual(["10 queries per run, not the methodology's 1,000", '1 run in the mean, not 10']);

    const failing = leaderboardLike();
    failing.runs[3]!.failedQueries = 51;
    expect(assessComparability(failing, 'A').reasons).toEqual(['PARTIAL FAILURE: 51 of 1000 queries failed in run 3']);
    failing.runs[3]!.failedQueries = 50;
    expect(assessComparability(failing, 'A').leaderboardComparable).toBe(true);
  });

  it('a report written before the field reads as not assessed', () => {
    expect(fixture.comparability).toEqual({ leaderboardComparable: false, reasons: [expect.stringMatching(/^not assessed/)], modelClass: null });
  });
});
