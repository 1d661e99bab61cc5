/**
 * The phases in situ and alone over a report's runs (src/runner/isolated-summary.ts) and their
 * section on report.html, on a report written by wattscope with alone figures set by the test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WattscopeReport } from '../src/formats/report-types.js';
import { WattscopeReportSchema } from '../src/formats/report-schema.js';
import { buildReportHtml } from '../src/report/html.js';
import { isolatedSummary } from '../src/runner/isolated-summary.js';

const minimal = path.join(import.meta.dirname, 'fixtures', 'report-minimal.json');

/** The fixture with, in run i, each phase alone at 80% of its in-situ energy (+-2 J) and the overhead the rest. */
function reportWithAlone(): WattscopeReport {
  const report = readMinimal();
  for (const run of report.runs) {
    let aloneJ = 0;
    for (const phase of Object.values(run.phases)) {
      phase.isolatedEnergyJ = phase.energyJ * 0.8;
      phase.isolatedUncertaintyJ = 2;
      aloneJ += phase.isolatedEnergyJ;
    }
    run.interleavingOverheadJ = run.totalEnergyJ - run.unattributedEnergyJ - aloneJ;
    run.interleavingOverheadUncertaintyJ = 9;
  }
  return report;
}

/** The fixture as the report reader gives it (the schema fills what an older report lacks). */
const readMinimal = (): WattscopeReport => WattscopeReportSchema.parse(JSON.parse(readFileSync(minimal, 'utf8'))) as WattscopeReport;

const toWh = (joules: number, queries: number) => (joules * (1000 / queries)) / 3600;

describe("a report's phases in situ and alone", () => {
  it('means over the included runs, Wh per 1,000 queries as measured; the overhead its share of the runs', () => {
    const report = reportWithAlone();
    report.runs[2]!.included = false;
    const summary = isolatedSummary(report.runs)!;
    expect(summary.runs).toBe(2);
    const [a, b] = report.runs as [WattscopeReport['runs'][number], WattscopeReport['runs'][number]];
    const prefillInSitu = (toWh(a.phases.prefill!.energyJ, a.queries) + toWh(b.phases.prefill!.energyJ, b.queries)) / 2;
    expect(summary.phases.prefill!.inSituWh).toBeCloseTo(prefillInSitu, 12);
    expect(summary.phases.prefill!.aloneWh).toBeCloseTo(prefillInSitu * 0.8, 12);
    expect(summary.phases.prefill!.aloneWithinWh).toBeCloseTo(toWh(2, 300), 12);
    expect(summary.overheadWithinWh).toBeCloseTo(toWh(9, 300), 12);
    const share = (a.interleavingOverheadJ! / a.totalEnergyJ + b.interleavingOverheadJ! / b.totalEnergyJ) / 2;
    expect(summary.overheadShare).toBeCloseTo(share, 12);
    // Phases in situ less alone, plus the gaps, are the overhead: the figures add up.
    const inSituWh = Object.values(summary.phases).reduce((sum, p) => sum + p.inSituWh, 0);
    const aloneWh = Object.values(summary.phases).reduce((sum, p) => sum + p.aloneWh, 0);
    const gapsWh = (toWh(a.unattributedEnergyJ, 300) + toWh(b.unattributedEnergyJ, 300)) / 2;
    const totalWh = (toWh(a.totalEnergyJ, 300) + toWh(b.totalEnergyJ, 300)) / 2;
    expect(inSituWh + gapsWh).toBeCloseTo(totalWh, 9);
    expect(summary.overheadWh).toBeCloseTo(inSituWh - aloneWh, 9);
  });

  it('none without alone figures, and a run missing one of them is left out, never averaged as 0 J', () => {
    const plain = readMinimal();
    expect(isolatedSummary(plain.runs)).toBeNull();
    const report = reportWithAlone();
    report.runs[1]!.phases.decode!.isolatedEnergyJ = null;
    expect(isolatedSummary(report.runs)!.runs).toBe(2);
  });

  it('report.html shows them in their own section, exact values in data-value; no section without them', () => {
    const report = reportWithAlone();
    const summary = isolatedSummary(report.runs)!;
    const html = buildReportHtml(report, null);
    const value = (id: string) => Number(new RegExp(`data-testid="${id}" data-value="([^"]*)"`).exec(html)![1]);
    expect(html).toContain('<section id="alone"');
    for (const [phase, p] of Object.entries(summary.phases)) {
      expect(value(`insitu-${phase}`)).toBe(p.inSituWh);
      expect(value(`alone-${phase}`)).toBe(p.aloneWh);
      expect(value(`alone-${phase}-within`)).toBe(p.aloneWithinWh);
    }
    expect(value('interleaving-overhead')).toBe(summary.overheadWh);
    expect(html).toContain(`interleaving overhead (${(summary.overheadShare * 100).toFixed(1)}% of the run)`);
    const plain = readMinimal();
    expect(buildReportHtml(plain, null)).not.toContain('<section id="alone"');
  });
});
