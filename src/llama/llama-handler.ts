/**
 * A runBenchmark handler that runs each query through node-llama-cpp: the model loads once (on
 * the first query, or at `load()`), one unmeasured generation warms it up, and every query then
 * starts from a cleared sequence (batch size 1; one sequence per query in flight). The handler says
 * what engine and model it ran (`engine`, recorded in the report) and what it is (`identity`, so a
 * resume continues only the same model and settings).
 */
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import type { EngineRecord } from '../formats/report-types.js';
import type { DescribedHandler } from '../runner/benchmark-types.js';
import type { DatasetRow } from '../runner/dataset.js';
import { LlamaHandlerOptionsSchema, type LlamaHandlerOptions } from '../runner/llama-handler-options.js';
import { WattscopeError } from '../util/errors.js';
import { parseOptions } from '../util/options.js';
import { engineRecordOf } from './engine-record.js';
import { measureSequenceGeneration, type GenerationResult } from './generation.js';
import { loadNodeLlamaCpp } from './node-llama-cpp.js';

export type { LlamaHandlerOptions } from '../runner/llama-handler-options.js';

/** The handler, with its engine's record once loaded, and close(). */
export interface LlamaHandler extends DescribedHandler {
  /** Loads the model and warms it up (the first query does it otherwise). */
  load(): Promise<void>;
  /** Releases the model and the engine. */
  close(): Promise<void>;
  /** The last generation's result per sequence, for a caller that checks them. */
  readonly results: GenerationResult[];
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  free: LlamaContextSequence[];
  engine: EngineRecord;
}

/** A benchmark handler running each row's `text` through node-llama-cpp. */
export function llamaHandler(options: LlamaHandlerOptions): LlamaHandler {
  const o = parseOptions(LlamaHandlerOptionsSchema, options, 'llama handler options');
  let loading: Promise<Loaded> | null = null;
  let loaded: Loaded | null = null;
  const results: GenerationResult[] = [];
  const generation = { maxNewTokens: o.maxNewTokens, forceNewTokens: o.forceNewTokens, chatTemplate: o.chatTemplate };

  const load = async (): Promise<Loaded> => {
    const { getLlama, LlamaLogLevel } = await loadNodeLlamaCpp();
    // Only the engine's npm binaries: never a download or a build at run time.
    const llama = await getLlama({ gpu: o.gpu, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: o.modelPath, gpuLayers: o.gpuLayers });
    const context = await model.createContext({ contextSize: o.contextSize, sequences: o.sequences, ...(o.threads ? { threads: o.threads } : {}) });
    const free = Array.from({ length: o.sequences }, () => context.getSequence());
    // Warm-up: one generation outside any measurement.
    const warm = free[0]!;
    const warmup = warm.evaluate(model.tokenize('warm up'));
    for (let generated = 0; generated < o.maxNewTokens && !(await warmup.next()).done; generated++);
    await warmup.return();
    await warm.clearHistory();
    loaded = { llama, model, context, free, engine: await engineRecordOf(llama, model, o.modelPath) };
    return loaded;
  };
  const ready = () =>
    (loading ??= load().catch((err: unknown) => {
      throw new WattscopeError('WATTSCOPE_ENGINE_LOAD', `node-llama-cpp could not load ${o.modelPath}: ${(err as Error).message}`, {
        file: o.modelPath,
        cause: err,
      });
    }));

  const handler = (async (row: DatasetRow, q, ctx) => {
    const { free } = await ready();
    const sequence = free.pop();
    if (!sequence) {
      throw new WattscopeError(
        'WATTSCOPE_INVALID_OPTIONS',
        `llamaHandler: more queries in flight than its ${o.sequences} sequences (set sequences to the benchmark's concurrency)`,
        {
          field: 'sequences',
        },
      );
    }
    try {
      await sequence.clearHistory();
      const result = await measureSequenceGeneration(q, sequence, row.text, { ...generation, signal: ctx.signal });
      results.push(result);
      if (results.length > 1000) results.shift();
      return result;
    } finally {
      free.push(sequence);
    }
  }) as LlamaHandler;
  Object.defineProperties(handler, {
    engine: { get: () => loaded?.engine ?? null },
    identity: { value: `llama ${o.modelPath} ${JSON.stringify({ ...o, modelPath: undefined })}` },
    results: { value: results },
    load: { value: async () => void (await ready()) },
    close: {
      value: async () => {
        const current = loading;
        loading = null;
        loaded = null;
        const engine = await current?.catch(() => null);
        await engine?.llama.dispose();
      },
    },
  });
  return handler;
}
