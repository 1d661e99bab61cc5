/**
 * A loopback fake OpenAI-compatible streaming server with deterministic token
 * timing, for tests and `wattscope demo --server`. While it "computes" it sets the
 * simulated GPU's power (prefill and decode draw, shared by concurrent requests).
 * It speaks the stream variants of vLLM, TGI, llama.cpp's server and Ollama, and
 * can inject faults: HTTP 500s, dropped streams, malformed events.
 */
import { sleep } from '../util/sleep.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ServerVariant = 'vllm' | 'tgi' | 'llamacpp' | 'ollama';

export interface FakeServerOptions {
  variant?: ServerVariant;
  /** Time to first token: fixed part plus per prompt word, ms. */
  prefillMs?: number;
  prefillMsPerWord?: number;
  /** Inter-token latency, ms. */
  itlMs?: number;
  /** Power model, W: idle, plus per request in prefill / in decode (capped at 700). */
  idleW?: number;
  prefillW?: number;
  decodeW?: number;
  /** Sets the simulated GPU's power (e.g. SimPowerControl); none: power is not driven. */
  power?: { set(watts: number): unknown };
  /** Faults: the first N requests get HTTP 500; request numbers (1-based) whose stream drops or is malformed. */
  failFirst?: number;
  dropRequests?: number[];
  malformedRequests?: number[];
  /**
   * Tokens a request that does not ignore the end of generation gets before the model stops by
   * itself (default 24), or a function of the prompt (answers of varying length).
   */
  naturalTokens?: number | ((prompt: string) => number);
  /** The models served; a request for another gets HTTP 404 (default: any model). */
  models?: string[];
  /** The loopback port to listen on (default 0: one the system picks); a port in use rejects with EADDRINUSE. */
  port?: number;
}

export interface FakeServer {
  url: string;
  requests: number;
  /** The last request bodies received (at most 100), oldest first. */
  bodies: unknown[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

type ResolvedOptions = Required<Pick<FakeServerOptions, 'variant' | 'prefillMs' | 'prefillMsPerWord' | 'itlMs' | 'idleW' | 'prefillW' | 'decodeW'>> &
  FakeServerOptions;

/** Writes one server-sent event: llama.cpp writes "data:" then the JSON without a space, with CRLF line ends in some builds. */
function writeEvent(variant: ServerVariant, res: ServerResponse, obj: unknown): void {
  const data = JSON.stringify(obj);
  if (variant === 'llamacpp') res.write(`data:${data}\r\n\r\n`);
  else res.write(`data: ${data}\n\n`);
}

/** One request as the server sees it. */
interface FakeRequest {
  n: number;
  id: string;
  chat: boolean;
  maxTokens: number;
  promptTokens: number;
  includeUsage: boolean;
}

/** The token chunk `i` of a request, in the chat or completions shape. */
function tokenChunk(o: ResolvedOptions, r: FakeRequest, i: number, finish: string | null): unknown {
  const id = r.id;
  return r.chat
    ? {
        id,
        object: 'chat.completion.chunk',
        model: 'fake',
        choices: [
          { index: 0, delta: i === 0 && o.variant === 'vllm' ? { role: 'assistant', content: ` t${i}` } : { content: ` t${i}` }, finish_reason: finish },
        ],
      }
    : { id, object: 'text_completion', model: 'fake', choices: [{ index: 0, text: ` t${i}`, finish_reason: finish }] };
}

/** Decode: maxTokens tokens, one per inter-token latency (with the injected faults), then the variant's usage and [DONE]. */
async function streamDecode(o: ResolvedOptions, res: ServerResponse, r: FakeRequest): Promise<void> {
  for (let i = 0; i < r.maxTokens; i++) {
    if (i > 0) await sleep(o.itlMs);
    if (o.dropRequests?.includes(r.n) && i === Math.floor(r.maxTokens / 2)) {
      res.socket?.destroy();
      return;
    }
    if (o.malformedRequests?.includes(r.n) && i === 2) {
      res.write('data: {"choices": [{"delta": {"content": "broken\n\n');
      continue;
    }
    writeEvent(o.variant, res, tokenChunk(o, r, i, i === r.maxTokens - 1 ? 'length' : null));
  }
  const usage = { prompt_tokens: r.promptTokens, completion_tokens: r.maxTokens, total_tokens: r.promptTokens + r.maxTokens };
  if (o.variant === 'vllm' && r.includeUsage) writeEvent(o.variant, res, { id: r.id, object: 'chat.completion.chunk', choices: [], usage });
  if (o.variant === 'llamacpp') writeEvent(o.variant, res, { id: r.id, choices: [], usage, timings: { predicted_n: r.maxTokens } });
  if (o.variant === 'ollama' && r.includeUsage) writeEvent(o.variant, res, { id: r.id, object: 'chat.completion.chunk', choices: [], usage });
  // TGI sends no usage: the client counts the tokens.
  res.write(o.variant === 'llamacpp' ? 'data: [DONE]\r\n\r\n' : 'data: [DONE]\n\n');
  res.end();
}

interface RequestBody {
  messages?: Array<{ content: string }>;
  prompt?: string;
  model?: string;
  max_tokens?: number;
  ignore_eos?: boolean;
  stream_options?: { include_usage?: boolean };
}

/** An HTTP error the server answers instead of a stream: a model it does not serve, an injected failure. */
function refusalOf(o: ResolvedOptions, body: RequestBody, n: number): { status: number; error: string } | null {
  if (o.models && !o.models.includes(body.model ?? '')) return { status: 404, error: `model ${body.model} not found` };
  if (n <= (o.failFirst ?? 0)) return { status: 500, error: 'injected failure' };
  return null;
}

/** Where the model stops by itself. */
function naturalLength(natural: FakeServerOptions['naturalTokens'], prompt: string): number {
  return typeof natural === 'function' ? Math.max(1, Math.round(natural(prompt))) : (natural ?? 24);
}

/** Request `n` as the server will answer it. */
function fakeRequest(o: ResolvedOptions, body: RequestBody, n: number, chat: boolean): FakeRequest {
  const prompt = chat ? (body.messages?.at(-1)?.content ?? '') : (body.prompt ?? '');
  return {
    n,
    id: `cmpl-${n}`,
    chat,
    // A model stops by itself unless told to ignore the end of generation.
    maxTokens: Math.min(body.max_tokens ?? 16, body.ignore_eos === true ? Infinity : naturalLength(o.naturalTokens, prompt)),
    includeUsage: body.stream_options?.include_usage === true,
    promptTokens: prompt.split(/\s+/).filter(Boolean).length,
  };
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const o: ResolvedOptions = { variant: 'vllm', prefillMs: 8, prefillMsPerWord: 0.02, itlMs: 4, idleW: 70, prefillW: 520, decodeW: 260, ...options };
  let inPrefill = 0;
  let inDecode = 0;
  const setPower = () => o.power?.set(Math.min(700, o.idleW + inPrefill * o.prefillW + inDecode * o.decodeW));
  const state = { requests: 0 };
  const bodies: unknown[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const n = ++state.requests;
    const body = JSON.parse((await readBody(req)) || '{}') as RequestBody;
    bodies.push(body);
    if (bodies.length > 100) bodies.shift();
    const refusal = refusalOf(o, body, n);
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: refusal.error }));
      return;
    }
    const request = fakeRequest(o, body, n, req.url!.endsWith('/chat/completions'));
    const chat = request.chat;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (o.variant === 'tgi') res.write(': keep-alive\n\n');
    if (o.variant === 'vllm' && chat)
      writeEvent(o.variant, res, {
        id: request.id,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      });
    // Prefill: the prompt is processed, then the first token goes out.
    inPrefill++;
    setPower();
    await sleep(o.prefillMs + request.promptTokens * o.prefillMsPerWord);
    inPrefill--;
    inDecode++;
    setPower();
    try {
      await streamDecode(o, res, request);
    } finally {
      inDecode--;
      setPower();
    }
  };

  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || !/\/v1\/(chat\/)?completions$/.test(req.url ?? '')) {
      res.writeHead(404).end();
      return;
    }
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
