/**
 * Serving metrics of a run against a model server: time to first token and
 * inter-token latency percentiles, and, for concurrency N > 1, the steady-state
 * window (from when N requests are first in flight until the tail begins, as the
 * ML.ENERGY benchmark does) with its energy per token and per request.
 */
import type { LatencyPercentiles, ServingRecord } from '../formats/report-types.js';
import type { QueryContext } from '../monitor/scope.js';
import type { DatasetRow } from '../runner/dataset.js';
import type { MeasuredWindow, RunStatsHook } from '../runner/runner.js';
import type { OpenAIStreamClient } from './client.js';
import { judgeStability } from './mlenergy-stability.js';
import { mean, meanIfAll } from '../util/mean.js';

/** What the endpoint handler returns for each query (the runner recognises it). */
export interface ServedQuery {
  sendNs: bigint;
  firstTokenNs: bigint;
  tokenTimesNs: bigint[];
  completionTokens: number;
  promptTokens: number | null;
  attempts: number;
}

export function isServedQuery(v: unknown): v is ServedQuery {
  return typeof v === 'object' && v !== null && Array.isArray((v as ServedQuery).tokenTimesNs) && typeof (v as ServedQuery).sendNs === 'bigint';
}

/**
 * The benchmark handler for an endpoint: prefill = request sent -> first token,
 * decode = first token -> last token. Prefill counts the prompt's tokens, decode
 * the generated ones after the first (which prefill produced), as AI Energy Score does.
 */
export function endpointHandler(client: OpenAIStreamClient) {
  return async (row: DatasetRow, q: QueryContext, ctx?: { signal?: AbortSignal }): Promise<ServedQuery> => {
    const sendNs = process.hrtime.bigint();
    const active = await q.phase('prefill', () => client.start(row.text, ctx?.signal));
    const result = await q.phase('decode', () => active.rest());
    q.count('prefill', { tokens: result.promptTokens ?? row.text.split(/\s+/).filter(Boolean).length });
    q.count('decode', { tokens: Math.max(0, result.completionTokens - 1) });
    return {
      sendNs,
      firstTokenNs: active.firstTokenNs,
      tokenTimesNs: result.tokenTimesNs,
      completionTokens: result.completionTokens,
      promptTokens: result.promptTokens,
      attempts: result.attempts,
    };
  };
}

/** Latency percentiles, ms: the report's own type. */
export type Percentiles = LatencyPercentiles;

export function percentiles(xs: number[]): Percentiles | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

/** A run's serving metrics: the report's own record (wattscope-report.json's runs[].serving). */
export type ServingStats = ServingRecord;

export function servingStats(results: ServedQuery[], concurrency: number, window: MeasuredWindow | null): ServingStats {
  const ttft = results.map((r) => Number(r.firstTokenNs - r.sendNs) / 1e6);
  const itl: number[] = [];
  for (const r of results) for (let i = 1; i < r.tokenTimesNs.length; i++) itl.push(Number(r.tokenTimesNs[i]! - r.tokenTimesNs[i - 1]!) / 1e6);
  let w: ServingStats['window'] = null;
  if (window) {
    const inWin = (t: bigint) => t >= window.startNs && t <= window.endNs;
    const tokens = results.reduce((s, r) => s + r.tokenTimesNs.filter(inWin).length, 0);
    const requests = results.filter((r) => inWin(r.tokenTimesNs[r.tokenTimesNs.length - 1]!)).length;
    const durationS = Number(window.endNs - window.startNs) / 1e9;
    w = {
      kind: window.kind,
      durationS,
      energyJ: window.energyJ,
      tokens,
      requests,
      jPerToken: tokens ? window.energyJ / tokens : null,
      jPerRequest: requests ? window.energyJ / requests : null,
      tokensPerS: durationS > 0 ? tokens / durationS : 0,
      meanRunningRequests: window.meanRunningRequests ?? null,
      energyUncertaintyJ: window.energyUncertaintyJ ?? null,
    };
  }
  const lengths = results.map((r) => r.completionTokens);
  const lengthPercentiles = percentiles(lengths);
  return {
    concurrency,
    ttftMs: percentiles(ttft),
    itlMs: percentiles(itl),
    ttftMeanMs: meanIfAll(ttft),
    itlMeanMs: meanIfAll(itl),
    completedRequests: results.length,
    generatedTokens: results.reduce((s, r) => s + r.completionTokens, 0),
    responseTokens: lengthPercentiles && { mean: mean(lengths), ...lengthPercentiles, max: Math.max(...lengths) },
    window: w,
    mlEnergyStability: judgeStability({
      maxNumSeqs: concurrency,
      steadyState: w && { durationS: w.durationS, jPerToken: w.jPerToken, meanRunningRequests: w.meanRunningRequests ?? null },
    }),
    attribution:
      concurrency > 1
        ? "requests overlap: the energy of each instant is shared equally among the phases in flight at that instant; per-token and per-request figures use the steady-state window's counter energy"
        : 'one request at a time: each phase is measured on its own',
  };
}

/** `runBenchmark`'s `runStats` hook for `endpointHandler`: the served queries' statistics, or null without any. */
export const servingRunStats: RunStatsHook = (results, window, concurrency) => {
  const served = results.filter(isServedQuery);
  return served.length ? servingStats(served, concurrency, window) : null;
};
