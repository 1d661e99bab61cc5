/**
 * An incremental server-sent-events reader, lenient in the ways OpenAI-compatible
 * servers differ: "data:" with or without a space, CRLF or LF, comments (": ping"),
 * "event:" lines, multi-line data, and a last event without its blank line.
 * Each chunk is scanned once (only the data not yet scanned is searched for a line
 * end), and a line longer than {@link MAX_SSE_LINE_CHARS} is refused (WATTSCOPE_BAD_SSE)
 * instead of being buffered without bound.
 */
import { RequestError } from './request-error.js';

export interface SseEvent {
  event: string | null;
  data: string;
}

/** The longest event line accepted, in characters (~1 MB): an OpenAI chunk is a few hundred. */
export const MAX_SSE_LINE_CHARS = 1 << 20;

function refuseLongLine(chars: number): void {
  if (chars > MAX_SSE_LINE_CHARS) {
    throw new RequestError('WATTSCOPE_BAD_SSE', `an event line longer than ${MAX_SSE_LINE_CHARS} characters: not a server-sent-events stream of tokens`);
  }
}

/**
 * Splits text received in chunks into lines. Each chunk is scanned once: the unfinished line is
 * kept as parts (never rescanned nor re-joined per chunk), and a CR ending a chunk ends its line
 * at once, the LF that may open the next chunk (the CRLF's second half) being skipped.
 */
class LineSplitter {
  #parts: string[] = [];
  #partsChars = 0;
  #skipLeadingLf = false;

  /** Adds a chunk's text; returns the complete lines it ended. */
  push(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    if (this.#skipLeadingLf && text.length > 0) {
      if (text.charCodeAt(0) === 10) start = 1;
      this.#skipLeadingLf = false;
    }
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      lines.push(this.#take(text.slice(start, i)));
      if (c === 13) {
        if (i === text.length - 1) this.#skipLeadingLf = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    if (start < text.length) {
      refuseLongLine(this.#partsChars + text.length - start);
      this.#parts.push(text.slice(start));
      this.#partsChars += text.length - start;
    }
    return lines;
  }

  /** The unfinished line (the stream ended). */
  end(): string {
    return this.#take('');
  }

  #take(tail: string): string {
    refuseLongLine(this.#partsChars + tail.length);
    if (this.#parts.length === 0) return tail;
    const line = this.#parts.join('') + tail;
    this.#parts = [];
    this.#partsChars = 0;
    return line;
  }
}

export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const splitter = new LineSplitter();
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
    for (const l of splitter.push(decoder.decode(chunk, { stream: true }))) yield* line(l);
  }
  for (const l of splitter.push(decoder.decode())) yield* line(l);
  const last = splitter.end();
  if (last) yield* line(last);
  yield* flush();
}
