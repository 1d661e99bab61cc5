/**
 * wattscope/server: benchmarks against an OpenAI-compatible streaming server (prefill = request to
 * first token, decode = first to last token) and its serving statistics.
 * @packageDocumentation
 */
export { OpenAIStreamClient, RequestError } from '../server/client.js';
export type { EndpointSettings, StreamResult, ActiveStream, RequestErrorCode } from '../server/client.js';
export { endpointHandler, servingRunStats, servingStats } from '../server/serving.js';
export type { ServedQuery, ServingStats, Percentiles } from '../server/serving.js';
