/**
 * An incremental server-sent-events reader, lenient in the ways OpenAI-compatible
 * servers differ: "data:" with or without a space, CRLF or LF, comments (": ping"),
 * "event:" lines, multi-line data, and a last event without its blank line.
 */
export interface SseEvent {
  event: string | null;
  data: string;
}

export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buf = '';
  let data: string[] = [];
  let event: string | null = null;
  const flush = function* (): Generator<SseEvent> {
    if (data.length) yield { event, data: data.join('\n') };
    data = [];
    event = null;
  };
  const line = function* (l: string): Generator<SseEvent> {
    if (l === '') {
      yield* flush();
    } else if (l.startsWith(':')) {
      // comment / keep-alive
    } else {
      const colon = l.indexOf(':');
      const field = colon < 0 ? l : l.slice(0, colon);
      let value = colon < 0 ? '' : l.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
    }
  };
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.search(/\r\n|\n|\r/)) >= 0) {
      // A CR at the chunk's end may be the first half of a CRLF cut between chunks: wait for the next.
      if (buf[i] === '\r' && i === buf.length - 1) break;
      const l = buf.slice(0, i);
      buf = buf.slice(i + (buf[i] === '\r' && buf[i + 1] === '\n' ? 2 : 1));
      yield* line(l);
    }
  }
  buf += decoder.decode();
  if (buf.endsWith('\r')) buf = buf.slice(0, -1);
  if (buf) yield* line(buf);
  yield* flush();
}
