/** Writes report.html for a result directory (wattscope-report.json and, where present, timeline.json). */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { WattscopeError } from '../util/errors.js';
import { badResult, readJsonFile, readResult, wattscopeReportResult, type BenchmarkResult } from '../formats/result-reader.js';
import { writeFileAtomic } from '../util/atomic.js';
import { WattscopeReportSchema } from '../formats/report-schema.js';
import { labelSvg } from '../scoring/label.js';
import { placeResult, readLeaderboard } from '../scoring/leaderboard.js';
import { buildReportHtml, type ReportPageExtras } from './html.js';
import { buildResultHtml } from './result-page.js';
import type { TimelineFile } from '../formats/timeline-recorder.js';
import { TimelineFileSchema } from '../formats/timeline-schema.js';

export interface ReportPageOptions {
  /** A leaderboard CSV to rate the result against (adds stars and the label). */
  leaderboard?: string;
  class?: string;
  model?: string;
  /** Output file (default DIR/report.html). */
  out?: string;
}

/** report.html for a result directory: a wattscope benchmark's full page, or the summary page of a result of another tool. */
export function writeReportPage(dir: string, options: ReportPageOptions = {}): string {
  const file = path.join(dir, 'wattscope-report.json');
  if (!existsSync(file)) return writeResultPage(dir, options);
  const parsed = WattscopeReportSchema.safeParse(readJsonFile(file));
  if (!parsed.success)
    throw new WattscopeError(
      'WATTSCOPE_BAD_REPORT',
      `${file}: not a wattscope report (${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message})`,
      { file },
    );
  const report = parsed.data;
  const tlFile = path.join(dir, 'timeline.json');
  const timeline = existsSync(tlFile) ? readTimelineFile(tlFile) : null;
  const rated = report.aggregate && report.aggregate.totalWhPer1000.n > 0;
  const extras = rated ? ratingExtras(options, wattscopeReportResult(report, file)) : {};
  const out = options.out ?? path.join(dir, 'report.html');
  writeFileAtomic(out, buildReportHtml(report, timeline, extras));
  return out;
}

/** timeline.json as the runner writes it; any other shape is an error naming the file and field. */
function readTimelineFile(file: string): TimelineFile {
  const parsed = TimelineFileSchema.safeParse(readJsonFile(file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw badResult(file, `not a wattscope timeline (${field || 'file'}: ${issue.message})`, field || undefined);
  }
  return parsed.data;
}

/** The summary page of a result wattscope did not measure (optimum-benchmark, ai_energy_benchmarks, a summary file). */
function writeResultPage(dir: string, options: ReportPageOptions): string {
  const result = readResult(dir);
  const extras = ratingExtras(options, result);
  const out = options.out ?? path.join(existsSync(dir) && statSync(dir).isDirectory() ? dir : path.dirname(dir), 'report.html');
  writeFileAtomic(out, buildResultHtml(result, extras));
  return out;
}

/** The stars and the label of a result rated against `options.leaderboard` (in its group), or nothing without one. */
function ratingExtras(options: ReportPageOptions, result: BenchmarkResult): ReportPageExtras {
  if (!options.leaderboard) return {};
  const model = options.model ?? result.model ?? 'this result';
  const placed = placeResult(readLeaderboard(options.leaderboard), {
    model,
    energyWh: result.energyWh,
    class: options.class ?? null,
    task: result.task,
    reasoning: result.reasoning,
  });
  return {
    stars: placed.entry.stars,
    leaderboard: path.basename(options.leaderboard),
    labelSvg: labelSvg({
      model,
      date: result.date ?? new Date().toISOString().slice(0, 10),
      task: result.task ?? 'unknown task',
      hardware: result.hardware ?? 'unknown GPU',
      energyWh: placed.entry.energyWh,
      stars: placed.entry.stars,
      notComparable: result.warnings,
    }),
  };
}
