/**
 * A model server that misbehaves cannot hold a query forever: a stream that ignores max_tokens is
 * cut by the content-chunk cap or the byte cap, a trickle of keep-alives by the query's deadline,
 * and a redirect is refused without re-sending the prompt. Each against a loopback server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNK_ALLOWANCE, MAX_CHUNKS_PER_REQUESTED_TOKEN } from '../src/server/streaming-request.js';
import { testClient } from './helpers/stream-client.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

const client = (endpoint: string, extra: object = {}) => testClient(endpoint, { retries: 0, ...extra });

const chunk = (delta: object) => `data: ${JSON.stringify({ choices: [{ delta }] })}\n\n`;

/** Streams `event()` every `everyMs` until the client goes away; counts what it sent. */
function endless(event: (i: number) => string, everyMs: number) {
  const sent = { events: 0, closed: false };
  const handle = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const timer = setInterval(() => res.write(event(sent.events++)), everyMs);
    res.on('close', () => {
      clearInterval(timer);
      sent.closed = true;
    });
  };
  return { sent, handle };
}

describe('a stream that does not stop', () => {
  it('ignoring max_tokens: cut after the stated multiple of the requested tokens (WATTSCOPE_STREAM_TOO_LONG), the connection closed', async () => {
    const server = endless((i) => chunk({ content: ` t${i}` }), 1);
    const stream = await client(await serve(server.handle)).start('hello');
    await expect(stream.rest()).rejects.toMatchObject({ code: 'WATTSCOPE_STREAM_TOO_LONG', message: expect.stringContaining('max_tokens 10') });
    const cap = 10 * MAX_CHUNKS_PER_REQUESTED_TOKEN + CHUNK_ALLOWANCE;
    await new Promise((r) => setTimeout(r, 100));
    expect(server.sent.closed).toBe(true);
    expect(server.sent.events).toBeLessThan(cap + 200);
  });

  it('large events without content (reasoning text, say) forever: cut by the byte cap', async () => {
    const big = 'r'.repeat(60_000);
    const server = endless((i) => (i === 0 ? chunk({ content: 'a' }) : chunk({ reasoning_content: big })), 1);
    const stream = await client(await serve(server.handle)).start('hello');
    await expect(stream.rest()).rejects.toMatchObject({ code: 'WATTSCOPE_STREAM_TOO_LONG', message: expect.stringContaining('bytes') });
    await new Promise((r) => setTimeout(r, 100));
    expect(server.sent.closed).toBe(true);
  });

  it('keep-alives that never end: the query fails at its deadline (WATTSCOPE_QUERY_DEADLINE), though no read timed out', async () => {
    const server = endless((i) => (i === 0 ? chunk({ content: 'a' }) : ': ping\n\n'), 100);
    const stream = await client(await serve(server.handle), { queryDeadlineMs: 1500 }).start('hello');
    const started = performance.now();
    await expect(stream.rest()).rejects.toMatchObject({ code: 'WATTSCOPE_QUERY_DEADLINE', message: expect.stringContaining('1500 ms') });
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('redirects', () => {
  it('are refused with the status and the target named; the prompt never reaches the other address', async () => {
    const elsewhere: string[] = [];
    const target = await serve((req, res) => {
      elsewhere.push(req.url ?? '');
      res.writeHead(200).end();
    });
    const redirecting = await serve((_req, res) => res.writeHead(307, { location: `${target}/chat/completions` }).end());
    await expect(client(redirecting).start('secret prompt')).rejects.toMatchObject({
      code: 'WATTSCOPE_HTTP_STATUS',
      status: 307,
      message: expect.stringContaining('redirects are not followed'),
    });
    expect(elsewhere).toEqual([]);
  });
});
