/**
 * Whether an OpenAI-compatible endpoint answers at all, checked before anything is measured (idle
 * power included): one GET of its model list. Any HTTP answer will do (a server without that
 * route answers 404); no answer is WATTSCOPE_ENDPOINT_UNREACHABLE, naming the connection error.
 */
import { WattscopeError } from '../util/errors.js';

/** Throws WATTSCOPE_ENDPOINT_UNREACHABLE when nothing answers at `endpoint` within `timeoutMs`. */
export async function checkEndpointAnswers(endpoint: string, timeoutMs: number, apiKey: string | null = null): Promise<void> {
  const url = `${endpoint.replace(/\/+$/, '')}/models`;
  try {
    const response = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    });
    await response.body?.cancel();
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? (err as Error).message);
    throw new WattscopeError('WATTSCOPE_ENDPOINT_UNREACHABLE', `cannot reach the endpoint ${endpoint} (${why}); nothing was measured`, {
      field: 'endpoint',
      cause: err,
    });
  }
}
