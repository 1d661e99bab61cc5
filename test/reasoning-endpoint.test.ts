/**
 * A reasoning model benchmarked through an OpenAI-compatible endpoint: the state and the model
 * list's chat-template text become the request's fields (the fake server records them), and the
 * token budget follows the state (off: exactly 10; on: up to 8,192, stopping when done).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WattscopeReportSchema } from '../src/formats/report-schema.js';
import { startFakeServer, type FakeServer } from '../src/public/testing.js';
import { startCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs `wattscope run` to completion; its exit code and stderr. */
async function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = startCli(args);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}

function dataset(dir: string): string {
  const file = path.join(dir, 'd.jsonl');
  writeFileSync(file, Array.from({ length: 8 }, (_, i) => JSON.stringify({ text: `question ${i}` })).join('\n'));
  return file;
}

type Body = {
  max_tokens: number;
  min_tokens?: number;
  ignore_eos?: boolean;
  reasoning_effort?: string;
  chat_template_kwargs?: unknown;
  messages: Array<{ content: string }>;
};

describe('reasoning models through an endpoint', () => {
  it('gpt-oss, On (High): reasoning_effort high, up to 8,192 tokens, stopping when done', async () => {
    const sim = configureSim({ control: true });
    server = await startFakeServer({ power: sim, prefillMs: 2, itlMs: 1 });
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-reasoning-'));
    const out = path.join(dir, 'out');
    const r = await run([
      'run',
      '--endpoint',
      server.url,
      '--model',
      'openai/gpt-oss-20b',
      '--reasoning',
      'On (High)',
      '--dataset',
      dataset(dir),
      '--out',
      out,
      '--runs',
      '1',
      '--simulate',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const bodies = server.bodies as Body[];
    expect(bodies.length).toBeGreaterThanOrEqual(8);
    for (const body of bodies) {
      expect(body).toMatchObject({ max_tokens: 8192, min_tokens: 1, reasoning_effort: 'high' });
      expect(body.ignore_eos).toBeUndefined();
    }
    // The fake model stops by itself after 24 tokens (decode counts those after the first, which ends prefill).
    const report = WattscopeReportSchema.parse(JSON.parse(readFileSync(path.join(out, 'wattscope-report.json'), 'utf8')));
    expect(report.runs[0]!.serving!.generatedTokens).toBe(8 * 24);
    expect(report.benchmark.reasoning).toBe('on-high');
    expect(report.runs[0]!.phases.decode!.tokens).toBe(8 * 23);
  }, 60_000);

  it('a model switched by enable_thinking, Off (config file): exactly 10 tokens, chat_template_kwargs.enable_thinking false', async () => {
    const sim = configureSim({ control: true });
    server = await startFakeServer({ power: sim, prefillMs: 2, itlMs: 1 });
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-reasoning-'));
    const config = path.join(dir, 'bench.json');
    writeFileSync(
      config,
      JSON.stringify({
        dataset: { path: dataset(dir) },
        handler: { endpoint: server.url, model: 'Qwen/Qwen3-8B', reasoning: 'Off', chatTemplate: 'enable_thinking=True by default' },
        outDir: 'out',
        runs: 1,
        warmup: 1,
        simulate: true,
        idleMeasureS: 0.1,
      }),
    );
    const r = await run(['run', config, '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const body of server.bodies as Body[]) {
      expect(body).toMatchObject({ max_tokens: 10, min_tokens: 10, ignore_eos: true, chat_template_kwargs: { enable_thinking: false } });
    }
    writeFileSync(
      config,
      JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), handler: { endpoint: server.url, model: 'm', reasoning: 'sometimes' } }),
    );
    const bad = await run(['run', config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a reasoning state: "sometimes"/);
  }, 60_000);
});
