/**
 * `wattscope export --format mlenergy RESULT_DIR… --out FILE` writes the results as ML.ENERGY V3
 * LLM records (Parquet or JSONL, by the extension); `wattscope compare --mlenergy RUNS RESULT_DIR`
 * places a result among the dataset's runs of the same task and GPU model.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { readMlEnergyRuns, writeRecords, type MlEnergyRecords } from '../formats/mlenergy-file.js';
import { diffusionRecordOfReport, isDiffusionResult, llmRecordOf } from '../formats/mlenergy-records.js';
import type { WattscopeReport } from '../formats/report-types.js';
import { parseWattscopeReport, readJsonFile } from '../formats/result-reader.js';
import { compareWithMlEnergy } from '../scoring/mlenergy-compare.js';
import { WattscopeError } from '../util/errors.js';
import { parse, str } from './common.js';

export const exportHelp = `wattscope export --format mlenergy RESULT_DIR... --out FILE.parquet|FILE.jsonl
  Writes each result (its wattscope-report.json) as an ML.ENERGY Benchmark V3 record. LLM: the
  steady state's energy per output token, throughput, average power, mean ITL and is_stable by
  their rules, then wattscope's own columns (latency percentiles, TTFT, energy per request,
  response length, idle power, method and uncertainty). Image or video generation (a handler
  returning diffusion batches): energy per generation, batch size, resolution, batch latency, power.`;

export const compareHelp = `wattscope compare --mlenergy RUNS.parquet|RUNS.jsonl RESULT_DIR [--json]
  Places a result among the ML.ENERGY dataset's LLM runs of the same task and GPU model: its rank and
  percentile in energy per output token, and the nearest runs by model size and batch size.`;

/** A result directory's (or wattscope-report.json's) report, with the file it came from. */
function reportOfResult(target: string): { report: WattscopeReport; file: string } {
  const file = existsSync(target) && statSync(target).isDirectory() ? path.join(target, 'wattscope-report.json') : target;
  if (!existsSync(file)) throw new WattscopeError('WATTSCOPE_BAD_REPORT', `${file}: no such file (a result directory holds wattscope-report.json)`, { file });
  return { report: parseWattscopeReport(file, readJsonFile(file)), file };
}

/** The results as records of one kind: LLM, or diffusion (image or video generation). */
function recordsOfResults(targets: string[]): MlEnergyRecords {
  const results = targets.map(reportOfResult);
  const diffusion = results.filter((r) => isDiffusionResult(r.report));
  if (diffusion.length === 0) return { kind: 'llm', records: results.map((r) => llmRecordOf(r.report, r.file)) };
  if (diffusion.length === results.length) return { kind: 'diffusion', records: results.map((r) => diffusionRecordOfReport(r.report, r.file)) };
  throw new WattscopeError(
    'WATTSCOPE_INVALID_ARGUMENT',
    `${diffusion[0]!.file} is of image or video generation and others are not: export LLM and diffusion results to separate files`,
    {
      field: 'RESULT_DIR',
    },
  );
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    process.stdout.write(exportHelp + '\n');
    return 0;
  }
  if (str(values, 'format') !== 'mlenergy')
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', '--format mlenergy is the format export writes', { field: 'format' });
  const out = str(values, 'out');
  if (!out) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give the file to write: --out FILE.parquet or FILE.jsonl', { field: 'out' });
  if (positionals.length === 0) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give at least one result directory', { field: 'RESULT_DIR' });
  const records = recordsOfResults(positionals);
  await writeRecords(out, records);
  const count = records.records.length;
  process.stdout.write(`wrote ${count} ML.ENERGY ${records.kind === 'llm' ? 'LLM' : 'diffusion'} record${count === 1 ? '' : 's'} to ${out}\n`);
  return 0;
}

export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { mlenergy: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    process.stdout.write(compareHelp + '\n');
    return 0;
  }
  const dataset = str(values, 'mlenergy');
  if (!dataset) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give the ML.ENERGY runs: --mlenergy RUNS.parquet', { field: 'mlenergy' });
  if (positionals.length !== 1) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give one result directory to compare', { field: 'RESULT_DIR' });
  const { report, file } = reportOfResult(positionals[0]!);
  if (isDiffusionResult(report)) {
    throw new WattscopeError(
      'WATTSCOPE_INVALID_ARGUMENT',
      `${file}: compare places LLM results by energy per token; this one is of image or video generation`,
      { field: 'RESULT_DIR' },
    );
  }
  const record = llmRecordOf(report, file);
  const comparison = compareWithMlEnergy(record, (await readMlEnergyRuns(dataset)).llm);
  if (values.json) {
    process.stdout.write(JSON.stringify({ record, comparison }) + '\n');
    return 0;
  }
  const lines = [
    `${record.model_id} on ${record.gpu_model}, max_num_seqs ${record.max_num_seqs}: ${record.energy_per_token_joules.toFixed(4)} J/token${record.is_stable ? '' : ` (not stable: ${record.stability_reasons})`}`,
  ];
  if (comparison.rank === null) lines.push(`no ML.ENERGY run of task ${record.task} on ${record.gpu_model} to compare with`);
  else {
    lines.push(
      `rank ${comparison.rank} of ${comparison.peers} runs of ${record.task} on ${record.gpu_model}; uses no more energy per token than ${comparison.percentile!.toFixed(1)}% of them`,
    );
    for (const near of comparison.nearest) {
      lines.push(`  near: row ${near.row} ${near.model_id}, max_num_seqs ${near.max_num_seqs}: ${near.energy_per_token_joules.toFixed(4)} J/token`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
