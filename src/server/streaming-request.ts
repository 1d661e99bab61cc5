/**
 * One attempt at a streaming completion: the HTTP request with its connect and read timeouts and
 * the query's deadline (StreamingRequest), and the server-sent events read into tokens with their
 * arrival times (TokenStream). A stream is bounded: at most {@link MAX_CHUNKS_PER_REQUESTED_TOKEN}
 * content chunks per requested token (plus {@link CHUNK_ALLOWANCE}) and {@link MAX_BYTES_PER_REQUESTED_TOKEN}
 * bytes per requested token (plus {@link BYTE_ALLOWANCE}), so that a server that ignores max_tokens
 * fails the query (WATTSCOPE_STREAM_TOO_LONG) instead of streaming forever. Redirects are refused
 * (the prompt is never re-sent to another host). Any failure becomes a RequestError whose code says
 * what went wrong.
 */
import type { EndpointSettings, StreamResult } from './client.js';
import { RequestError, type RequestErrorCode } from './request-error.js';
import { sseEvents } from './sse.js';

interface Chunk {
  choices?: Array<{ delta?: { content?: string | null }; text?: string | null; finish_reason?: string | null }>;
  usage?: { completion_tokens?: number; prompt_tokens?: number } | null;
}

/** A query's deadline when the settings name none: 10 minutes, ms. */
export const DEFAULT_QUERY_DEADLINE_MS = 600_000;
/** Content chunks allowed per requested token (a server may split a token's text over several). */
export const MAX_CHUNKS_PER_REQUESTED_TOKEN = 4;
/** Content chunks allowed beyond that, whatever was requested. */
export const CHUNK_ALLOWANCE = 16;
/** Stream bytes allowed per requested token (an OpenAI chunk is a few hundred bytes; reasoning text adds more). */
export const MAX_BYTES_PER_REQUESTED_TOKEN = 16 * 1024;
/** Stream bytes allowed beyond that, whatever was requested. */
export const BYTE_ALLOWANCE = 1024 * 1024;

/** Passes a body's chunks through, failing once more than `maxBytes` have come. */
async function* capBytes(body: AsyncIterable<Uint8Array>, maxBytes: number, maxTokens: number): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.byteLength;
    if (bytes > maxBytes) {
      throw new RequestError('WATTSCOPE_STREAM_TOO_LONG', `the server sent more than ${maxBytes} bytes for max_tokens ${maxTokens} (it ignores max_tokens?)`);
    }
    yield chunk;
  }
}

/** The request's abort controller and timeouts: connect until the response, then read between events; the query's deadline throughout. */
export class StreamingRequest {
  readonly controller = new AbortController();
  readonly #settings: EndpointSettings;
  readonly #outer: AbortSignal | undefined;
  readonly #onOuterAbort = () => this.controller.abort();
  #timer: NodeJS.Timeout | undefined;
  readonly #deadlineTimer: NodeJS.Timeout;
  #timedOut: RequestErrorCode | null = null;
  #started = false;

  /** `deadlineAtMs`: performance.now() by which the whole query must be done. */
  constructor(settings: EndpointSettings, deadlineAtMs: number, outer?: AbortSignal) {
    this.#settings = settings;
    this.#outer = outer;
    outer?.addEventListener('abort', this.#onOuterAbort, { once: true });
    this.#deadlineTimer = setTimeout(
      () => {
        this.#timedOut = 'WATTSCOPE_QUERY_DEADLINE';
        this.controller.abort();
      },
      Math.max(0, deadlineAtMs - performance.now()),
    );
  }

  /** (Re)starts the timeout: the connect timeout until the response starts, the read timeout after. */
  arm(): void {
    clearTimeout(this.#timer);
    const code: RequestErrorCode = this.#started ? 'WATTSCOPE_READ_TIMEOUT' : 'WATTSCOPE_CONNECT_TIMEOUT';
    this.#timer = setTimeout(
      () => {
        this.#timedOut = code;
        this.controller.abort();
      },
      this.#started ? this.#settings.readTimeoutMs : this.#settings.connectTimeoutMs,
    );
  }

  /** Stops the timeouts and stops following the caller's signal. */
  done(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#deadlineTimer);
    this.#outer?.removeEventListener('abort', this.#onOuterAbort);
  }

  /** The RequestError that explains `err` (a timeout, the caller stopping, a broken connection). */
  fail(err: unknown): never {
    this.done();
    const timedOut = this.#timedOut;
    this.controller.abort(); // whatever failed, the connection is not read further
    if (err instanceof RequestError) throw err;
    if (timedOut === 'WATTSCOPE_QUERY_DEADLINE') {
      const deadlineMs = this.#settings.queryDeadlineMs ?? DEFAULT_QUERY_DEADLINE_MS;
      throw new RequestError(timedOut, `the query took longer than its deadline of ${deadlineMs} ms`);
    }
    if (this.#timedOut === 'WATTSCOPE_CONNECT_TIMEOUT') throw new RequestError(this.#timedOut, `no response within ${this.#settings.connectTimeoutMs} ms`);
    if (this.#timedOut === 'WATTSCOPE_READ_TIMEOUT') throw new RequestError(this.#timedOut, `no data for ${this.#settings.readTimeoutMs} ms`);
    if (this.#outer?.aborted) throw new RequestError('WATTSCOPE_ABORTED', 'stopped');
    const started = this.#started;
    throw new RequestError(
      started ? 'WATTSCOPE_STREAM_DROPPED' : 'WATTSCOPE_CONNECT',
      `${started ? 'the stream broke off' : 'cannot connect'}: ${(err as Error)?.message ?? err}`,
    );
  }

  /** POSTs `body` to `url` and returns the event stream, or throws (an HTTP error status included). */
  async post(url: string, body: unknown): Promise<TokenStream> {
    const s = this.#settings;
    this.arm();
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        signal: this.controller.signal,
        body: JSON.stringify(body),
        redirect: 'manual',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {}) },
      });
    } catch (err) {
      return this.fail(err);
    }
    if (res.status >= 300 && res.status < 400) {
      this.done();
      const to = res.headers.get('location') ?? 'elsewhere';
      throw new RequestError(
        'WATTSCOPE_HTTP_STATUS',
        `HTTP ${res.status} from ${url}, redirecting to ${to}: redirects are not followed (the prompt would be sent to another address); set the endpoint to the final URL`,
        res.status,
      );
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      this.done();
      throw new RequestError('WATTSCOPE_HTTP_STATUS', `HTTP ${res.status} from ${url}${text ? `: ${text.slice(0, 200)}` : ''}`, res.status);
    }
    this.#started = true;
    this.arm();
    const maxTokens = s.maxNewTokens;
    const capped = capBytes(res.body as unknown as AsyncIterable<Uint8Array>, maxTokens * MAX_BYTES_PER_REQUESTED_TOKEN + BYTE_ALLOWANCE, maxTokens);
    return new TokenStream(sseEvents(capped)[Symbol.asyncIterator](), this, maxTokens * MAX_CHUNKS_PER_REQUESTED_TOKEN + CHUNK_ALLOWANCE, maxTokens);
  }
}

/** The response's events read into tokens: each content chunk's arrival time, the text, the usage. */
export class TokenStream {
  readonly tokenTimesNs: bigint[] = [];
  readonly #events: AsyncIterator<{ data: string }>;
  readonly #request: StreamingRequest;
  #text = '';
  #usage: Chunk['usage'] = null;
  #sawDone = false;
  #finished = false;
  readonly #maxChunks: number;
  readonly #maxTokens: number;

  constructor(events: AsyncIterator<{ data: string }>, request: StreamingRequest, maxChunks: number, maxTokens: number) {
    this.#events = events;
    this.#request = request;
    this.#maxChunks = maxChunks;
    this.#maxTokens = maxTokens;
  }

  /** Reads events until one carries content (a token: true) or the stream ends (false). */
  async next(): Promise<boolean> {
    for (;;) {
      let r: IteratorResult<{ data: string }>;
      try {
        r = await this.#events.next();
      } catch (err) {
        return this.#request.fail(err);
      }
      if (r.done) return false;
      this.#request.arm();
      const data = r.value.data.trim();
      if (data === '[DONE]') {
        this.#sawDone = true;
        return false;
      }
      if (this.#take(this.#parse(data))) return true;
    }
  }

  #parse(data: string): Chunk {
    try {
      return JSON.parse(data) as Chunk;
    } catch {
      this.#request.controller.abort();
      return this.#request.fail(new RequestError('WATTSCOPE_BAD_SSE', `malformed event data: ${data.slice(0, 120)}`));
    }
  }

  /** Takes one chunk's usage, finish reason and content; true when it carried a token. */
  #take(chunk: Chunk): boolean {
    if (chunk.usage) this.#usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (choice?.finish_reason) this.#finished = true;
    const piece = choice?.delta?.content ?? choice?.text ?? '';
    if (!piece) return false;
    if (this.tokenTimesNs.length >= this.#maxChunks) {
      this.#request.fail(
        new RequestError(
          'WATTSCOPE_STREAM_TOO_LONG',
          `the server sent more than ${this.#maxChunks} content chunks for max_tokens ${this.#maxTokens} (it ignores max_tokens?)`,
        ),
      );
    }
    this.tokenTimesNs.push(process.hrtime.bigint());
    this.#text += piece;
    return true;
  }

  /** Reads to the end; a stream that ends without a finish reason or [DONE] was dropped. */
  async rest(attempts: number): Promise<StreamResult> {
    try {
      while (await this.next()) {
        // tokens are recorded by next()
      }
    } catch (err) {
      if (err instanceof RequestError) err.afterFirstToken = true;
      throw err;
    }
    this.#request.done();
    if (!this.#sawDone && !this.#finished) {
      const err = new RequestError('WATTSCOPE_STREAM_DROPPED', `the stream ended after ${this.tokenTimesNs.length} tokens without a finish reason or [DONE]`);
      err.afterFirstToken = true;
      throw err;
    }
    const usage = this.#usage;
    return {
      completionTokens: usage?.completion_tokens ?? this.tokenTimesNs.length,
      promptTokens: usage?.prompt_tokens ?? null,
      tokenSource: usage?.completion_tokens !== undefined ? 'usage' : 'counted',
      tokenTimesNs: this.tokenTimesNs,
      text: this.#text,
      attempts,
    };
  }
}
