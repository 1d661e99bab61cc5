/**
 * `wattscope run … --max-num-seqs 8,16,32`: the ML.ENERGY Benchmark's sweep over the batch size.
 * The same dataset runs at each max_num_seqs (requests in flight at once), each benchmark in its own
 * result directory (OUT/max_num_seqs-N), then OUT/sweep.json (one ML.ENERGY record per point and
 * the Pareto frontier of energy per token against mean ITL) and OUT/sweep.html (its plot).
 */
import path from 'node:path';
import { llmRecordOf, type MlEnergyLlmRecord } from '../formats/mlenergy-records.js';
import type { WattscopeReport } from '../formats/report-types.js';
import { buildSweepHtml, type SweepPagePoint } from '../report/sweep-page.js';
import { writeReportPage } from '../report/write.js';
import type { RunConfig } from '../runner/config.js';
import { paretoFrontier } from '../scoring/pareto.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';

export interface SweepSummary {
  points: Array<SweepPagePoint & { outDir: string; status: WattscopeReport['status'] | 'not-run' }>;
}

/** Runs the benchmark at each max_num_seqs in turn (Ctrl-C ends the sweep after the current one), then writes the summary and its page. */
export async function runSweep(
  config: RunConfig,
  maxNumSeqs: number[],
  benchmark: (pointConfig: RunConfig) => Promise<WattscopeReport>,
  signal: AbortSignal,
): Promise<SweepSummary> {
  const points: SweepSummary['points'] = [];
  for (const n of maxNumSeqs) {
    const outDir = path.join(config.outDir, `max_num_seqs-${n}`);
    if (signal.aborted) {
      points.push({ maxNumSeqs: n, outDir, status: 'not-run', record: null, onFrontier: false, error: 'not run: the sweep was stopped' });
      continue;
    }
    const report = await benchmark({ ...config, concurrency: n, outDir, maxNumSeqs: undefined });
    writeReportPage(outDir);
    let record: MlEnergyLlmRecord | null = null;
    let error: string | null = null;
    try {
      record = llmRecordOf(report, path.join(outDir, 'wattscope-report.json'));
    } catch (err) {
      error = (err as Error).message;
    }
    points.push({ maxNumSeqs: n, outDir, status: report.status, record, onFrontier: false, error });
  }
  const measured = points.filter((p) => p.record !== null);
  const onFrontier = paretoFrontier(measured.map((p) => ({ x: p.record!.mean_itl_ms, y: p.record!.energy_per_token_joules })));
  measured.forEach((p, i) => (p.onFrontier = onFrontier[i]!));
  const summary = { points };
  writeJsonAtomic(path.join(config.outDir, 'sweep.json'), summary);
  writeFileAtomic(path.join(config.outDir, 'sweep.html'), buildSweepHtml(`Sweep of max_num_seqs: ${config.model ?? 'model'}`, points));
  return summary;
}

/** The sweep on the console: a line per point, or the summary as JSON. */
export function printSweep(summary: SweepSummary, outDir: string, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ outDir, ...summary }) + '\n');
    return;
  }
  const lines = ['max_num_seqs sweep (steady state; * on the Pareto frontier of J/token against mean ITL):'];
  for (const p of summary.points) {
    const r = p.record;
    lines.push(
      r
        ? `  ${String(p.maxNumSeqs).padStart(5)}${p.onFrontier ? '*' : ' '} ${r.energy_per_token_joules.toFixed(4)} J/token  ITL ${r.mean_itl_ms.toFixed(2)} ms  ${r.output_throughput_tokens_per_sec.toFixed(1)} tokens/s  ${r.is_stable ? 'stable' : `unstable: ${r.stability_reasons}`}`
        : `  ${String(p.maxNumSeqs).padStart(5)}  ${p.error}`,
    );
  }
  lines.push(`results in ${path.resolve(outDir)} (sweep.json, sweep.html, and max_num_seqs-N/ per point)`);
  process.stdout.write(lines.join('\n') + '\n');
}
