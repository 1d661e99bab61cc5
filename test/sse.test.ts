/**
 * The server-sent-events reader against every line ending (LF, CRLF, CR) with the stream cut at
 * every byte, into two chunks and into single bytes: the events never change with the cut.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SSE_LINE_CHARS, sseEvents, type SseEvent } from '../src/server/sse.js';

async function read(chunks: string[]): Promise<SseEvent[]> {
  const encoder = new TextEncoder();
  async function* body() {
    for (const c of chunks) yield encoder.encode(c);
  }
  const events: SseEvent[] = [];
  for await (const e of sseEvents(body())) events.push(e);
  return events;
}

const EXPECTED: SseEvent[] = [
  { event: null, data: 'a\nb' },
  { event: 'done', data: 'c' },
];

describe('sseEvents', () => {
  it('the case that broke: "data: a\\r" then "\\ndata: b\\r\\n\\r\\n" is one event "a\\nb"', async () => {
    expect(await read(['data: a\r', '\ndata: b\r\n\r\n'])).toEqual([{ event: null, data: 'a\nb' }]);
  });

  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const) {
    const text = [': ping', 'data: a', 'data:b', '', 'event: done', 'data: c', '', ''].join(eol);
    it(`${name}: the same events whatever the cut (two chunks at every byte, and byte by byte)`, async () => {
      expect(await read([text])).toEqual(EXPECTED);
      for (let cut = 1; cut < text.length; cut++) {
        expect(await read([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(EXPECTED);
      }
      expect(await read([...text])).toEqual(EXPECTED);
    });
  }

  it('a last event without its blank line, and one ending in a lone CR, still count', async () => {
    expect(await read(['data: x\n', 'data: y'])).toEqual([{ event: null, data: 'x\ny' }]);
    expect(await read(['data: x\r'])).toEqual([{ event: null, data: 'x' }]);
  });

  it('a line over 1 MB is refused (WATTSCOPE_BAD_SSE), whether it comes in one chunk or many, before it is all buffered', async () => {
    const long = 'data: ' + 'x'.repeat(MAX_SSE_LINE_CHARS + 10);
    await expect(read([long + '\n\n'])).rejects.toMatchObject({ code: 'WATTSCOPE_BAD_SSE' });
    let chunksRead = 0;
    async function* endless() {
      const piece = new TextEncoder().encode('x'.repeat(64 * 1024));
      for (;;) {
        chunksRead++;
        yield piece;
      }
    }
    await expect(
      (async () => {
        for await (const _event of sseEvents(endless())) void _event;
      })(),
    ).rejects.toMatchObject({ code: 'WATTSCOPE_BAD_SSE' });
    expect(chunksRead).toBe(Math.floor(MAX_SSE_LINE_CHARS / (64 * 1024)) + 1);
  });
});
