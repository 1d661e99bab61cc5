/**
 * The little of Prometheus's HTTP API the runner needs: an instant query returning raw samples
 * (a range vector), validated. A response of any other shape, a value that is not a finite number,
 * or an error status is a typed error naming the query, never an empty or zero result.
 */
import { z } from 'zod';
import { WattscopeError } from '../util/errors.js';
import type { CounterSample } from './counter-window.js';

/** One series of a range vector: its labels and raw samples in time order. */
export interface PrometheusSeries {
  labels: Record<string, string>;
  samples: CounterSample[];
}

const SampleSchema = z.tuple([z.number(), z.string()]);
const MatrixResponseSchema = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('matrix'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(SampleSchema) })),
  }),
});
const ErrorResponseSchema = z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() });

/** How long one query may take, ms. */
const QUERY_TIMEOUT_MS = 10_000;

/** A label value as PromQL's double-quoted string literal. */
export function promqlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Runs an instant query whose result is a range vector (raw samples), at `atMs` (Unix ms); returns
 * its series and the server's clock from its Date header (Unix ms, 1 s resolution; null without one).
 */
export async function queryRangeVector(
  baseUrl: string,
  query: string,
  atMs: number,
  signal?: AbortSignal,
): Promise<{ series: PrometheusSeries[]; serverDateMs: number | null }> {
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const body = new URLSearchParams({ query, time: (atMs / 1000).toFixed(3) });
  const timeout = AbortSignal.timeout(QUERY_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_PROMETHEUS_UNREACHABLE', `Prometheus at ${baseUrl} did not answer the query ${query}: ${(err as Error).message}`, {
      field: 'nodes.prometheus',
      cause: err,
    });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badResponse(baseUrl, query, `HTTP ${response.status}, not JSON: ${text.slice(0, 120)}`);
  }
  const failure = ErrorResponseSchema.safeParse(json);
  if (failure.success) {
    throw new WattscopeError(
      'WATTSCOPE_PROMETHEUS_QUERY',
      `Prometheus at ${baseUrl} refused the query ${query}: ${failure.data.errorType}: ${failure.data.error}`,
      {
        field: 'nodes',
      },
    );
  }
  const parsed = MatrixResponseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw badResponse(baseUrl, query, `at "${issue.path.join('.')}": ${issue.message}`);
  }
  const date = Date.parse(response.headers.get('date') ?? '');
  return {
    series: parsed.data.data.result.map((series, seriesIndex) => ({
      labels: series.metric,
      samples: series.values.map(([timeS, value], sampleIndex) => {
        const valueJ = Number(value);
        if (!Number.isFinite(valueJ) || value.trim() === '') {
          throw badResponse(baseUrl, query, `at "data.result.${seriesIndex}.values.${sampleIndex}": "${value}" is not a finite number`);
        }
        return { timeMs: timeS * 1000, valueJ };
      }),
    })),
    serverDateMs: Number.isFinite(date) ? date : null,
  };
}

function badResponse(baseUrl: string, query: string, why: string): WattscopeError {
  return new WattscopeError('WATTSCOPE_PROMETHEUS_RESPONSE', `Prometheus at ${baseUrl} answered the query ${query} with an unexpected response: ${why}`, {
    field: 'nodes.prometheus',
  });
}
