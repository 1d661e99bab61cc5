/**
 * A report's phases by the AI Energy Score's separate passes beside the same runs' phases in situ,
 * over its included runs, in Wh per 1,000 queries as measured (idle not subtracted): what the
 * console and report.html show where scoreMethod 'separate-passes' ran. Pure arithmetic on the runs.
 */
import type { WattscopeReport } from '../formats/report-types.js';
import { meanWhPer1000 } from './isolated-summary.js';

type ReportRun = WattscopeReport['runs'][number];

/** One phase over the runs: by separate passes (its pass less the pass before) and in situ, each with its ~95% half-width. */
export interface PhaseByPasses {
  passesWh: number;
  passesWithinWh: number;
  inSituWh: number;
  inSituWithinWh: number;
}

export interface PassesSummary {
  /** The included runs that have the passes' figures. */
  runs: number;
  phases: Record<string, PhaseByPasses>;
}

/**
 * The mean over the included runs whose separate passes all ran (null where none did). A phase the
 * passes have and the run's scopes lack (or the other way) leaves that run out rather than adding 0 J.
 */
export function passesSummary(runs: readonly ReportRun[]): PassesSummary | null {
  const withPasses = runs.filter((r) => r.included && r.queries > 0 && r.separatePasses);
  if (withPasses.length === 0) return null;
  const names = Object.keys(withPasses[0]!.separatePasses!.phases);
  const comparable = withPasses.filter((r) => names.every((name) => r.separatePasses!.phases[name] !== undefined && r.phases[name] !== undefined));
  if (comparable.length === 0) return null;
  const meanWh = (figure: (r: ReportRun) => number) => meanWhPer1000(comparable, figure);
  const phases: Record<string, PhaseByPasses> = {};
  for (const name of names) {
    phases[name] = {
      passesWh: meanWh((r) => r.separatePasses!.phases[name]!.energyJ),
      passesWithinWh: meanWh((r) => r.separatePasses!.phases[name]!.uncertaintyJ),
      inSituWh: meanWh((r) => r.phases[name]!.energyJ),
      inSituWithinWh: meanWh((r) => r.phases[name]!.uncertaintyJ),
    };
  }
  return { runs: comparable.length, phases };
}
