/**
 * A streaming client for OpenAI-compatible endpoints (vLLM, TGI, llama.cpp's
 * server, Ollama): chat or completions, temperature 0, max/min new tokens,
 * ignore_eos, usage requested in the stream. Connect and read timeouts; bounded
 * retries, only before the first token (after it, energy was spent and a retry
 * would measure the query twice).
 */
import { WattscopeError } from '../util/errors.js';
import { sseEvents } from './sse.js';

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
}

/** Error codes of a failed request, counted per query in the report. */
export type RequestErrorCode =
  | 'WATTSCOPE_HTTP_STATUS' | 'WATTSCOPE_CONNECT' | 'WATTSCOPE_CONNECT_TIMEOUT' | 'WATTSCOPE_READ_TIMEOUT'
  | 'WATTSCOPE_STREAM_DROPPED' | 'WATTSCOPE_BAD_SSE' | 'WATTSCOPE_NO_TOKENS' | 'WATTSCOPE_ABORTED';

export class RequestError extends WattscopeError {
  readonly status: number | null;
  /** Set when the request failed after its first token: energy was spent, so it is never retried. */
  afterFirstToken = false;
  constructor(code: RequestErrorCode, message: string, status: number | null = null) {
    super(code, message);
    this.name = 'RequestError';
    this.status = status;
  }
}

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

interface Chunk {
  choices?: Array<{ delta?: { content?: string | null }; text?: string | null; finish_reason?: string | null }>;
  usage?: { completion_tokens?: number; prompt_tokens?: number } | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class OpenAIStreamClient {
  readonly settings: EndpointSettings;

  constructor(settings: EndpointSettings) {
    this.settings = settings;
  }

  #body(prompt: string): Record<string, unknown> {
    const s = this.settings;
    const common = {
      model: s.model, stream: true, stream_options: { include_usage: true }, temperature: s.temperature, max_tokens: s.maxNewTokens,
      ...(s.minNewTokens !== null ? { min_tokens: s.minNewTokens } : {}), ...(s.ignoreEos ? { ignore_eos: true } : {}),
    };
    return s.api === 'chat' ? { ...common, messages: [{ role: 'user', content: prompt }] } : { ...common, prompt };
  }

  /** Sends the request; resolves at the first token (retrying before it), or throws a RequestError. */
  async start(prompt: string, signal?: AbortSignal): Promise<ActiveStream> {
    let lastError: RequestError | null = null;
    for (let attempt = 1; attempt <= this.settings.retries + 1; attempt++) {
      if (signal?.aborted) throw new RequestError('WATTSCOPE_ABORTED', 'stopped');
      try {
        return await this.#attempt(prompt, attempt, signal);
      } catch (err) {
        if (!(err instanceof RequestError) || err.code === 'WATTSCOPE_ABORTED') throw err;
        lastError = err;
        const retryable = err.code === 'WATTSCOPE_CONNECT' || err.code === 'WATTSCOPE_CONNECT_TIMEOUT' || (err.status !== null && (err.status >= 500 || err.status === 429));
        if (!retryable || err.afterFirstToken) throw err;
        if (attempt <= this.settings.retries) await sleep(100 * 2 ** (attempt - 1));
      }
    }
    throw lastError!;
  }

  async #attempt(prompt: string, attempt: number, outer?: AbortSignal): Promise<ActiveStream> {
    const s = this.settings;
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort();
    outer?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let timedOut: RequestErrorCode | null = null;
    const arm = (ms: number, code: RequestErrorCode) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = code;
        ctrl.abort();
      }, ms);
    };
    const done = () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown): never => {
      done();
      if (err instanceof RequestError) throw err;
      if (timedOut === 'WATTSCOPE_CONNECT_TIMEOUT') throw new RequestError(timedOut, `no response within ${s.connectTimeoutMs} ms`);
      if (timedOut === 'WATTSCOPE_READ_TIMEOUT') throw new RequestError(timedOut, `no data for ${s.readTimeoutMs} ms`);
      if (outer?.aborted) throw new RequestError('WATTSCOPE_ABORTED', 'stopped');
      throw new RequestError(started ? 'WATTSCOPE_STREAM_DROPPED' : 'WATTSCOPE_CONNECT', `${started ? 'the stream broke off' : 'cannot connect'}: ${(err as Error)?.message ?? err}`);
    };
    let started = false;
    arm(s.connectTimeoutMs, 'WATTSCOPE_CONNECT_TIMEOUT');
    const url = `${s.endpoint.replace(/\/+$/, '')}/${s.api === 'chat' ? 'chat/completions' : 'completions'}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST', signal: ctrl.signal, body: JSON.stringify(this.#body(prompt)),
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {}) },
      });
    } catch (err) {
      return fail(err);
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      done();
      throw new RequestError('WATTSCOPE_HTTP_STATUS', `HTTP ${res.status} from ${url}${text ? `: ${text.slice(0, 200)}` : ''}`, res.status);
    }
    started = true;
    arm(s.readTimeoutMs, 'WATTSCOPE_READ_TIMEOUT');
    const events = sseEvents(res.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const tokenTimesNs: bigint[] = [];
    let text = '';
    let usage: Chunk['usage'] = null;
    let sawDone = false;
    let finished = false;
    // Reads events until one carries content (a token) or the stream ends.
    const next = async (): Promise<boolean> => {
      for (;;) {
        let r: IteratorResult<{ data: string }>;
        try {
          r = await events.next();
        } catch (err) {
          return fail(err);
        }
        if (r.done) return false;
        arm(s.readTimeoutMs, 'WATTSCOPE_READ_TIMEOUT');
        const d = r.value.data.trim();
        if (d === '[DONE]') {
          sawDone = true;
          return false;
        }
        let chunk: Chunk;
        try {
          chunk = JSON.parse(d) as Chunk;
        } catch {
          ctrl.abort();
          return fail(new RequestError('WATTSCOPE_BAD_SSE', `malformed event data: ${d.slice(0, 120)}`));
        }
        if (chunk.usage) usage = chunk.usage;
        const c = chunk.choices?.[0];
        if (c?.finish_reason) finished = true;
        const piece = c?.delta?.content ?? c?.text ?? '';
        if (piece) {
          tokenTimesNs.push(process.hrtime.bigint());
          text += piece;
          return true;
        }
      }
    };
    if (!(await next())) {
      done();
      throw new RequestError('WATTSCOPE_NO_TOKENS', 'the stream ended without a token');
    }
    return {
      firstTokenNs: tokenTimesNs[0]!,
      attempts: attempt,
      rest: async () => {
        try {
          while (await next()) {
            // tokens are recorded by next()
          }
        } catch (err) {
          if (err instanceof RequestError) err.afterFirstToken = true;
          throw err;
        }
        done();
        if (!sawDone && !finished) {
          const err = new RequestError('WATTSCOPE_STREAM_DROPPED', `the stream ended after ${tokenTimesNs.length} tokens without a finish reason or [DONE]`);
          err.afterFirstToken = true;
          throw err;
        }
        const u = usage as Chunk['usage'];
        return {
          completionTokens: u?.completion_tokens ?? tokenTimesNs.length, promptTokens: u?.prompt_tokens ?? null,
          tokenSource: u?.completion_tokens !== undefined ? 'usage' : 'counted', tokenTimesNs, text, attempts: attempt,
        };
      },
    };
  }
}
