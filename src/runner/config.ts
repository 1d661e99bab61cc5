/** `wattscope run <config>`: the config file, validated with zod (errors name the field and the file). */
import { NodesOptionSchema } from '../fleet/remote-nodes.js';
import { CooldownSchema } from './benchmark-options.js';
import { LlamaHandlerOptionsSchema } from './llama-handler-options.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ScoreMethodSchema } from '../formats/separate-passes-schema.js';
import { WattscopeError } from '../util/errors.js';
import { httpUrl, parseOptions } from '../util/options.js';

/** An OpenAI-compatible endpoint to benchmark (settings like the AI Energy Score configs by default). */
export const EndpointConfigSchema = z
  .object({
    endpoint: httpUrl(),
    model: z.string().min(1),
    api: z.enum(['chat', 'completions']).default('chat'),
    maxNewTokens: z.number().int().min(1).default(10),
    minNewTokens: z.number().int().min(0).nullable().default(10),
    ignoreEos: z.boolean().default(true),
    temperature: z.number().min(0).default(0),
    connectTimeoutMs: z.number().int().min(1).default(10_000),
    readTimeoutMs: z.number().int().min(1).default(60_000),
    /** The longest one query may take, retries included, ms (10 minutes). */
    queryDeadlineMs: z.number().int().min(1).default(600_000),
    retries: z.number().int().min(0).max(10).default(2),
    /**
     * A reasoning model's state for this benchmark: Off, On, or On (Low|Medium|High). Off sends
     * exactly 10 new tokens; on, up to 8,192 (at least one), stopping at the end of generation.
     */
    reasoning: z.string().optional(),
    /** How the model is switched, as the AI Energy Score's model list states it (its "Chat Template" text). */
    chatTemplate: z.string().default(''),
    /** Name of an environment variable holding the API key (never the key itself in a file). */
    apiKeyEnv: z.string().min(1).optional(),
  })
  .strict();
export type EndpointConfig = z.output<typeof EndpointConfigSchema>;

export const RunConfigSchema = z
  .object({
    dataset: z
      .object({
        path: z.string().min(1),
        format: z.enum(['jsonl', 'csv', 'parquet']).optional(),
        task: z.string().optional(),
        columns: z.array(z.string().min(1)).min(1).optional(),
        limit: z.number().int().min(1).optional(),
      })
      .strict(),
    /** The inference code: a module whose export (default: `default`) is a BenchmarkHandler, an endpoint, a GGUF model run by node-llama-cpp, or the synthetic demo workload. */
    handler: z.union(
      [
        z.object({ module: z.string().min(1), export: z.string().min(1).default('default') }).strict(),
        z.object({ synthetic: z.literal(true) }).strict(),
        EndpointConfigSchema,
        z.object({ llama: LlamaHandlerOptionsSchema }).strict(),
      ],
      {
        error:
          'expected {"module": "<path to a module whose default export handles one query>"}, {"endpoint": "<http(s) URL>", "model": "<model name>"}, {"llama": {"modelPath": "<a GGUF file>"}} or {"synthetic": true}',
      },
    ),
    /** Requests in flight at once against an endpoint (1: batch size 1, as AI Energy Score requires). */
    concurrency: z.number().int().min(1).max(1024).default(1),
    /** A sweep over the batch size (the ML.ENERGY Benchmark's): one benchmark per value, each in outDir/max_num_seqs-N. */
    maxNumSeqs: z.array(z.number().int().min(1).max(1024)).min(1).optional(),
    outDir: z.string().min(1),
    runs: z.number().int().min(1).max(1000).default(10),
    warmup: z.number().int().min(0).default(10),
    phases: z.array(z.string().min(1)).min(1).default(['preprocess', 'prefill', 'decode']),
    task: z.string().optional(),
    model: z.string().optional(),
    gpus: z.union([z.literal('all'), z.array(z.union([z.number().int().min(0), z.string().min(1)])).min(1)]).default('all'),
    sampleHz: z.number().min(1).max(20000).default(1000),
    /** How late the GPU's drawn power may follow its work, ms (the monitor's option of that name). */
    powerResponseMs: z.number().min(0).max(1000).default(20),
    simulate: z.boolean().default(false),
    /** CPU packages' and DRAM energy from RAPL: 'auto' where readable (else null with the reason), true (required), false. */
    cpu: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    /** Where RAPL does not measure: CodeCarbon's estimate (CPU at cpuShare of tdpW, RAM at wattsPerGb of ramGb); off when absent. */
    cpuEstimate: z
      .object({
        tdpW: z.number().min(1).max(10000),
        cpuShare: z.number().min(0).max(1).optional(),
        ramGb: z.number().min(0).optional(),
        wattsPerGb: z.number().min(0).optional(),
      })
      .strict()
      .optional(),
    randomDelayMaxS: z.number().min(0).max(60).default(1),
    cooldown: CooldownSchema.optional(),
    idleMeasureS: z.number().min(0).max(600).default(5),
    subtractIdle: z.boolean().default(false),
    excludeUnstable: z.boolean().default(true),
    /** The model's class (A, B or C), for the leaderboard comparability check. */
    modelClass: z.enum(['A', 'B', 'C']).optional(),
    /** AI Energy Score report formats: optimum, ai-energy-benchmarks, or both (default). */
    reportFormat: z.enum(['optimum', 'ai-energy-benchmarks', 'both']).default('both'),
    /** What the AI Energy Score files hold: each run's phases in situ (default), or the AI Energy Score's separate passes. */
    scoreMethod: ScoreMethodSchema.default('in-situ'),
    /** Across nodes: the Prometheus server scraping the other nodes' exporters, and their instances (see runBenchmark's nodes). */
    nodes: NodesOptionSchema.optional(),
  })
  .strict();

export type RunConfig = z.output<typeof RunConfigSchema>;

/** Reads and validates a config; relative paths are resolved against the config's directory. */
export function loadRunConfig(file: string): RunConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new WattscopeError('WATTSCOPE_BAD_CONFIG', `${file}: cannot read the config (${why})`, { file, cause: err });
  }
  const config = parseOptions(RunConfigSchema, raw, 'config', 'WATTSCOPE_BAD_CONFIG', { file });
  const dir = path.dirname(path.resolve(file));
  config.dataset.path = path.resolve(dir, config.dataset.path);
  config.outDir = path.resolve(dir, config.outDir);
  if ('module' in config.handler) config.handler.module = path.resolve(dir, config.handler.module);
  if ('llama' in config.handler) config.handler.llama.modelPath = path.resolve(dir, config.handler.llama.modelPath);
  return config;
}
