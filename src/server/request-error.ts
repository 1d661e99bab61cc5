/** A failed request to a model server, with a code counted per query in the report. */
import { WattscopeError } from '../util/errors.js';

/** Error codes of a failed request, counted per query in the report. */
export type RequestErrorCode =
  | 'WATTSCOPE_HTTP_STATUS'
  | 'WATTSCOPE_CONNECT'
  | 'WATTSCOPE_CONNECT_TIMEOUT'
  | 'WATTSCOPE_READ_TIMEOUT'
  | 'WATTSCOPE_STREAM_DROPPED'
  | 'WATTSCOPE_BAD_SSE'
  | 'WATTSCOPE_NO_TOKENS'
  | 'WATTSCOPE_QUERY_DEADLINE'
  | 'WATTSCOPE_STREAM_TOO_LONG'
  | 'WATTSCOPE_ABORTED';

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
