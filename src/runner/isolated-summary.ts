/**
 * A report's phases in situ and alone, and what interleaving them cost, over its included runs, in
 * Wh per 1,000 queries as measured (idle not subtracted): the figures the console and report.html
 * show beside the score. Pure arithmetic on the report's runs.
 */
import type { WattscopeReport } from '../formats/report-types.js';

type ReportRun = WattscopeReport['runs'][number];

/** One phase over the runs: in situ (what the GPU drew while it ran) and alone, each with its ~95% half-width. */
export interface PhaseInSituAndAlone {
  inSituWh: number;
  inSituWithinWh: number;
  aloneWh: number;
  aloneWithinWh: number;
}

export interface IsolatedSummary {
  /** The included runs that have the alone figures (a calibration pass ran before them). */
  runs: number;
  phases: Record<string, PhaseInSituAndAlone>;
  /** The runs less their gaps and their phases alone, Wh per 1,000 queries, with its ~95% half-width. */
  overheadWh: number;
  overheadWithinWh: number;
  /** The overhead's mean share of the run's energy (a fraction). */
  overheadShare: number;
}

/** A figure of each run, J as measured, as Wh per 1,000 of the run's queries, averaged over `runs`. */
export function meanWhPer1000(runs: readonly ReportRun[], figureJ: (r: ReportRun) => number): number {
  return runs.reduce((sum, r) => sum + (figureJ(r) * (1000 / r.queries)) / 3600, 0) / runs.length;
}

/**
 * The mean over the included runs that carry the alone figures; null where none does (no
 * calibration pass, or a report older than them). A phase missing from a run is an error of the
 * report, not a zero: such a run is left out rather than averaged as 0 J.
 */
export function isolatedSummary(runs: readonly ReportRun[]): IsolatedSummary | null {
  const withAlone = runs.filter(
    (r) =>
      r.included &&
      r.queries > 0 &&
      typeof r.interleavingOverheadJ === 'number' &&
      typeof r.interleavingOverheadUncertaintyJ === 'number' &&
      Object.values(r.phases).every((p) => typeof p.isolatedEnergyJ === 'number' && typeof p.isolatedUncertaintyJ === 'number'),
  );
  if (withAlone.length === 0) return null;
  const names = Object.keys(withAlone[0]!.phases);
  const comparable = withAlone.filter((r) => names.every((name) => r.phases[name] !== undefined));
  const meanWh = (figure: (r: ReportRun) => number) => meanWhPer1000(comparable, figure);
  const phases: Record<string, PhaseInSituAndAlone> = {};
  for (const name of names) {
    phases[name] = {
      inSituWh: meanWh((r) => r.phases[name]!.energyJ),
      inSituWithinWh: meanWh((r) => r.phases[name]!.uncertaintyJ),
      aloneWh: meanWh((r) => r.phases[name]!.isolatedEnergyJ!),
      aloneWithinWh: meanWh((r) => r.phases[name]!.isolatedUncertaintyJ!),
    };
  }
  return {
    runs: comparable.length,
    phases,
    overheadWh: meanWh((r) => r.interleavingOverheadJ!),
    overheadWithinWh: meanWh((r) => r.interleavingOverheadUncertaintyJ!),
    overheadShare: comparable.reduce((sum, r) => sum + r.interleavingOverheadJ! / r.totalEnergyJ, 0) / comparable.length,
  };
}
