/**
 * The options of wattscope/llama's runBenchmark handler (llamaHandler), here so that a `run`
 * config's `"handler": { "llama": { … } }` is validated, naming the field and the file, before the
 * engine loads.
 */
import { z } from 'zod';

export const LlamaHandlerOptionsSchema = z
  .object({
    /** The GGUF model file. */
    modelPath: z.string().min(1),
    /** Layers to offload to the GPU: 'auto' (default: as many as fit), 'max', or a number (0: CPU only). */
    gpuLayers: z.union([z.literal('auto'), z.literal('max'), z.number().int().min(0)]).default('auto'),
    /** The compute backend: 'auto' (default: CUDA, Vulkan or Metal where the machine has one), one of them, or false for the CPU. */
    gpu: z.union([z.enum(['auto', 'cuda', 'vulkan', 'metal']), z.literal(false)]).default('auto'),
    /** Context size per sequence, tokens (default 2048). */
    contextSize: z.number().int().min(64).default(2048),
    /** Sequences, one per query in flight (the benchmark's concurrency; default 1). */
    sequences: z.number().int().min(1).max(256).default(1),
    /** CPU threads (default: the engine's). On a 2-core VM, 1 is far faster than the default. */
    threads: z.number().int().min(1).optional(),
    /** New tokens per query (default 10) and whether exactly that many are forced (default true), as the AI Energy Score. */
    maxNewTokens: z.number().int().min(1).default(10),
    forceNewTokens: z.boolean().default(true),
    /** Apply the model's chat template to each row's text (default true). */
    chatTemplate: z.boolean().default(true),
  })
  .strict();

/** llamaHandler's options. */
export type LlamaHandlerOptions = z.input<typeof LlamaHandlerOptionsSchema>;
