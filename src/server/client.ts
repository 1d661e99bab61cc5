/**
 * A streaming client for OpenAI-compatible endpoints (vLLM, TGI, llama.cpp's
 * server, Ollama): chat or completions, temperature 0, max/min new tokens,
 * ignore_eos, usage requested in the stream. Connect and read timeouts; bounded
 * retries, only before the first token (after it, energy was spent and a retry
 * would measure the query twice).
 */
import { sleep } from '../util/sleep.js';
import { RequestError } from './request-error.js';
import { DEFAULT_QUERY_DEADLINE_MS, StreamingRequest } from './streaming-request.js';

export interface EndpointSettings {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:8000/v1 */
  endpoint: string;
  model: string;
  api: 'chat' | 'completions';
  maxNewTokens: number;
  minNewTokens: number | null;
  ignoreEos: boolean;
  temperature: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  retries: number;
  apiKey: string | null;
  /**
   * The longest one query may take, retries included, from its first request to its last byte,
   * ms (default {@link DEFAULT_QUERY_DEADLINE_MS}); past it the query fails with WATTSCOPE_QUERY_DEADLINE.
   */
  queryDeadlineMs?: number;
  /** Fields added to every request body (a reasoning model's reasoning_effort or chat_template_kwargs). */
  extraBody?: Record<string, unknown>;
  /** Written before every prompt (a reasoning switch such as /no_think). */
  promptPrefix?: string;
}

export { RequestError, type RequestErrorCode } from './request-error.js';
export { DEFAULT_QUERY_DEADLINE_MS } from './streaming-request.js';

export interface StreamResult {
  /** Generated tokens: from the stream's usage where given, else the content chunks counted. */
  completionTokens: number;
  promptTokens: number | null;
  tokenSource: 'usage' | 'counted';
  /** Monotonic ns at which each content chunk arrived (the first is the first token). */
  tokenTimesNs: bigint[];
  text: string;
  attempts: number;
}

export interface ActiveStream {
  firstTokenNs: bigint;
  attempts: number;
  /** Reads to the end of the stream. */
  rest(): Promise<StreamResult>;
}

export class OpenAIStreamClient {
  readonly settings: EndpointSettings;

  constructor(settings: EndpointSettings) {
    this.settings = settings;
  }

  #body(prompt: string): Record<string, unknown> {
    const s = this.settings;
    const common = {
      model: s.model,
      stream: true,
      stream_options: { include_usage: true },
      temperature: s.temperature,
      max_tokens: s.maxNewTokens,
      ...(s.minNewTokens !== null ? { min_tokens: s.minNewTokens } : {}),
      ...(s.ignoreEos ? { ignore_eos: true } : {}),
      ...s.extraBody,
    };
    const text = (s.promptPrefix ?? '') + prompt;
    return s.api === 'chat' ? { ...common, messages: [{ role: 'user', content: text }] } : { ...common, prompt: text };
  }

  /** Sends the request; resolves at the first token (retrying before it), or throws a RequestError. */
  async start(prompt: string, signal?: AbortSignal): Promise<ActiveStream> {
    let lastError: RequestError | null = null;
    const deadlineAtMs = performance.now() + (this.settings.queryDeadlineMs ?? DEFAULT_QUERY_DEADLINE_MS);
    for (let attempt = 1; attempt <= this.settings.retries + 1; attempt++) {
      if (signal?.aborted) throw new RequestError('WATTSCOPE_ABORTED', 'stopped');
      try {
        return await this.#attempt(prompt, attempt, deadlineAtMs, signal);
      } catch (err) {
        if (!(err instanceof RequestError) || err.code === 'WATTSCOPE_ABORTED') throw err;
        lastError = err;
        const retryable =
          err.code === 'WATTSCOPE_CONNECT' || err.code === 'WATTSCOPE_CONNECT_TIMEOUT' || (err.status !== null && (err.status >= 500 || err.status === 429));
        if (!retryable || err.afterFirstToken) throw err;
        if (attempt <= this.settings.retries) await sleep(100 * 2 ** (attempt - 1));
      }
    }
    throw lastError!;
  }

  async #attempt(prompt: string, attempt: number, deadlineAtMs: number, outer?: AbortSignal): Promise<ActiveStream> {
    const s = this.settings;
    const request = new StreamingRequest(s, deadlineAtMs, outer);
    const url = `${s.endpoint.replace(/\/+$/, '')}/${s.api === 'chat' ? 'chat/completions' : 'completions'}`;
    const tokens = await request.post(url, this.#body(prompt));
    if (!(await tokens.next())) {
      request.done();
      throw new RequestError('WATTSCOPE_NO_TOKENS', 'the stream ended without a token');
    }
    return { firstTokenNs: tokens.tokenTimesNs[0]!, attempts: attempt, rest: () => tokens.rest(attempt) };
  }
}
