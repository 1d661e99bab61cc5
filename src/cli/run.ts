/** `wattscope run [config.json] [--endpoint URL --model M ...]`: a benchmark from a config file and/or flags. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WattscopeError } from '../util/errors.js';
import { EnergyMonitor } from '../measure/monitor.js';
import { parseOptions } from '../util/options.js';
import { EndpointConfigSchema, loadRunConfig, RunConfigSchema, type EndpointConfig, type RunConfig } from '../runner/config.js';
import { parseReasoningState, reasoningClientSettings, reasoningLabel, reasoningRequest } from '../server/reasoning.js';
import { runBenchmark, type BenchmarkHandler } from '../runner/runner.js';
import { syntheticHandler } from '../runner/synthetic.js';
import { OpenAIStreamClient } from '../server/client.js';
import { endpointHandler, servingRunStats } from '../server/serving.js';
import { writeReportPage } from '../report/write.js';
import { progressHooks } from './progress-bar.js';
import { SimPowerControl } from '../sim/power-control.js';
import { printBenchmark } from './benchmark-output.js';
import { choice, parse, positiveInt, REPORT_FORMATS, str, type Flags } from './common.js';

export const runHelp = `wattscope run [config.json] [--endpoint URL --model NAME] [--dataset PATH] [--task T] [--out DIR]
  [--runs N] [--concurrency N] [--max-new-tokens N] [--api chat|completions] [--reasoning STATE] [--class A|B|C] [--simulate] [--format F] [--json] [--fresh]
  Runs a benchmark: a config file (dataset, handler: a module, an endpoint or {"llama": {"modelPath": …}},
  runs, phases, output directory),
  or an OpenAI-compatible endpoint given by flags. Ctrl-C stops cleanly and writes what was measured.
  --reasoning: a reasoning model's state, Off, On or On (Low|Medium|High) (off: 10 new tokens; on: up to 8,192).
  --class: the model's class, for the leaderboard comparability check (A and B run on one GPU there).
  --format: the AI Energy Score report format, optimum, ai-energy-benchmarks or both (default; the
  ai_energy_benchmarks files then go to DIR/ai_energy_benchmarks/).`;

/** Flags override the config; with no config, --endpoint, --model, --dataset and --out describe the run. */
function configFrom(values: Flags, file: string | undefined): RunConfig {
  const base: Record<string, unknown> = file ? { ...loadRunConfig(file) } : {};
  const endpoint = str(values, 'endpoint');
  if (endpoint) {
    const handler = parseOptions(
      EndpointConfigSchema,
      {
        endpoint,
        model: str(values, 'model'),
        ...(str(values, 'api') ? { api: str(values, 'api') } : {}),
        ...(str(values, 'reasoning') ? { reasoning: str(values, 'reasoning') } : {}),
        ...(str(values, 'max-new-tokens')
          ? {
              maxNewTokens: positiveInt(str(values, 'max-new-tokens'), 'max-new-tokens', 10),
              minNewTokens: positiveInt(str(values, 'max-new-tokens'), 'max-new-tokens', 10),
            }
          : {}),
      },
      'endpoint flags',
    );
    base.handler = handler;
  }
  const dataset = str(values, 'dataset');
  if (dataset) base.dataset = { path: path.resolve(dataset), ...(str(values, 'task') ? { task: str(values, 'task') } : {}) };
  if (str(values, 'task')) base.task = str(values, 'task');
  if (str(values, 'out')) base.outDir = path.resolve(str(values, 'out')!);
  if (str(values, 'runs')) base.runs = positiveInt(str(values, 'runs'), 'runs', 10);
  if (str(values, 'concurrency')) base.concurrency = positiveInt(str(values, 'concurrency'), 'concurrency', 1);
  if (values.simulate === true) base.simulate = true;
  const format = choice(str(values, 'format'), REPORT_FORMATS, 'format');
  if (format) base.reportFormat = format;
  const modelClass = choice(str(values, 'class'), ['A', 'B', 'C'] as const, 'class');
  if (modelClass) base.modelClass = modelClass;
  if (str(values, 'model') && !base.model) base.model = str(values, 'model');
  return parseOptions(RunConfigSchema, base, file ? 'config' : 'run flags', 'WATTSCOPE_BAD_CONFIG', file ? { file } : {});
}

/** What the config's handler is, for resuming: the module's path and content hash, the endpoint and its request settings, or the synthetic workload. */
function handlerIdentityOf(config: RunConfig): string {
  const h = config.handler;
  if ('synthetic' in h) return 'synthetic workload';
  if ('llama' in h) {
    const { size, mtimeMs } = statSync(h.llama.modelPath);
    return `llama ${JSON.stringify(h.llama)} ${size} bytes, modified ${new Date(mtimeMs).toISOString()}`;
  }
  if ('endpoint' in h) {
    const { endpoint, model, api, maxNewTokens, minNewTokens, ignoreEos, temperature, reasoning, chatTemplate } = h;
    return `endpoint ${JSON.stringify({ endpoint, model, api, maxNewTokens, minNewTokens, ignoreEos, temperature, reasoning, chatTemplate })}`;
  }
  return `module ${h.module}#${h.export} sha256:${createHash('sha256').update(readFileSync(h.module)).digest('hex')}`;
}

/** A reasoning model's request settings (tokens, body fields, prompt switch), or none when no reasoning state is given. */
function reasoningSettings(e: EndpointConfig, where: string) {
  if (e.reasoning === undefined) return {};
  let state;
  try {
    state = parseReasoningState(e.reasoning);
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_BAD_CONFIG', `${where}: ${(err as Error).message}`, { field: 'handler.reasoning', file: where });
  }
  return reasoningClientSettings(reasoningRequest(state, e.chatTemplate, e.model));
}

/** The workload's name in the report. */
function workloadOf(config: RunConfig): string {
  const h = config.handler;
  if ('synthetic' in h) return 'synthetic';
  if ('endpoint' in h) return `endpoint ${h.endpoint}`;
  if ('llama' in h) return `node-llama-cpp ${path.basename(h.llama.modelPath)}`;
  return h.module;
}

/** The benchmark handler a config names: the synthetic workload, an endpoint, a GGUF model through node-llama-cpp, or a module's export. */
async function handlerFrom(config: RunConfig, where: string): Promise<BenchmarkHandler> {
  if ('synthetic' in config.handler) {
    if (!config.simulate)
      throw new WattscopeError('WATTSCOPE_BAD_CONFIG', `${where}: the synthetic handler drives the simulated GPU: set "simulate": true`, {
        field: 'simulate',
        file: where,
      });
    return syntheticHandler(SimPowerControl.create());
  }
  if ('endpoint' in config.handler) {
    const e = config.handler;
    const apiKey = e.apiKeyEnv ? (process.env[e.apiKeyEnv] ?? null) : null;
    return endpointHandler(new OpenAIStreamClient({ ...e, apiKey, ...reasoningSettings(e, where) })) as BenchmarkHandler;
  }
  if ('llama' in config.handler) {
    if (!existsSync(config.handler.llama.modelPath)) {
      throw new WattscopeError('WATTSCOPE_BAD_CONFIG', `${where}: no model file at ${config.handler.llama.modelPath}`, {
        field: 'handler.llama.modelPath',
        file: where,
      });
    }
    // Loaded here: node-llama-cpp, an optional peer dependency, is needed by this handler only.
    const { llamaHandler } = await import('../llama/llama-handler.js');
    return llamaHandler({ ...config.handler.llama, sequences: Math.max(config.handler.llama.sequences, config.concurrency) });
  }
  const mod = (await import(pathToFileURL(config.handler.module).href)) as Record<string, unknown>;
  const fn = mod[config.handler.export];
  if (typeof fn !== 'function') {
    throw new WattscopeError('WATTSCOPE_BAD_CONFIG', `${config.handler.module} has no function export "${config.handler.export}"`, {
      field: 'handler.export',
      file: where,
    });
  }
  return fn as BenchmarkHandler;
}

const RUN_FLAGS = {
  json: { type: 'boolean' },
  fresh: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  simulate: { type: 'boolean' },
  endpoint: { type: 'string' },
  model: { type: 'string' },
  dataset: { type: 'string' },
  task: { type: 'string' },
  out: { type: 'string' },
  runs: { type: 'string' },
  concurrency: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  api: { type: 'string' },
  format: { type: 'string' },
  class: { type: 'string' },
  reasoning: { type: 'string' },
} as const;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, RUN_FLAGS, true);
  if (values.help) {
    process.stdout.write(runHelp + '\n');
    return 0;
  }
  if (positionals.length > 1) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give at most one config file: wattscope run [config.json]');
  if (positionals.length === 0 && !str(values, 'endpoint'))
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give a config file, or --endpoint URL --model NAME --dataset PATH --out DIR');
  const config = configFrom(values, positionals[0]);
  const where = positionals[0] ?? 'flags';
  const handler = await handlerFrom(config, where);
  const stop = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nwattscope: stopping: aborting the requests in flight and writing what was measured\n');
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  const monitor = await EnergyMonitor.open({
    simulate: config.simulate,
    gpus: config.gpus,
    sampleHz: config.sampleHz,
    cpu: config.cpu,
    ...(config.cpuEstimate ? { cpuEstimate: config.cpuEstimate } : {}),
  });
  const progress = progressHooks(values.json !== true);
  try {
    const report = await runBenchmark({
      dataset: config.dataset,
      handler,
      handlerIdentity: handlerIdentityOf(config),
      ...('endpoint' in config.handler ? { runStats: servingRunStats } : {}),
      runs: config.runs,
      warmup: config.warmup,
      phases: 'endpoint' in config.handler ? ['prefill', 'decode'] : config.phases,
      outDir: config.outDir,
      ...(config.task ? { task: config.task } : {}),
      ...(config.model ? { model: config.model } : {}),
      workload: workloadOf(config),
      monitor,
      concurrency: config.concurrency,
      signal: stop.signal,
      randomDelayMaxS: config.randomDelayMaxS,
      ...(config.cooldown ? { cooldown: config.cooldown } : {}),
      idleMeasureS: config.idleMeasureS,
      subtractIdle: config.subtractIdle,
      excludeUnstable: config.excludeUnstable,
      resume: values.fresh ? 'never' : 'auto',
      reportFormat: config.reportFormat,
      ...('endpoint' in config.handler && config.handler.reasoning !== undefined
        ? { reasoning: reasoningLabel(parseReasoningState(config.handler.reasoning)) }
        : {}),
      ...(config.modelClass ? { modelClass: config.modelClass } : {}),
      ...(config.nodes ? { nodes: config.nodes } : {}),
      onProgress: progress.onProgress,
      log: (line) => process.stderr.write(`wattscope: ${line}\n`),
    });
    progress.finish();
    // The library writes data files only; the page is the CLI's.
    writeReportPage(config.outDir);
    printBenchmark(report, config.outDir, values.json === true);
    return report.status === 'interrupted' ? 130 : 0;
  } finally {
    progress.finish();
    process.off('SIGINT', onSigint);
    await monitor.close();
    await (handler as { close?: () => Promise<void> }).close?.();
  }
}
