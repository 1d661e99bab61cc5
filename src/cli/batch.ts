/**
 * `wattscope batch MODELS.csv --endpoint URL --dataset FILE --out DIR`: every model of the AI Energy
 * Score's model list, in each one's reasoning state, against one OpenAI-compatible endpoint, one
 * directory per model and state (`<model, its / as %2F>_<state>`), and master_results.csv over them
 * all, rewritten after each model. A model that fails keeps its row with the error and the batch
 * goes on; run again, it resumes (finished models are skipped, a model's own runs resume).
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { toAiEnergyBenchmarksReport } from '../formats/ai-energy-benchmarks.js';
import { masterResultsCsv, masterResultsRow, type MasterResultsRow } from '../formats/master-results.js';
import { badResult, parseWattscopeReport, readJsonFile } from '../formats/result-reader.js';
import { EnergyMonitor } from '../monitor/monitor.js';
import { runBenchmark, type BenchmarkHandler } from '../runner/runner.js';
import { OpenAIStreamClient } from '../server/client.js';
import { checkEndpointAnswers } from '../server/endpoint-check.js';
import { unscoredReason } from '../runner/analysis.js';
import { readModelList, type ModelListEntry } from '../server/model-list.js';
import { reasoningClientSettings, reasoningLabel, reasoningRequest } from '../server/reasoning.js';
import { endpointHandler, servingRunStats } from '../server/serving.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { WattscopeError } from '../util/errors.js';
import { choice, parse, positiveInt, REPORT_FORMATS, str } from './common.js';

export const batchHelp = `wattscope batch MODELS.csv --endpoint URL --dataset FILE --out DIR [--runs N] [--warmup N] [--format F] [--simulate] [--fresh]
  Benchmarks every model of an AI Energy Score model list (columns "Models to Add", "Class", "Task",
  "Reasoning State", "Chat Template") against one OpenAI-compatible endpoint, one directory per model
  and reasoning state, and writes DIR/master_results.csv. A failed model keeps its row with the error.`;

const ERROR_FILE = 'batch-error.json';

/**
 * Where a model's results go: <model>_<state>, the model's name percent-encoded where it holds a
 * path separator or a percent sign (org/model is org%2Fmodel), so that no two names share a
 * directory (org_model stays org_model) and no name leaves the batch directory.
 */
export function modelDirName(entry: ModelListEntry): string {
  const encoded = entry.model.replace(/[%/\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `${encoded}_${reasoningLabel(entry.reasoning)}`;
}

/** The finished report of a model's directory, or null; a report of another shape is an error naming it. */
function finishedReport(dir: string) {
  const file = path.join(dir, 'wattscope-report.json');
  if (!existsSync(file)) return null;
  const report = parseWattscopeReport(file, readJsonFile(file));
  return report.status === 'complete' ? report : null;
}

/** A text task, which an OpenAI-compatible text endpoint serves: text_gen, text-generation, or none given. */
const TEXT_TASK = /^(text[_-]?gen(eration)?)?$/i;

/** Why the endpoint cannot serve this task (image generation, say), or null when it can. */
function unservableTask(task: string): string | null {
  if (TEXT_TASK.test(task.trim())) return null;
  return `task "${task}" is not text generation: wattscope batch benchmarks an OpenAI-compatible text endpoint (measure this model with a handler of your own)`;
}

/** The master_results.csv identity of a list entry. */
function modelOf(entry: ModelListEntry) {
  return { model: entry.model, modelClass: entry.modelClass, task: entry.task, reasoningState: entry.reasoningText || reasoningLabel(entry.reasoning) };
}

/** One model's row: its pass, or its recorded failure; null when it has not run yet. */
function rowOf(entry: ModelListEntry, dir: string): MasterResultsRow | null {
  const model = modelOf(entry);
  const errorFile = path.join(dir, ERROR_FILE);
  if (existsSync(errorFile)) {
    const failure = readJsonFile(errorFile) as { error?: unknown; at?: unknown } | null;
    if (typeof failure?.error !== 'string' || typeof failure.at !== 'string')
      throw badResult(errorFile, 'expected {"error": "...", "at": "<ISO time>"}', 'error');
    return masterResultsRow(model, null, failure.error, failure.at);
  }
  const report = finishedReport(dir);
  return report ? masterResultsRow(model, toAiEnergyBenchmarksReport(report), null, report.updatedAt) : null;
}

interface BatchSettings {
  endpoint: string;
  dataset: string;
  out: string;
  runs: number;
  warmup: number;
  reportFormat: (typeof REPORT_FORMATS)[number];
  fresh: boolean;
}

/** Benchmarks one model; a failure (thrown, or no query answered) is recorded in its directory. */
async function benchmarkModel(entry: ModelListEntry, dir: string, monitor: EnergyMonitor, s: BatchSettings): Promise<string> {
  rmSync(path.join(dir, ERROR_FILE), { force: true }); // a retry: the last failure no longer stands
  const request = reasoningRequest(entry.reasoning, entry.chatTemplate, entry.model);
  const settings = {
    endpoint: s.endpoint,
    model: entry.model,
    api: 'chat' as const,
    temperature: 0,
    connectTimeoutMs: 10_000,
    readTimeoutMs: 60_000,
    retries: 2,
    apiKey: null,
  };
  const client = new OpenAIStreamClient({ ...settings, ...reasoningClientSettings(request) });
  try {
    const report = await runBenchmark({
      dataset: { path: s.dataset },
      handler: endpointHandler(client) as BenchmarkHandler,
      handlerIdentity: `endpoint ${JSON.stringify({ endpoint: s.endpoint, model: entry.model, reasoning: request.label, template: entry.chatTemplate })}`,
      runStats: servingRunStats,
      phases: ['prefill', 'decode'],
      calibration: false, // a streamed request's prefill cannot be run again alone
      outDir: dir,
      runs: s.runs,
      warmup: s.warmup,
      model: entry.model,
      reasoning: request.label,
      ...(entry.task ? { task: entry.task } : {}),
      ...(entry.modelClass ? { modelClass: entry.modelClass } : {}),
      monitor,
      reportFormat: s.reportFormat,
      resume: s.fresh ? 'never' : 'auto',
      randomDelayMaxS: 0.2,
      idleMeasureS: 0.5,
    });
    const answered = report.runs.reduce((sum, r) => sum + r.queries - r.failedQueries, 0);
    if (answered === 0) {
      const codes = Object.entries(report.runs[0]?.errors ?? {}).map(([code, count]) => `${code} x${count}`);
      throw new Error(`no query was answered (${codes.join(', ') || 'no run completed'})`);
    }
    const unscored = unscoredReason(report.runs);
    if (unscored) throw new Error(unscored);
    return `${report.aiEnergyScore ? report.aiEnergyScore.gpuEnergyWh.toFixed(2) : 'n/a'} Wh per 1,000 queries`;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    writeJsonAtomic(path.join(dir, ERROR_FILE), { error, at: new Date().toISOString() });
    return `failed: ${error}`;
  }
}

/** --warmup: queries before each model's runs, an integer from 0 (default 10). */
function warmupOf(text: string | undefined): number {
  if (text === undefined) return 10;
  const warmup = Number(text);
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--warmup must be an integer from 0, got "${text}"`, { field: 'warmup' });
  return warmup;
}

export async function batchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      endpoint: { type: 'string' },
      dataset: { type: 'string' },
      out: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      format: { type: 'string' },
      simulate: { type: 'boolean' },
      fresh: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(batchHelp + '\n');
    return 0;
  }
  const [list] = positionals;
  const settings: BatchSettings = {
    endpoint: str(values, 'endpoint') ?? '',
    dataset: path.resolve(str(values, 'dataset') ?? ''),
    out: path.resolve(str(values, 'out') ?? ''),
    runs: positiveInt(str(values, 'runs'), 'runs', 10),
    warmup: warmupOf(str(values, 'warmup')),
    reportFormat: choice(str(values, 'format'), REPORT_FORMATS, 'format') ?? 'both',
    fresh: values.fresh === true,
  };
  if (!list || positionals.length > 1 || !str(values, 'endpoint') || !str(values, 'dataset') || !str(values, 'out')) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'usage: wattscope batch MODELS.csv --endpoint URL --dataset FILE --out DIR');
  }
  const entries = readModelList(list);
  await checkEndpointAnswers(settings.endpoint, 10_000);
  const dirs = entries.map((e) => path.join(settings.out, modelDirName(e)));
  // Each model's row, read once from its directory and replaced when the model runs.
  const rows = entries.map((e, i) => (settings.fresh ? null : rowOf(e, dirs[i]!)));
  const monitor = await EnergyMonitor.open({ simulate: values.simulate === true });
  try {
    for (const [i, entry] of entries.entries()) {
      const where = `model ${i + 1} of ${entries.length}: ${entry.model} (${reasoningLabel(entry.reasoning)})`;
      if (rows[i] && rows[i]!.error_message === '') {
        process.stderr.write(`wattscope: ${where}: done before, skipped\n`);
        continue;
      }
      const unservable = unservableTask(entry.task);
      if (unservable) {
        process.stderr.write(`wattscope: ${where}: not run: ${unservable}\n`);
        rows[i] = masterResultsRow(modelOf(entry), null, unservable, new Date().toISOString());
        writeFileAtomic(path.join(settings.out, 'master_results.csv'), masterResultsCsv(rows.filter((r): r is MasterResultsRow => r !== null)));
        continue;
      }
      process.stderr.write(`wattscope: ${where}: running\n`);
      process.stderr.write(`wattscope: ${where}: ${await benchmarkModel(entry, dirs[i]!, monitor, settings)}\n`);
      rows[i] = rowOf(entry, dirs[i]!);
      writeFileAtomic(path.join(settings.out, 'master_results.csv'), masterResultsCsv(rows.filter((r): r is MasterResultsRow => r !== null)));
    }
  } finally {
    await monitor.close();
  }
  process.stdout.write(`${path.join(settings.out, 'master_results.csv')}\n`);
  return 0;
}
