/**
 * Which runs count in the means (src/runner/analysis.ts), on synthetic run records: the
 * all-runs-unstable fallback never brings back a run that is not a measurement of the whole job
 * (interrupted, failed beyond the methodology's 5%, or missing a node's counter).
 */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../src/formats/report-types.js';
import { classifyRuns, unscoredReason } from '../src/runner/analysis.js';

/** A complete 20-query run of 10 s at 1 Wh per 1,000 queries, with the given flags and failures. */
function run(index: number, flags: string[], failedQueries = 0): RunRecord {
  return {
    index,
    startedAt: '2026-12-06T00:00:00.000Z',
    durationS: 10,
    delayS: 0,
    cooldownS: 0,
    startTemperatureC: null,
    endTemperatureC: null,
    queries: 20,
    failedQueries,
    totalEnergyJ: 72,
    totalUncertaintyJ: 0.1,
    unattributedEnergyJ: 0,
    phases: {},
    phaseWhPer1000: { decode: 1 },
    method: 'energy-counter',
    flags,
    clocksEventReasons: null,
    unstable: [],
    included: false,
    errors: {},
    serving: null,
  };
}

describe('run classification', () => {
  it('a stable run is included; an unstable one is not while a stable one exists', () => {
    const runs = [run(0, []), run(1, ['sampling-gap'])];
    classifyRuns(runs, true);
    expect(runs.map((r) => r.included)).toEqual([true, false]);
    expect(runs[1]!.unstable).toEqual(['counter-anomaly: sampling-gap']);
  });

  it('every run unstable: the complete ones come back, never one that lost a node, failed beyond 5% or was interrupted', () => {
    const runs = [run(0, ['sampling-gap']), run(1, ['sampling-gap', 'node-counter-missing']), run(2, ['interrupted']), run(3, ['sampling-gap'], 2)];
    const { notes } = classifyRuns(runs, true);
    expect(runs.map((r) => r.included)).toEqual([true, false, false, false]);
    expect(notes.join(' ')).toMatch(/every run was unstable/);
    expect(runs[1]!.unstable.join(' ')).toMatch(/counter-anomaly: sampling-gap, node-counter-missing/);
  });

  it('a job whose every run lost a node has no score, and says why', () => {
    const runs = [run(0, ['node-counter-missing']), run(1, ['node-counter-missing'])];
    classifyRuns(runs, true);
    expect(runs.some((r) => r.included)).toBe(false);
    expect(unscoredReason(runs)).toBe(
      'no run can be scored, so no GPU_ENERGY_WH.txt was written (run 0: counter-anomaly: node-counter-missing; run 1: counter-anomaly: node-counter-missing)',
    );
  });

  it('1 failed query of 20 (5%) still scores; 2 of 20 never do', () => {
    const runs = [run(0, [], 1), run(1, [], 2)];
    classifyRuns(runs, true);
    expect(runs.map((r) => r.included)).toEqual([true, false]);
    expect(runs[1]!.unstable[0]).toMatch(/^failed-queries: 2 of 20 queries threw, over the 5% allowed/);
  });
});
