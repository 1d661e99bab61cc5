/**
 * What `wattscope run` benchmarks: the config from a file and flags, the handler it names (the
 * synthetic workload, an endpoint, a GGUF model through node-llama-cpp, or a module's export), and
 * how the report names and identifies it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WattscopeError } from '../util/errors.js';
import { checkEndpointAnswers } from '../server/endpoint-check.js';
import { parseOptions } from '../util/options.js';
import { EndpointConfigSchema, loadRunConfig, RunConfigSchema, type EndpointConfig, type RunConfig } from '../runner/config.js';
import { parseReasoningState, reasoningClientSettings, reasoningRequest } from '../server/reasoning.js';
import type { BenchmarkHandler } from '../runner/runner.js';
import { syntheticHandler } from '../runner/synthetic.js';
import { OpenAIStreamClient } from '../server/client.js';
import { endpointHandler } from '../server/serving.js';
import { SimPowerControl } from '../sim/power-control.js';
import { choice, positiveInt, REPORT_FORMATS, SCORE_METHODS, str, type Flags } from './common.js';

/** --max-num-seqs 8,16,32: positive integers, each once. */
function maxNumSeqsFrom(raw: string): number[] {
  const values = raw.split(',').map((part) => positiveInt(part.trim(), 'max-num-seqs', 1));
  if (new Set(values).size !== values.length)
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--max-num-seqs lists a value twice: ${raw}`, { field: 'max-num-seqs' });
  return values;
}

/** Flags override the config; with no config, --endpoint, --model, --dataset and --out describe the run. */
export function configFrom(values: Flags, file: string | undefined): RunConfig {
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
        ...(values['free-length'] === true
          ? // Answers of the model's own length, up to a maximum (the ML.ENERGY leaderboard's way).
            { maxNewTokens: positiveInt(str(values, 'max-new-tokens'), 'max-new-tokens', 1024), minNewTokens: null, ignoreEos: false }
          : str(values, 'max-new-tokens')
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
  if (str(values, 'max-num-seqs')) base.maxNumSeqs = maxNumSeqsFrom(str(values, 'max-num-seqs')!);
  if (values.simulate === true) base.simulate = true;
  const format = choice(str(values, 'format'), REPORT_FORMATS, 'format');
  if (format) base.reportFormat = format;
  const method = choice(str(values, 'method'), SCORE_METHODS, 'method');
  if (method) base.scoreMethod = method;
  const modelClass = choice(str(values, 'class'), ['A', 'B', 'C'] as const, 'class');
  if (modelClass) base.modelClass = modelClass;
  if (str(values, 'model') && !base.model) base.model = str(values, 'model');
  return parseOptions(RunConfigSchema, base, file ? 'config' : 'run flags', 'WATTSCOPE_BAD_CONFIG', file ? { file } : {});
}

/** What the config's handler is, for resuming: the module's path and content hash, the endpoint and its request settings, or the synthetic workload. */
export function handlerIdentityOf(config: RunConfig): string {
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
export function workloadOf(config: RunConfig): string {
  const h = config.handler;
  if ('synthetic' in h) return 'synthetic';
  if ('endpoint' in h) return `endpoint ${h.endpoint}`;
  if ('llama' in h) return `node-llama-cpp ${path.basename(h.llama.modelPath)}`;
  return h.module;
}

/** The benchmark handler a config names: the synthetic workload, an endpoint, a GGUF model through node-llama-cpp, or a module's export. */
export async function handlerFrom(config: RunConfig, where: string): Promise<BenchmarkHandler> {
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
    // Before anything is measured (idle power included): a dead endpoint is one sentence, not a score.
    await checkEndpointAnswers(e.endpoint, e.connectTimeoutMs, apiKey);
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
