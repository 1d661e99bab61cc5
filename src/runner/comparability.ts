/**
 * Whether a result can stand on the AI Energy Score leaderboard. wattscope runs anywhere; it marks
 * a result as not comparable (never refusing to run) when it was measured on another GPU than an
 * H100 (or a simulated one), when a class A or B model ran on more than one GPU (the leaderboard
 * runs those on one), when it is not 1,000 queries x 10 runs, or when more than 5% of a run's
 * queries failed.
 */
import type { WattscopeReport } from '../formats/report-types.js';

export type ModelClass = 'A' | 'B' | 'C';

export interface Comparability {
  /** True when nothing below stands in the way. */
  leaderboardComparable: boolean;
  /** Why not, one sentence each. */
  reasons: string[];
}

/** The methodology's dataset size and run count. */
const QUERIES = 1000;
const RUNS = 10;
/** A run with more failed queries than this share is a partial failure (the pipeline's wording). */
const PARTIAL_FAILURE_SHARE = 0.05;

export function assessComparability(report: WattscopeReport, modelClass: ModelClass | null): Comparability {
  const reasons: string[] = [];
  const gpus = report.device.gpus;
  const names = [...new Set(gpus.map((g) => g.name ?? 'an unnamed GPU'))];
  if (report.device.simulated) reasons.push('measured on the simulated GPU, not a real one');
  else if (names.some((n) => !/H100/i.test(n))) reasons.push(`measured on ${names.join(' + ')}, not an NVIDIA H100`);
  if (gpus.length > 1) {
    if (modelClass === 'A' || modelClass === 'B')
      reasons.push(`a class ${modelClass} model ran on ${gpus.length} GPUs; the leaderboard runs classes A and B on one`);
    else if (modelClass === null) reasons.push(`${gpus.length} GPUs and no model class given: classes A and B run on one GPU on the leaderboard`);
  }
  const rows = report.benchmark.dataset.rows;
  if (rows !== QUERIES) reasons.push(`${rows} queries per run, not the methodology's ${QUERIES.toLocaleString('en-US')}`);
  const included = report.runs.filter((r) => r.included).length;
  if (included !== RUNS) reasons.push(`${included} run${included === 1 ? '' : 's'} in the mean, not ${RUNS}`);
  for (const run of report.runs) {
    if (run.queries > 0 && run.failedQueries / run.queries > PARTIAL_FAILURE_SHARE) {
      reasons.push(`PARTIAL FAILURE: ${run.failedQueries} of ${run.queries} queries failed in run ${run.index}`);
    }
  }
  return { leaderboardComparable: reasons.length === 0, reasons };
}
