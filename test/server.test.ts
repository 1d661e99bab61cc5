/**
 * Measuring a model server: a loopback fake OpenAI-compatible streaming server
 * with deterministic token timing drives the simulated GPU while it "computes".
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyMonitor, type Measurement } from '../src/index.js';
import { endpointHandler, servingRunStats } from '../src/public/server.js';
import { sseEvents } from '../src/server/sse.js';
import { startFakeServer, type FakeServer, type ServerVariant } from '../src/public/testing.js';
import { syntheticDataset } from '../src/public/runner.js';
import { runBenchmark, type BenchmarkHandler } from '../src/runner/runner.js';
import { WattscopeReportSchema } from '../src/formats/report-schema.js';
import type { RunRecord } from '../src/formats/report-types.js';
import { configureSim, sleep } from './helpers/sim.js';
import { unresolvedIntervalsJ } from './helpers/unresolved.js';
import { runCli, startCli } from './helpers/cli.js';
import { testClient } from './helpers/stream-client.js';

const client = testClient;
const bytes = (chunks: string[]) =>
  (async function* () {
    for (const c of chunks) yield new TextEncoder().encode(c);
  })();

let server: FakeServer | undefined;
let monitor: EnergyMonitor | undefined;
afterEach(async () => {
  await server?.close();
  await monitor?.close();
  server = undefined;
  monitor = undefined;
});

async function bench(opts: { variant?: ServerVariant; queries?: number; concurrency?: number; faults?: object; clientExtra?: object; endpoint?: string }) {
  const sim = configureSim({ control: true });
  const phases: Measurement[] = [];
  // Per phase scope, the sample intervals around its boundaries where the sampler could not
  // resolve the power's steps (see helpers/unresolved.ts), taken while its samples are retained.
  const unresolved = new Map<Measurement, Map<bigint, number>>();
  const opened: EnergyMonitor = await EnergyMonitor.open({
    simulate: true,
    sampleHz: 2000,
    onMeasurement: (m) => {
      if (!m.phase) return;
      phases.push(m);
      const windowNs: [bigint, bigint] = [m.startNs - 50_000_000n, m.endNs + 50_000_000n];
      unresolved.set(m, unresolvedIntervalsJ(opened.timeline(0, ...windowNs), windowNs, [m.startNs, m.endNs], sim));
    },
  });
  monitor = opened;
  server = await startFakeServer({ variant: opts.variant ?? 'vllm', power: sim, prefillMs: 12, prefillMsPerWord: 0, itlMs: 3, ...opts.faults });
  const report = await runBenchmark({
    dataset: syntheticDataset(opts.queries ?? 20),
    handler: endpointHandler(client(opts.endpoint ?? server.url, opts.clientExtra)) as BenchmarkHandler,
    runStats: servingRunStats,
    runs: 1,
    warmup: 0,
    monitor,
    idleMeasureS: 0,
    randomDelayMaxS: 0,
    phases: ['prefill', 'decode'],
    concurrency: opts.concurrency ?? 1,
  });
  await monitor.settle();
  const unresolvedJ = (ms: Measurement[]) => ms.reduce((sum, m) => sum + [...(unresolved.get(m)?.values() ?? [])].reduce((a, b) => a + b, 0), 0);
  return { report, run: report.runs[0]!, phases, sim, unresolvedJ };
}

describe('SSE parsing', () => {
  it('handles data with and without a space, CRLF, comments, event lines, multi-line data and a missing final blank line', async () => {
    const events = [];
    for await (const e of sseEvents(bytes([': ping\n\ndata: {"a":1}\n', '\ndata:{"b":2}\r\n\r\nevent: x\ndata: line1\ndata: line2\n\ndata: [DO', 'NE]'])))
      events.push(e);
    expect(events).toEqual([
      { event: null, data: '{"a":1}' },
      { event: null, data: '{"b":2}' },
      { event: 'x', data: 'line1\nline2' },
      { event: null, data: '[DONE]' },
    ]);
  });
});

describe('prefill and decode against an endpoint', () => {
  it('prefill = request -> first token, decode = first -> last token; energies match the truth; tokens and latencies', async () => {
    const { run, phases, sim, unresolvedJ } = await bench({ queries: 20 });
    expect(run.failedQueries).toBe(0);
    for (const p of ['prefill', 'decode']) {
      const mine = phases.filter((m) => m.phase === p);
      expect(mine).toHaveLength(20);
      const truth = mine.reduce((s, m) => s + sim.energyJ(0, m.startNs, m.endNs), 0);
      // Within its stated uncertainty, and within 2% plus what the sampler left unresolved (seen
      // 33% off with two busy loops and the suite beside it, where a fixed 2% was the bound).
      const where = `${p}: ${run.phases[p]!.energyJ} J +- ${run.phases[p]!.uncertaintyJ}, truth ${truth} J, unresolved ${unresolvedJ(mine)} J`;
      expect(Math.abs(run.phases[p]!.energyJ - truth), where).toBeLessThanOrEqual(run.phases[p]!.uncertaintyJ);
      expect(Math.abs(run.phases[p]!.energyJ - truth), where).toBeLessThan(0.02 * truth + unresolvedJ(mine));
    }
    // The server computes prefill at 590 W and decode at 330 W; each window also holds transfer
    // time at the 70 W idle level (more of it on a busy machine, which delays the event loop), so
    // only the order and the ceilings are asserted, not a margin that holds on a quiet machine only.
    const prefillW = run.phases.prefill!.energyJ / run.phases.prefill!.durationS;
    const decodeW = run.phases.decode!.energyJ / run.phases.decode!.durationS;
    expect(prefillW).toBeGreaterThan(decodeW);
    expect(prefillW).toBeLessThan(590);
    expect(decodeW).toBeLessThan(400);
    expect(run.phases.decode!.tokens).toBe(20 * 9); // 10 new tokens, the first came from prefill
    const s = run.serving!;
    expect(s.completedRequests).toBe(20);
    expect(s.ttftMs!.p50).toBeGreaterThanOrEqual(12);
    expect(s.ttftMs!.p50).toBeLessThan(30);
    expect(s.itlMs!.p50).toBeGreaterThanOrEqual(2.5);
    expect(s.itlMs!.p50).toBeLessThan(10);
    expect(s.window!.kind).toBe('whole-run');
    expect(s.window!.tokens).toBe(200);
    expect(s.window!.jPerToken).toBeCloseTo(s.window!.energyJ / 200, 12);
  }, 60_000);

  for (const variant of ['vllm', 'tgi', 'llamacpp', 'ollama'] as const) {
    it(`reads the ${variant} stream variant`, async () => {
      const { run } = await bench({ variant, queries: 4 });
      expect(run.failedQueries).toBe(0);
      expect(run.serving!.generatedTokens).toBe(40);
      expect(run.phases.decode!.tokens).toBe(36);
    }, 30_000);
  }

  it('concurrency 4: a steady-state window with J per token and per request; overlapping phases still add up', async () => {
    const { run } = await bench({ queries: 24, concurrency: 4 });
    expect(run.failedQueries).toBe(0);
    const w = run.serving!.window!;
    expect(w.kind).toBe('steady-state');
    expect(w.durationS).toBeGreaterThan(0);
    expect(w.tokens).toBeGreaterThan(0);
    expect(w.jPerToken).toBeGreaterThan(0);
    expect(w.jPerRequest).toBeGreaterThan(w.jPerToken!);
    expect(run.serving!.attribution).toMatch(/shared equally/);
    const parts = run.phases.prefill!.energyJ + run.phases.decode!.energyJ + run.unattributedEnergyJ;
    expect(Math.abs(parts - run.totalEnergyJ)).toBeLessThan(1e-6 * run.totalEnergyJ);
  }, 60_000);
});

describe('a robust client', () => {
  it('retries HTTP 500s before the first token', async () => {
    const { run } = await bench({ queries: 3, faults: { failFirst: 2 } });
    expect(run.failedQueries).toBe(0);
    expect(server!.requests).toBe(5);
  }, 30_000);

  it('counts failures per query by code; a failed query is never a zero: the run is flagged and excluded', async () => {
    const { run, report } = await bench({ queries: 6, faults: { failFirst: 2, dropRequests: [4], malformedRequests: [5] }, clientExtra: { retries: 0 } });
    expect(run.errors).toEqual({ WATTSCOPE_HTTP_STATUS: 2, WATTSCOPE_STREAM_DROPPED: 1, WATTSCOPE_BAD_SSE: 1 });
    expect(run.failedQueries).toBe(4);
    expect(run.unstable.join()).toMatch(/failed-queries: 4 of 6 queries threw, over the 5% allowed \(WATTSCOPE_HTTP_STATUS x2/);
    expect(run.included).toBe(false);
    expect(report.aiEnergyScore).toBeNull();
  }, 30_000);

  it('connect errors and read timeouts are typed', async () => {
    let r = await bench({ queries: 2, endpoint: 'http://127.0.0.1:1/v1', clientExtra: { retries: 1 } });
    expect(r.run.errors).toEqual({ WATTSCOPE_CONNECT: 2 });
    await server!.close();
    await monitor!.close();
    r = await bench({ queries: 1, faults: { itlMs: 400 }, clientExtra: { readTimeoutMs: 100 } });
    expect(r.run.errors).toEqual({ WATTSCOPE_READ_TIMEOUT: 1 });
  }, 30_000);
});

describe('the CLI against a server', () => {
  it('wattscope run --endpoint: Ctrl-C stops cleanly, writes what was measured, exits 130', async () => {
    const sim = configureSim({ control: true });
    server = await startFakeServer({ power: sim, prefillMs: 5, itlMs: 2 });
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-srv-'));
    const data = path.join(dir, 'd.jsonl');
    (await import('node:fs')).writeFileSync(data, Array.from({ length: 60 }, (_, i) => JSON.stringify({ text: `prompt number ${i}` })).join('\n'));
    const out = path.join(dir, 'out');
    const child = startCli(['run', '--endpoint', server.url, '--model', 'fake', '--dataset', data, '--out', out, '--runs', '50', '--simulate']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(existsSync(path.join(out, 'runs')) && readdirSync(path.join(out, 'runs')).length >= 1)) await sleep(25);
    // Ten queries into the next run: the stop lands mid-run.
    const requestsAfterFirstRun = server.requests;
    while (Date.now() < deadline && server.requests < requestsAfterFirstRun + 10) await sleep(5);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(130);
    expect(stderr).toMatch(/stopping/);
    const report = WattscopeReportSchema.parse(JSON.parse(readFileSync(path.join(out, 'wattscope-report.json'), 'utf8')));
    expect(report.status).toBe('interrupted');
    expect(report.notes.join(' ')).toMatch(/interrupted after \d+ runs/);
    // Stopped mid-run, that partial run is kept, flagged, excluded, and normalized by the queries it ran.
    const interrupted = report.runs.filter((r) => r.flags.includes('interrupted'));
    expect(interrupted).toHaveLength(1);
    const [partial] = interrupted as [RunRecord];
    expect(partial.included).toBe(false);
    expect(partial.queries).toBeGreaterThanOrEqual(9);
    expect(partial.queries).toBeLessThan(60);
    expect(partial.phases.decode!.energyJ).toBeGreaterThan(0);
    expect(partial.phaseWhPer1000.decode).toBeCloseTo((partial.phases.decode!.energyJ * (1000 / partial.queries)) / 3600, 9);
    expect(report.runs.filter((r) => r.included && r.queries === 60).length).toBeGreaterThanOrEqual(1);
    expect(existsSync(path.join(out, 'GPU_ENERGY_WH.txt'))).toBe(true);
  }, 90_000);

  it('wattscope demo --server writes the same outputs', () => {
    configureSim();
    const out = mkdtempSync(path.join(tmpdir(), 'wattscope-demo-srv-'));
    const r = runCli(['demo', '--server', '--out', out, '--runs', '2', '--queries', '40', '--idle', '0.2', '--json']);
    expect(r.status).toBe(0);
    for (const f of ['GPU_ENERGY_WH.txt', 'GPU_ENERGY_SUMMARY.json', 'benchmark_report.json', 'wattscope-report.json', 'report.html', 'timeline.json']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    const report = WattscopeReportSchema.parse(JSON.parse(readFileSync(path.join(out, 'wattscope-report.json'), 'utf8')));
    expect(report.benchmark.phases).toEqual(['prefill', 'decode']);
    expect(report.runs[0]!.serving!.completedRequests).toBe(40);
    const summary = JSON.parse(readFileSync(path.join(out, 'GPU_ENERGY_SUMMARY.json'), 'utf8'));
    expect(summary.prefill_wh).toBeGreaterThan(0);
    expect(summary.decode_wh).toBeGreaterThan(0);
  }, 60_000);
});
