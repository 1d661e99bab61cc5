/**
 * A real inference engine under the scopes: node-llama-cpp (its npm prebuilt CPU binary, nothing
 * built or downloaded) runs a tiny GGUF model that the test writes (llama architecture, random
 * weights, byte-level vocabulary). Through runBenchmark with llamaHandler: every query has its three
 * phases in order with the engine's token counts and exactly 10 new tokens, the phases plus the
 * unattributed energy add up to the run's counter delta, and the report names the engine and the
 * model file. An abort mid-generation fails the query, never a zero.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getLlama, LlamaChatSession, readGgufFileInfo, type Llama, type LlamaContext, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnergyMonitor, type Measurement } from '../src/index.js';
import { measureChatPrompt, measureSequenceGeneration } from '../src/llama/generation.js';
import { llamaHandler } from '../src/llama/llama-handler.js';
import { TINY_MODEL_SHAPE, tinyGgufBytes, writeTinyGguf } from '../src/llama/tiny-gguf.js';
import type { Dataset } from '../src/runner/dataset.js';
import { runBenchmark } from '../src/runner/runner.js';
import { runCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';

/** Short prompts: the tiny model's byte-level vocabulary spends a token per byte. */
function promptDataset(queries: number): Dataset {
  const rows = Array.from({ length: queries }, (_, i) => {
    const text = `Question ${i + 1}: how much energy does ${'a small model '.repeat(1 + (i % 4))}use?`;
    return { index: i, id: String(i + 1), text, inputs: { text } };
  });
  return { name: `prompts-${queries}`, source: 'test', format: 'builtin', columns: ['text'], rows };
}

// One thread: on a 2-core VM the engine's default thread count makes each token about 100x slower.
const ENGINE = { gpu: false, gpuLayers: 0, contextSize: 512, threads: 1 } as const;

let modelPath: string;
let llama: Llama;
let model: LlamaModel;

beforeAll(async () => {
  modelPath = writeTinyGguf(path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-llama-')), 'tiny.gguf'));
  llama = await getLlama({ gpu: false, build: 'never', progressLogs: false });
  model = await llama.loadModel({ modelPath });
});

afterAll(async () => {
  await llama?.dispose();
});

/** Runs `body` with a simulated-GPU monitor and a one-thread context of the tiny model, both closed after. */
async function withMonitorAndContext(
  body: (monitor: EnergyMonitor, context: LlamaContext) => Promise<void>,
  onMeasurement?: (m: Measurement) => void,
): Promise<void> {
  configureSim();
  const monitor = await EnergyMonitor.open({ simulate: true, ...(onMeasurement ? { onMeasurement } : {}) });
  const context = await model.createContext({ contextSize: ENGINE.contextSize, threads: ENGINE.threads });
  try {
    await body(monitor, context);
  } finally {
    await context.dispose();
    await monitor.close();
  }
}

describe('the tiny GGUF writer', () => {
  it('writes the same bytes for the same seed: GGUF v3, every tensor aligned, as node-llama-cpp reads it', async () => {
    const bytes = tinyGgufBytes({ seed: 7 });
    expect(bytes.equals(tinyGgufBytes({ seed: 7 }))).toBe(true);
    expect(bytes.equals(tinyGgufBytes({ seed: 8 }))).toBe(false);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(bytes.readUInt32LE(4)).toBe(3);
    const tensors = 3 + 9 * TINY_MODEL_SHAPE.blockCount;
    expect(Number(bytes.readBigUInt64LE(8))).toBe(tensors);
    const info = await readGgufFileInfo(modelPath);
    expect(info.version).toBe(3);
    expect(info.tensorInfo!.length).toBe(tensors);
    expect(info.tensorInfo!.every((t) => Number(t.offset) % 32 === 0)).toBe(true);
    expect(info.metadata.llama!.embedding_length).toBe(TINY_MODEL_SHAPE.embeddingLength);
    expect(info.metadata.tokenizer.ggml.tokens.length).toBe(3 + 1 + 256);
  });
});

describe('node-llama-cpp under the scopes', () => {
  it('the tiny model round-trips text through its byte-level vocabulary', () => {
    const text = 'Energy per query: 0.42 Wh, naïve ✓';
    expect(model.detokenize(model.tokenize(text))).toBe(text);
    expect(model.fileInfo.metadata.general.architecture).toBe('llama');
  });

  it('runBenchmark with llamaHandler: three phases in order per query, engine token counts, exactly 10 new tokens, energy adding up', async () => {
    configureSim({ sensor: 'h100' });
    const measurements: Measurement[] = [];
    const monitor = await EnergyMonitor.open({ simulate: true, sampleHz: 1000, onMeasurement: (m) => m.phase && measurements.push(m) });
    const handler = llamaHandler({ modelPath, ...ENGINE, chatTemplate: false });
    const dataset = promptDataset(20);
    const outDir = mkdtempSync(path.join(tmpdir(), 'wattscope-llama-run-'));
    const report = await runBenchmark({ dataset, handler, runs: 1, warmup: 2, idleMeasureS: 0, randomDelayMaxS: 0, outDir, monitor }).finally(async () => {
      await monitor.close();
      await handler.close();
    });
    expect(report.status).toBe('complete');
    const run = report.runs[0]!;
    expect(run.queries).toBe(20);
    expect(run.failedQueries).toBe(0);
    const counted = measurements.filter((m) => !String(m.queryId).startsWith('warmup'));
    for (const row of dataset.rows) {
      const phases = ['preprocess', 'prefill', 'decode'].map((p) => counted.find((m) => m.queryId === row.id && m.phase === p)!);
      expect(
        phases.every((m) => m !== undefined && m.durationS > 0),
        `query ${row.id}`,
      ).toBe(true);
      expect(phases[0]!.endNs <= phases[1]!.startNs && phases[1]!.endNs <= phases[2]!.startNs, `query ${row.id}: phases in order`).toBe(true);
      // Prefill counts what the engine evaluated: the prompt's tokens by the engine's own tokenizer.
      expect(phases[1]!.tokens).toBe(model.tokenize(row.text).length);
      expect(phases[2]!.tokens).toBe(9); // the 10 new tokens but the first, which ends prefill
    }
    expect(handler.results.slice(-20).map((r) => [r.newTokens, r.stopReason])).toEqual(Array.from({ length: 20 }, () => [10, 'max-tokens']));
    // The phases and the energy between them make up the run's counter delta.
    const phaseSumJ = Object.values(run.phases).reduce((sum, p) => sum + p.energyJ, 0);
    expect(phaseSumJ + run.unattributedEnergyJ).toBeCloseTo(run.totalEnergyJ, 6);
    expect(run.phases.decode!.tokens).toBe(20 * 9);
    // The report names the engine and the model file.
    const engine = report.benchmark.engine!;
    expect(engine).toMatchObject({ name: 'node-llama-cpp', build: 'cpu', binary: 'prebuilt', gpuLayers: 0 });
    expect(engine.version).toMatch(/^3\.\d+\.\d+/);
    expect(engine.model).toEqual({
      file: 'tiny.gguf',
      sizeBytes: readFileSync(modelPath).length,
      sha256: createHash('sha256').update(readFileSync(modelPath)).digest('hex'),
      quantization: 'ALL_F32',
      architecture: 'llama',
      name: 'wattscope-tiny-llama',
    });
    expect(JSON.parse(readFileSync(path.join(outDir, 'wattscope-report.json'), 'utf8')).benchmark.engine.model.sha256).toBe(engine.model.sha256);
  }, 120_000);

  it('a model file the engine cannot load fails each query with WATTSCOPE_ENGINE_LOAD, naming the file', async () => {
    configureSim();
    const bad = path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-llama-bad-')), 'not-a-model.gguf');
    writeFileSync(bad, 'this is not GGUF');
    const handler = llamaHandler({ modelPath: bad, ...ENGINE });
    const report = await runBenchmark({
      dataset: promptDataset(2),
      handler,
      runs: 1,
      warmup: 0,
      idleMeasureS: 0,
      randomDelayMaxS: 0,
      monitor: { simulate: true },
    });
    expect(report.runs[0]!.errors).toEqual({ WATTSCOPE_ENGINE_LOAD: 2 });
    await expect(handler.load()).rejects.toMatchObject({ code: 'WATTSCOPE_ENGINE_LOAD', file: bad });
    await handler.close();
  });

  it("through the model's chat template, prefill counts the templated prompt the engine evaluated", () =>
    withMonitorAndContext(async (monitor, context) => {
      const text = 'How much energy?';
      const { result } = await monitor.query('templated', (q) => measureSequenceGeneration(q, context.getSequence(), text));
      expect(result!.newTokens).toBe(10);
      expect(result!.promptTokens).toBeGreaterThan(model.tokenize(text).length);
    }));

  it('a LlamaChatSession prompt is measured the same way, its prefill ended by the first onToken', () =>
    withMonitorAndContext(async (monitor, context) => {
      const session = new LlamaChatSession({ contextSequence: context.getSequence() });
      const record = await monitor.query('chat', (q) => measureChatPrompt(q, session, 'Say something'));
      expect(record.result!.newTokens).toBe(10);
      expect(record.result!.stopReason).toBe('max-tokens');
      expect(record.result!.promptTokens).toBeGreaterThan(0);
      await monitor.settle();
      const [preprocess, prefill, decode] = record.phases;
      expect(record.phases.map((m) => m.phase)).toEqual(['preprocess', 'prefill', 'decode']);
      expect(preprocess!.endNs <= prefill!.startNs && prefill!.endNs <= decode!.startNs).toBe(true);
      expect(prefill!.tokens).toBe(record.result!.promptTokens);
      // The session hands tokens over in chunks (a character's UTF-8 bytes): decode counts those after the first chunk.
      expect(decode!.tokens).toBeGreaterThanOrEqual(5);
      expect(decode!.tokens).toBeLessThanOrEqual(9);
      // Stopped mid-answer: the same typed error as on a sequence.
      const controller = new AbortController();
      const stopped = monitor.query('chat-stopped', (q) =>
        measureChatPrompt(q, session, 'Say more', { maxNewTokens: 40, signal: controller.signal, onToken: (_t, index) => index === 4 && controller.abort() }),
      );
      await expect(stopped).rejects.toMatchObject({ code: 'WATTSCOPE_ABORTED' });
    }));

  it('an abort mid-generation fails the query with the abort, its phases measured, never a zero', () => {
    const measurements: Measurement[] = [];
    return withMonitorAndContext(
      async (monitor, context) => {
        const controller = new AbortController();
        const generation = monitor.query('aborted', (q) =>
          measureSequenceGeneration(q, context.getSequence(), 'Tell me a long story', {
            maxNewTokens: 50,
            signal: controller.signal,
            onToken: (_token, index) => index === 3 && controller.abort(new Error('stopped by the test')),
          }),
        );
        await expect(generation).rejects.toMatchObject({ code: 'WATTSCOPE_ABORTED', message: 'generation stopped after 4 new tokens: stopped by the test' });
        await monitor.settle();
        const decode = measurements.find((m) => m.phase === 'decode')!;
        expect(decode.outcome).toBe('threw');
        expect(decode.error).toMatchObject({ code: 'WATTSCOPE_ABORTED' });
        expect(decode.status).toBe('measured');
        expect(decode.energyJ).toBeGreaterThan(0);
      },
      (m) => m.phase && measurements.push(m),
    );
  });

  it('a benchmark stopped mid-generation keeps the partial run, flagged, with the aborted query failed', async () => {
    configureSim();
    const context = await model.createContext({ contextSize: 512, threads: 1 });
    const sequence = context.getSequence();
    const controller = new AbortController();
    try {
      const report = await runBenchmark({
        dataset: promptDataset(10),
        handler: async (row, q, ctx) => {
          await sequence.clearHistory();
          // The fifth query's generation is stopped after its fourth token.
          const onToken = (_token: unknown, index: number) => row.index === 4 && index === 3 && controller.abort();
          return measureSequenceGeneration(q, sequence, row.text, { signal: ctx.signal, onToken });
        },
        runs: 2,
        warmup: 0,
        idleMeasureS: 0,
        randomDelayMaxS: 0,
        monitor: { simulate: true },
        signal: controller.signal,
      });
      expect(report.status).toBe('interrupted');
      expect(report.runs).toHaveLength(1);
      const run = report.runs[0]!;
      expect(run.queries).toBe(5);
      expect(run.failedQueries).toBe(1);
      expect(run.errors).toEqual({ WATTSCOPE_ABORTED: 1 });
      expect(run.flags).toContain('interrupted');
      expect(run.included).toBe(false);
      expect(run.phases.decode!.count).toBe(5);
      expect(run.phases.decode!.energyJ).toBeGreaterThan(0);
    } finally {
      await context.dispose();
    }
  });

  it('wattscope run takes a llama handler in its config, and demo --engine llama runs the main job on the tiny model', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-llama-cli-'));
    writeTinyGguf(path.join(dir, 'model.gguf'));
    writeFileSync(
      path.join(dir, 'prompts.jsonl'),
      promptDataset(6)
        .rows.map((r) => JSON.stringify({ text: r.text }))
        .join('\n'),
    );
    const config = {
      dataset: { path: 'prompts.jsonl' },
      handler: { llama: { modelPath: 'model.gguf', gpu: false, gpuLayers: 0, contextSize: 512, threads: 1 } },
      outDir: 'out',
      runs: 1,
      warmup: 1,
      idleMeasureS: 0,
      randomDelayMaxS: 0,
      simulate: true,
    };
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify(config));
    const run = runCli(['run', path.join(dir, 'run.json')]);
    expect(run.stderr + run.stdout).toMatch(
      /engine node-llama-cpp 3\.\d+\.\d+ \(llama\.cpp .*, cpu, prebuilt, 0 layers on the GPU\); model model\.gguf, ALL_F32/,
    );
    expect(run.status).toBe(0);
    const report = JSON.parse(readFileSync(path.join(dir, 'out', 'wattscope-report.json'), 'utf8'));
    expect(report.benchmark.workload).toBe('node-llama-cpp model.gguf');
    expect(report.runs[0].phases.decode.tokens).toBe(6 * 9);
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ ...config, handler: { llama: { modelPath: 'model.gguf', gpuLayers: -1 } } }));
    const bad = runCli(['run', path.join(dir, 'bad.json')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/handler\.llama\.gpuLayers/);
    const demo = runCli(['demo', '--engine', 'llama', '--out', path.join(dir, 'demo'), '--runs', '1', '--queries', '8', '--json']);
    expect(demo.status).toBe(0);
    const demoReport = JSON.parse(readFileSync(path.join(dir, 'demo', 'wattscope-report.json'), 'utf8'));
    expect(demoReport.benchmark.engine.model.file).toBe('wattscope-tiny-llama.gguf');
    expect(demoReport.runs[0].queries).toBe(8);
    for (const file of ['GPU_ENERGY_WH.txt', 'GPU_ENERGY_SUMMARY.json', 'benchmark_report.json', 'report.html']) {
      expect(readFileSync(path.join(dir, 'demo', file)).length, file).toBeGreaterThan(0);
    }
  }, 120_000);
});
