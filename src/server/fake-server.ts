/**
 * A loopback fake OpenAI-compatible streaming server with deterministic token
 * timing, for tests and `wattscope demo --server`. While it "computes" it sets the
 * simulated GPU's power (prefill and decode draw, shared by concurrent requests).
 * It speaks the stream variants of vLLM, TGI, llama.cpp's server and Ollama, and
 * can inject faults: HTTP 500s, dropped streams, malformed events.
 */
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
}

export interface FakeServer {
  url: string;
  requests: number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const o = { variant: 'vllm' as ServerVariant, prefillMs: 8, prefillMsPerWord: 0.02, itlMs: 4, idleW: 70, prefillW: 520, decodeW: 260, ...options };
  let inPrefill = 0;
  let inDecode = 0;
  const setPower = () => o.power?.set(Math.min(700, o.idleW + inPrefill * o.prefillW + inDecode * o.decodeW));
  const state = { requests: 0 };

  const chunk = (res: ServerResponse, obj: unknown) => {
    const data = JSON.stringify(obj);
    // llama.cpp writes "data:" then the JSON without a space and CRLF line ends in some builds.
    if (o.variant === 'llamacpp') res.write(`data:${data}\r\n\r\n`);
    else res.write(`data: ${data}\n\n`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const n = ++state.requests;
    const body = JSON.parse((await readBody(req)) || '{}') as { messages?: Array<{ content: string }>; prompt?: string; max_tokens?: number; stream_options?: { include_usage?: boolean } };
    if (n <= (o.failFirst ?? 0)) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'injected failure' }));
      return;
    }
    const chat = req.url!.endsWith('/chat/completions');
    const prompt = chat ? body.messages?.at(-1)?.content ?? '' : body.prompt ?? '';
    const promptTokens = prompt.split(/\s+/).filter(Boolean).length;
    const maxTokens = body.max_tokens ?? 16;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (o.variant === 'tgi') res.write(': keep-alive\n\n');
    const id = `cmpl-${n}`;
    const piece = (i: number, finish: string | null) => chat
      ? { id, object: 'chat.completion.chunk', model: 'fake', choices: [{ index: 0, delta: i === 0 && o.variant === 'vllm' ? { role: 'assistant', content: ` t${i}` } : { content: ` t${i}` }, finish_reason: finish }] }
      : { id, object: 'text_completion', model: 'fake', choices: [{ index: 0, text: ` t${i}`, finish_reason: finish }] };
    if (o.variant === 'vllm' && chat) chunk(res, { id, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    // Prefill: the prompt is processed, then the first token goes out.
    inPrefill++;
    setPower();
    await sleep(o.prefillMs + promptTokens * o.prefillMsPerWord);
    inPrefill--;
    inDecode++;
    setPower();
    try {
      for (let i = 0; i < maxTokens; i++) {
        if (i > 0) await sleep(o.itlMs);
        if (o.dropRequests?.includes(n) && i === Math.floor(maxTokens / 2)) {
          res.socket?.destroy();
          return;
        }
        if (o.malformedRequests?.includes(n) && i === 2) {
          res.write('data: {"choices": [{"delta": {"content": "broken\n\n');
          continue;
        }
        chunk(res, piece(i, i === maxTokens - 1 ? 'length' : null));
      }
      const usage = { prompt_tokens: promptTokens, completion_tokens: maxTokens, total_tokens: promptTokens + maxTokens };
      if (o.variant === 'vllm' && body.stream_options?.include_usage) chunk(res, { id, object: 'chat.completion.chunk', choices: [], usage });
      if (o.variant === 'llamacpp') chunk(res, { id, choices: [], usage, timings: { predicted_n: maxTokens } });
      if (o.variant === 'ollama' && body.stream_options?.include_usage) chunk(res, { id, object: 'chat.completion.chunk', choices: [], usage });
      // TGI sends no usage: the client counts the tokens.
      if (o.variant === 'llamacpp') res.write('data: [DONE]\r\n\r\n');
      else res.write('data: [DONE]\n\n');
      res.end();
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
