/**
 * The ML.ENERGY Benchmark's way, end to end against the loopback fake server and the simulated
 * H100: a sweep of three batch sizes (max_num_seqs) with free-length answers, exported as V3 LLM
 * records (Parquet, round-tripped through hyparquet with the schema's types, and JSONL) that agree
 * with the wattscope reports; the sweep's page and Pareto frontier; and `compare` against a small
 * V3-shaped Parquet of LLM and diffusion rows, whose invalid rows are errors naming row and field.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnergyMonitor, type Measurement } from '../src/index.js';
import { readMlEnergyRuns } from '../src/formats/mlenergy-file.js';
import { diffusionBatch } from '../src/runner/diffusion.js';
import { runBenchmark } from '../src/runner/runner.js';
import { syntheticDataset } from '../src/runner/synthetic.js';
import type { WattscopeReport } from '../src/formats/report-types.js';
import { startFakeServer, type FakeServer } from '../src/public/testing.js';
import { runCli, startCli } from './helpers/cli.js';
import { configureSim, sleep } from './helpers/sim.js';

const SWEEP = [2, 4, 8];
let server: FakeServer;
let dir: string;
let sweepOut: string;

async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

const reportOf = (n: number) => JSON.parse(readFileSync(path.join(sweepOut, `max_num_seqs-${n}`, 'wattscope-report.json'), 'utf8')) as WattscopeReport;

beforeAll(async () => {
  const sim = configureSim({ control: true });
  // Answers of the model's own length: 6 to 30 tokens, by the prompt.
  server = await startFakeServer({ power: sim, prefillMs: 2, itlMs: 1, naturalTokens: (prompt) => 6 + (prompt.length % 25) });
  dir = mkdtempSync(path.join(tmpdir(), 'wattscope-mlenergy-'));
  writeFileSync(path.join(dir, 'd.jsonl'), Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `prompt ${'x'.repeat(i)}` })).join('\n'));
  sweepOut = path.join(dir, 'sweep');
  const args = ['run', '--endpoint', server.url, '--model', 'org/Tiny-1B', '--dataset', path.join(dir, 'd.jsonl'), '--out', sweepOut];
  const result = await cli([...args, '--runs', '1', '--simulate', '--max-num-seqs', SWEEP.join(','), '--free-length', '--max-new-tokens', '64']);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/max_num_seqs sweep/);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('a max_num_seqs sweep', () => {
  it('runs each batch size in its own result directory, with free-length answers and the stability rules judged', () => {
    for (const n of SWEEP) {
      const run = reportOf(n).runs[0]!;
      const serving = run.serving!;
      expect(serving.concurrency).toBe(n);
      // Free length: the model's own lengths, 6 to 30 tokens, not 10 forced.
      expect(serving.responseTokens!.max).toBeLessThanOrEqual(30);
      expect(serving.responseTokens!.p50).not.toBe(serving.responseTokens!.max);
      // n kept in flight, less the client's gap between an answer and the next request (0.81 of n
      // was seen at n = 8 with two busy loops beside the suite; a runner that kept half of n would fail).
      expect(serving.window!.meanRunningRequests!).toBeGreaterThan(0.7 * n);
      expect(serving.window!.meanRunningRequests!).toBeLessThanOrEqual(n);
      // A steady state of about a second: unstable by the first rule; and by the running-requests
      // rule exactly when the mean measured above fell under 0.85 x n (seen with two busy loops
      // and a build beside the suite: the client's gap between an answer and the next request grows).
      const expected = [expect.stringMatching(/^steady-state-short: \d+\.\d\d s is under 20 s$/)];
      if (serving.window!.meanRunningRequests! < 0.85 * n) expected.push(expect.stringMatching(/^running-requests: \d+\.\d\d in flight on average/));
      expect(serving.mlEnergyStability).toEqual({ isStable: false, reasons: expected });
    }
  });

  it('writes sweep.json and sweep.html: J/token against mean ITL, the Pareto frontier marked', () => {
    const summary = JSON.parse(readFileSync(path.join(sweepOut, 'sweep.json'), 'utf8')) as {
      points: Array<{ maxNumSeqs: number; onFrontier: boolean; record: { mean_itl_ms: number; energy_per_token_joules: number } }>;
    };
    expect(summary.points.map((p) => p.maxNumSeqs)).toEqual(SWEEP);
    for (const p of summary.points) {
      const dominated = summary.points.some(
        (q) => q !== p && q.record.mean_itl_ms <= p.record.mean_itl_ms && q.record.energy_per_token_joules <= p.record.energy_per_token_joules,
      );
      expect(p.onFrontier, `max_num_seqs ${p.maxNumSeqs}`).toBe(!dominated);
    }
    const html = readFileSync(path.join(sweepOut, 'sweep.html'), 'utf8');
    expect(html.match(/<circle class="point/g)).toHaveLength(3);
    expect(html.match(/class="point frontier"/g)?.length).toBe(summary.points.filter((p) => p.onFrontier).length);
    for (const n of SWEEP) expect(existsSync(path.join(sweepOut, `max_num_seqs-${n}`, 'report.html'))).toBe(true);
  });

  it('exports V3 LLM records that agree with the reports: Parquet with the schema types, and JSONL', async () => {
    const parquet = path.join(dir, 'records.parquet');
    const dirs = SWEEP.map((n) => path.join(sweepOut, `max_num_seqs-${n}`));
    const exported = runCli(['export', '--format', 'mlenergy', ...dirs, '--out', parquet]);
    expect(exported.status, exported.stderr).toBe(0);
    const bytes = readFileSync(parquet);
    const rows = (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })) as Array<
      Record<string, unknown>
    >;
    expect(rows).toHaveLength(3);
    for (const [i, n] of SWEEP.entries()) {
      const row = rows[i]!;
      const serving = reportOf(n).runs[0]!.serving!;
      const window = serving.window!;
      expect(row).toMatchObject({
        task: 'text-generation',
        model_id: 'org/Tiny-1B',
        nickname: 'Tiny-1B',
        gpu_model: 'H100',
        num_gpus: 1,
        max_num_seqs: n,
        is_stable: false,
      });
      expect(row.energy_per_token_joules).toBeCloseTo(window.energyJ / window.tokens, 12);
      expect(row.output_throughput_tokens_per_sec).toBeCloseTo(window.tokensPerS, 9);
      expect(row.avg_power_watts).toBeCloseTo(window.energyJ / window.durationS, 9);
      expect(row.mean_itl_ms).toBeCloseTo(serving.itlMeanMs!, 9);
      expect(row.p99_itl_ms).toBeCloseTo(serving.itlMs!.p99, 9);
      expect(row.mean_response_tokens).toBeCloseTo(serving.responseTokens!.mean, 9);
      // The schema's types survive: int, float, bool, str.
      expect(Number.isInteger(row.max_num_seqs) && Number.isInteger(row.num_gpus)).toBe(true);
      expect(typeof row.energy_per_token_joules).toBe('number');
      expect(typeof row.is_stable).toBe('boolean');
      expect(typeof row.gpu_model).toBe('string');
    }
    const jsonl = path.join(dir, 'records.jsonl');
    expect(runCli(['export', '--format', 'mlenergy', ...dirs, '--out', jsonl]).status).toBe(0);
    const lines = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.energy_per_token_joules)).toEqual(rows.map((r) => r.energy_per_token_joules));
    const wrongExtension = runCli(['export', '--format', 'mlenergy', dirs[0]!, '--out', path.join(dir, 'records.csv')]);
    expect(wrongExtension.status).toBe(1);
    expect(wrongExtension.stderr).toMatch(/the extension chooses the format: \.parquet or \.jsonl/);
  });
});

/** A V3-shaped Parquet: LLM rows (diffusion columns null) and diffusion rows (LLM columns null). */
function v3Parquet(file: string, llm: Array<Record<string, unknown>>, diffusion: Array<Record<string, unknown>>, codec: 'SNAPPY' | 'GZIP' = 'SNAPPY'): string {
  const rows = [...llm, ...diffusion];
  const column = (name: string, type: 'STRING' | 'INT32' | 'DOUBLE' | 'BOOLEAN') => ({ name, type, nullable: true, data: rows.map((r) => r[name] ?? null) });
  const columnData = [
    ...['task', 'model_id', 'nickname', 'gpu_model'].map((n) => column(n, 'STRING')),
    ...['num_gpus', 'max_num_seqs', 'batch_size', 'height', 'width'].map((n) => column(n, 'INT32')),
    ...['energy_per_token_joules', 'output_throughput_tokens_per_sec', 'avg_power_watts', 'mean_itl_ms', 'energy_per_generation_joules', 'batch_latency_s'].map(
      (n) => column(n, 'DOUBLE'),
    ),
    column('is_stable', 'BOOLEAN'),
  ];
  const compressors = { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) };
  writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData, codec, compressors })));
  return file;
}

const llmRow = (model: string, seqs: number, jPerToken: number, over: Record<string, unknown> = {}) => ({
  task: 'text-generation',
  model_id: model,
  nickname: model.split('/')[1],
  gpu_model: 'H100',
  num_gpus: 1,
  max_num_seqs: seqs,
  energy_per_token_joules: jPerToken,
  output_throughput_tokens_per_sec: 1000,
  avg_power_watts: 400,
  mean_itl_ms: 20,
  is_stable: true,
  ...over,
});
const diffusionRow = {
  task: 'text-to-image',
  model_id: 'sd/SD-3',
  nickname: 'SD-3',
  gpu_model: 'H100',
  num_gpus: 1,
  batch_size: 4,
  energy_per_generation_joules: 900,
  height: 1024,
  width: 1024,
  batch_latency_s: 3.2,
  avg_power_watts: 600,
};

describe('compare with the ML.ENERGY dataset', () => {
  it("places the result by J/token among the same task and GPU's runs, and names the nearest", async () => {
    const ours = reportOf(4).runs[0]!.serving!.window!;
    const jPerToken = ours.energyJ / ours.tokens;
    const file = v3Parquet(
      path.join(dir, 'runs.parquet'),
      [
        llmRow('a/A-1B', 4, jPerToken / 2),
        llmRow('b/B-70B', 4, jPerToken * 3),
        llmRow('c/C-1B', 8, jPerToken * 2),
        llmRow('d/D-1B', 4, jPerToken / 10, { gpu_model: 'B200' }),
      ],
      [diffusionRow],
    );
    const runs = await readMlEnergyRuns(file);
    expect(runs.llm).toHaveLength(4);
    // A GZIP-compressed file (as published datasets often are) reads the same.
    const gzipped = v3Parquet(path.join(dir, 'runs-gzip.parquet'), [llmRow('a/A-1B', 4, jPerToken / 2)], [diffusionRow], 'GZIP');
    expect(
      readFileSync(gzipped).equals(readFileSync(v3Parquet(path.join(dir, 'runs-snappy.parquet'), [llmRow('a/A-1B', 4, jPerToken / 2)], [diffusionRow]))),
    ).toBe(false);
    expect(await readMlEnergyRuns(gzipped)).toEqual({ llm: [runs.llm[0]], diffusion: [{ ...diffusionRow, row: 2 }] });
    expect(runs.diffusion).toEqual([{ ...diffusionRow, row: 5 }]);
    const r = runCli(['compare', '--mlenergy', file, path.join(sweepOut, 'max_num_seqs-4'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const { comparison } = JSON.parse(r.stdout) as { comparison: { peers: number; rank: number; percentile: number; nearest: Array<{ row: number }> } };
    expect(comparison).toMatchObject({ peers: 3, rank: 2, percentile: (2 / 3) * 100 });
    expect(comparison.nearest.map((n) => n.row)).toEqual([1, 3, 2]);
    const text = runCli(['compare', '--mlenergy', file, path.join(sweepOut, 'max_num_seqs-4')]);
    expect(text.stdout).toMatch(/rank 2 of 3 runs of text-generation on H100; uses no more energy per token than 66\.7% of them/);
  });

  it('a row with a missing or non-numeric field is an error naming the row and field', async () => {
    const missing = v3Parquet(
      path.join(dir, 'missing.parquet'),
      [llmRow('a/A-1B', 4, 0.1), llmRow('b/B-1B', 4, 0.2, { gpu_model: null })],
      [{ ...diffusionRow, height: null }],
    );
    await expect(readMlEnergyRuns(missing)).rejects.toMatchObject({
      code: 'WATTSCOPE_BAD_DATASET',
      line: 2,
      field: 'gpu_model',
      message: expect.stringMatching(/row 2: gpu_model missing$/),
    });
    const diffusionMissing = v3Parquet(path.join(dir, 'diffusion-missing.parquet'), [llmRow('a/A-1B', 4, 0.1)], [{ ...diffusionRow, height: null }]);
    await expect(readMlEnergyRuns(diffusionMissing)).rejects.toMatchObject({ line: 2, field: 'height' });
    const jsonl = path.join(dir, 'bad.jsonl');
    writeFileSync(jsonl, [llmRow('a/A-1B', 4, 0.1), llmRow('b/B-1B', 4, 0.2, { mean_itl_ms: 'fast' })].map((r) => JSON.stringify(r)).join('\n'));
    await expect(readMlEnergyRuns(jsonl)).rejects.toMatchObject({
      line: 2,
      field: 'mean_itl_ms',
      message: expect.stringMatching(/row 2: mean_itl_ms "fast" is not a float$/),
    });
    const fractional = path.join(dir, 'fractional.jsonl');
    writeFileSync(fractional, JSON.stringify(llmRow('a/A-1B', 4.5, 0.1)));
    await expect(readMlEnergyRuns(fractional)).rejects.toMatchObject({ line: 1, field: 'max_num_seqs', message: expect.stringMatching(/4\.5 is not an int$/) });
    const r = runCli(['compare', '--mlenergy', missing, path.join(sweepOut, 'max_num_seqs-4')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing\.parquet: row 2: gpu_model missing/);
  });
});

describe('image generation (diffusion) records', () => {
  it('a handler returning diffusion batches gets energy per generation, batch latency and power per run, exported as V3 diffusion rows', async () => {
    const sim = configureSim({ control: true });
    const phases: Measurement[] = [];
    const monitor = await EnergyMonitor.open({ simulate: true, sampleHz: 1000, onMeasurement: (m) => m.phase && phases.push(m) });
    const outDir = path.join(dir, 'diffusion');
    const report = await runBenchmark({
      dataset: syntheticDataset(8),
      handler: async (_row, q) => {
        await q.phase('generate', () => (sim.setPower(650), sleep(40)), { samples: 4 });
        sim.setPower(80);
        return diffusionBatch(4, 1024, 768);
      },
      phases: ['generate'],
      runs: 2,
      warmup: 1,
      idleMeasureS: 0,
      randomDelayMaxS: 0,
      outDir,
      monitor,
      task: 'text-to-image',
      model: 'stabilityai/stable-diffusion-3.5-medium',
    }).finally(() => monitor.close());
    for (const run of report.runs) {
      const d = run.diffusion!;
      expect(d).toMatchObject({ batchSize: 4, height: 1024, width: 768, batches: 8, generations: 32, reason: null });
      const mine = phases.filter((m) => m.phase === 'generate' && !String(m.queryId).startsWith('warmup'));
      expect(mine.length).toBe(16);
      expect(d.energyPerGenerationJ).toBeCloseTo(run.phases.generate!.energyJ / 32, 9);
      expect(d.batchLatencyS!).toBeGreaterThan(0.035); // a 40 ms timer, as the phase boundaries place it
      expect(d.batchLatencyS!).toBeLessThan(0.08);
      expect(d.avgPowerW!).toBeGreaterThan(600);
      expect(d.avgPowerW!).toBeLessThan(660);
    }
    const parquet = path.join(dir, 'diffusion.parquet');
    const exported = runCli(['export', '--format', 'mlenergy', outDir, '--out', parquet]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/wrote 1 ML\.ENERGY diffusion record/);
    const runs = await readMlEnergyRuns(parquet);
    expect(runs.llm).toEqual([]);
    const meanOf = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(runs.diffusion).toEqual([
      {
        task: 'text-to-image',
        model_id: 'stabilityai/stable-diffusion-3.5-medium',
        nickname: 'stable-diffusion-3.5-medium',
        gpu_model: 'H100',
        num_gpus: 1,
        batch_size: 4,
        height: 1024,
        width: 768,
        energy_per_generation_joules: meanOf(report.runs.map((r) => r.diffusion!.energyPerGenerationJ!)),
        batch_latency_s: meanOf(report.runs.map((r) => r.diffusion!.batchLatencyS!)),
        avg_power_watts: meanOf(report.runs.map((r) => r.diffusion!.avgPowerW!)),
        row: 1,
      },
    ]);
    const mixed = runCli(['export', '--format', 'mlenergy', outDir, path.join(sweepOut, 'max_num_seqs-2'), '--out', path.join(dir, 'mixed.parquet')]);
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toMatch(/export LLM and diffusion results to separate files/);
    const compare = runCli(['compare', '--mlenergy', parquet, outDir]);
    expect(compare.stderr).toMatch(/compare places LLM results by energy per token; this one is of image or video generation/);
  }, 60_000);
});
