/**
 * The AI Energy Score's separate passes (src/runner/separate-passes.ts): the pass's query context,
 * the phases by difference of passes, the mean beside in situ (src/runner/passes-summary.ts), the
 * section on report.html and the AI Energy Score files holding them. Synthetic input, no GPU.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WattscopeReport } from '../src/formats/report-types.js';
import { WattscopeReportSchema } from '../src/formats/report-schema.js';
import { buildReportHtml } from '../src/report/html.js';
import { passesSummary } from '../src/runner/passes-summary.js';
import { passContext, PassEnd, separatePassesRecord, type PassMeasurement } from '../src/runner/separate-passes.js';
import { writeReports } from '../src/runner/outputs.js';

const PHASES = ['preprocess', 'prefill', 'decode'];

const pass = (lastPhase: string, energyJ: number, durationS: number, queries = 300): PassMeasurement => ({
  lastPhase,
  energyJ,
  uncertaintyJ: 0.5,
  durationS,
  queries,
  failedQueries: 0,
});

const readMinimal = (): WattscopeReport =>
  WattscopeReportSchema.parse(JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', 'report-minimal.json'), 'utf8'))) as WattscopeReport;

describe('a separate pass', () => {
  it("runs the phases up to the pass's last, then ends the query before the next phase's function runs", async () => {
    const ran: string[] = [];
    let ended = 0;
    const q = passContext('7', 'prefill', new Set(['decode']), () => ended++);
    expect(await q.phase('preprocess', () => (ran.push('preprocess'), 1))).toBe(1);
    expect(await q.phase('prefill', async () => (ran.push('prefill'), 2))).toBe(2);
    await expect(q.phase('decode', () => ran.push('decode'))).rejects.toBeInstanceOf(PassEnd);
    expect(ran).toEqual(['preprocess', 'prefill']);
    expect(ended).toBe(1);
    expect(q.id).toBe('7');
  });

  it('gives each phase as its pass less the one before, the run being the last pass; half-widths added', () => {
    const run = { energyJ: 1000, uncertaintyJ: 1, durationS: 10, queries: 300 };
    const record = separatePassesRecord(PHASES, [pass('preprocess', 100, 2), pass('prefill', 450, 5)], run, {
      per1000Scale: 1000 / 300,
      idleW: null,
      nodesFactor: 1,
    })!;
    expect(record.phases.preprocess).toEqual({ energyJ: 100, uncertaintyJ: 0.5 });
    expect(record.phases.prefill).toEqual({ energyJ: 350, uncertaintyJ: 1 });
    expect(record.phases.decode).toEqual({ energyJ: 550, uncertaintyJ: 1.5 });
    expect(record.passes.map((p) => p.endsAfter)).toEqual(PHASES);
    expect(record.phaseWhPer1000.decode).toBeCloseTo((550 * 1000) / 300 / 3600, 12);
    // The phases add up to the whole generation pass: the run.
    expect(Object.values(record.phases).reduce((s, p) => s + p.energyJ, 0)).toBeCloseTo(run.energyJ, 9);
  });

  it('subtracts idle over each pass when asked, and gives nothing for a missing or partial pass', () => {
    const run = { energyJ: 1000, uncertaintyJ: 1, durationS: 10, queries: 300 };
    const scale = { per1000Scale: 1, idleW: 20, nodesFactor: 1 };
    const record = separatePassesRecord(PHASES, [pass('preprocess', 100, 2), pass('prefill', 450, 5)], run, scale)!;
    // prefill: (450 - 20 x 5) - (100 - 20 x 2) = 290 J.
    expect(record.phaseWhPer1000.prefill).toBeCloseTo(290 / 3600, 12);
    expect(record.phases.prefill!.energyJ).toBe(350);
    expect(separatePassesRecord(PHASES, [pass('preprocess', 100, 2), null], run, scale)).toBeNull();
    expect(separatePassesRecord(PHASES, [pass('preprocess', 100, 2)], run, scale)).toBeNull();
    expect(separatePassesRecord(PHASES, [pass('preprocess', 100, 2), pass('prefill', 450, 5, 120)], run, scale)).toBeNull();
  });
});

/** The fixture with each included run's separate passes at 90% of in situ for preprocess and prefill, decode the rest. */
function reportWithPasses(): WattscopeReport {
  const report = readMinimal();
  for (const run of report.runs) {
    const e = (p: string) => run.phases[p]!.energyJ;
    const passes = [pass('preprocess', 0.9 * e('preprocess'), 1, run.queries), pass('prefill', 0.9 * (e('preprocess') + e('prefill')), 2, run.queries)];
    const whole = { energyJ: run.totalEnergyJ, uncertaintyJ: run.totalUncertaintyJ, durationS: run.durationS, queries: run.queries };
    run.separatePasses = separatePassesRecord(PHASES, passes, whole, { per1000Scale: report.benchmark.per1000Scale, idleW: null, nodesFactor: 1 });
  }
  return report;
}

describe("a report's separate passes", () => {
  it('means over the included runs beside in situ, on report.html; the AI Energy Score files hold the method asked for', () => {
    const report = reportWithPasses();
    const summary = passesSummary(report.runs)!;
    const withPasses = report.runs.filter((r) => r.included);
    expect(summary.runs).toBe(withPasses.length);
    const meanWh = (f: (r: WattscopeReport['runs'][number]) => number) =>
      withPasses.reduce((s, r) => s + (f(r) * 1000) / r.queries / 3600, 0) / withPasses.length;
    expect(summary.phases.prefill!.passesWh).toBeCloseTo(
      meanWh((r) => r.separatePasses!.phases.prefill!.energyJ),
      12,
    );
    expect(summary.phases.prefill!.inSituWh).toBeCloseTo(
      meanWh((r) => r.phases.prefill!.energyJ),
      12,
    );
    const html = buildReportHtml(report, null);
    const value = (id: string) => Number(new RegExp(`data-testid="${id}" data-value="([^"]*)"`).exec(html)![1]);
    expect(value('passes-decode')).toBe(summary.phases.decode!.passesWh);
    expect(value('passes-insitu-decode')).toBe(summary.phases.decode!.inSituWh);
    expect(buildReportHtml(readMinimal(), null)).not.toContain('id="separate-passes"');

    const state = { configHash: 'x', status: 'complete' as const, pid: 1, runsCompleted: report.runs.length, updatedAt: '' };
    for (const method of ['in-situ', 'separate-passes'] as const) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'wattscope-passes-'));
      writeReports(dir, report, state, 'optimum', method);
      const written = JSON.parse(readFileSync(path.join(dir, 'GPU_ENERGY_SUMMARY.json'), 'utf8'));
      expect(written.method).toBe(method);
      expect(report.aiEnergyScore!.method).toBe(method);
      const figures = (r: WattscopeReport['runs'][number]) => (method === 'in-situ' ? r.phaseWhPer1000 : r.separatePasses!.phaseWhPer1000);
      const meanPrefillWh = withPasses.reduce((s, r) => s + figures(r).prefill!, 0) / withPasses.length;
      expect(written.prefill_wh).toBeCloseTo(meanPrefillWh, 2);
    }
  });

  it('scores no run by separate passes where its passes are missing', () => {
    const report = reportWithPasses();
    for (const run of report.runs) run.separatePasses = null;
    expect(passesSummary(report.runs)).toBeNull();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wattscope-passes-'));
    writeReports(dir, report, { configHash: 'x', status: 'complete', pid: 1, runsCompleted: 0, updatedAt: '' }, 'optimum', 'separate-passes');
    expect(report.aiEnergyScore).toBeNull();
  });
});
