/**
 * wattscope/llama: node-llama-cpp (3.x, an optional peer dependency) under the scopes. One
 * generation measured as preprocess (chat template and tokenization), prefill (to the engine's
 * first token) and decode (first to last token), on a LlamaContextSequence or a LlamaChatSession;
 * a runBenchmark handler that loads a GGUF model once; and the tiny random-weight GGUF model the
 * tests and `wattscope demo --engine llama` run (nothing downloaded).
 * @packageDocumentation
 */
export { measureSequenceGeneration, measureChatPrompt, endOfGenerationBan } from '../llama/generation.js';
export type { GenerationOptions, GenerationResult } from '../llama/generation.js';
export { llamaHandler } from '../llama/llama-handler.js';
export type { LlamaHandler, LlamaHandlerOptions } from '../llama/llama-handler.js';
export { writeTinyGguf, TINY_MODEL_SHAPE } from '../llama/tiny-gguf.js';
export type { EngineRecord } from '../formats/report-types.js';
