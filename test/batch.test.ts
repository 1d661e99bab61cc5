/**
 * The AI Energy Score model list and `wattscope batch`: a messy list read as people keep it, one
 * directory per model and reasoning state, master_results.csv with exactly the batch runner's
 * columns, a failing model kept with its error, and a resume that skips what is done.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MASTER_RESULTS_COLUMNS, masterResultsCsv, masterResultsRow } from '../src/formats/master-results.js';
import { modelDirName } from '../src/cli/batch.js';
import { parseModelList } from '../src/server/model-list.js';
import { parseCsv } from '../src/util/csv.js';
import { startFakeServer, type FakeServer } from '../src/public/testing.js';
import { runCli, startCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';

const LIST = [
  ',Models to Add ,Priority (1=hi),Class,Task ,Reasoning State,Chat Template',
  ',https://huggingface.co/openai/gpt-oss-20b ,1,B,text_gen,On (High),"Harmony format.',
  'reasoning_effort: high"',
  ',,,,,,',
  ',HuggingFaceTB/SmolLM3-3B,2,A,text_gen,Off,"enable_thinking=False"',
  '',
  ',nobody/missing-model,3,A,text_gen,Off,N/A',
].join('\n');

describe('the model list', () => {
  it('reads URLs, trailing spaces, multi-line quoted templates and blank rows', () => {
    const entries = parseModelList(LIST, 'models.csv');
    expect(entries.map((e) => [e.model, e.modelClass, e.task, e.reasoningText, e.line])).toEqual([
      ['openai/gpt-oss-20b', 'B', 'text_gen', 'On (High)', 2],
      ['HuggingFaceTB/SmolLM3-3B', 'A', 'text_gen', 'Off', 5],
      ['nobody/missing-model', 'A', 'text_gen', 'Off', 7],
    ]);
    expect(entries[0]!.chatTemplate).toBe('Harmony format.\nreasoning_effort: high');
    expect(entries[0]!.reasoning).toEqual({ enabled: true, effort: 'high' });
  });

  it('a missing column or a bad cell is an error naming the file and line', () => {
    expect(() => parseModelList('Model,Class\nx,A', 'm.csv')).toThrow(/m\.csv: no "Models to Add" column/);
    expect(() => parseModelList(LIST.replace(',2,A,', ',2,Z,'), 'm.csv')).toThrow(expect.objectContaining({ line: 5, field: 'Class' }));
    expect(() => parseModelList(LIST.replace('On (High)', 'Maybe'), 'm.csv')).toThrow(expect.objectContaining({ line: 2, field: 'Reasoning State' }));
  });
});

describe('batch outputs', () => {
  it('org/model and org_model get directories of their own, and no name leaves the batch directory', () => {
    const entry = (model: string) => ({ ...parseModelList(LIST, 'models.csv')[1]!, model });
    const names = ['org/model', 'org_model', 'org%2Fmodel', 'org\\model', '../../etc'].map((m) => modelDirName(entry(m)));
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).not.toMatch(/[/\\]/);
  });

  it('master_results.csv: a cell a spreadsheet would run as a formula is prefixed to stay text; numbers stay numbers', () => {
    const model = { model: '=HYPERLINK("http://x","click")', modelClass: 'A', task: 'text_gen', reasoningState: '+Off' };
    const csv = masterResultsCsv([masterResultsRow(model, null, '@SUM(1+1) -server said no', '2026-12-04T00:00:00Z')]);
    const row = parseCsv(csv, 'm.csv')[1]!.cells;
    expect(row[MASTER_RESULTS_COLUMNS.indexOf('model_name')]).toBe(`'=HYPERLINK("http://x","click")`);
    expect(row[MASTER_RESULTS_COLUMNS.indexOf('reasoning_state')]).toBe("'+Off");
    expect(row[MASTER_RESULTS_COLUMNS.indexOf('error_message')]).toBe("'@SUM(1+1) -server said no");
    for (const cell of row) expect(cell).not.toMatch(/^[=+\-@]/);
  });
});

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function batch(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = startCli(['batch', ...args]);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}

describe('wattscope batch', () => {
  it('3 models (reasoning, not, failing) against the fake server: master_results.csv in the batch runner columns; a resume skips what is done', async () => {
    const sim = configureSim({ control: true });
    server = await startFakeServer({ power: sim, prefillMs: 2, itlMs: 1, models: ['openai/gpt-oss-20b', 'HuggingFaceTB/SmolLM3-3B'] });
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-batch-'));
    writeFileSync(path.join(dir, 'models.csv'), LIST);
    writeFileSync(path.join(dir, 'd.jsonl'), Array.from({ length: 6 }, (_, i) => JSON.stringify({ text: `prompt ${i}` })).join('\n'));
    const out = path.join(dir, 'out');
    const args = [
      path.join(dir, 'models.csv'),
      '--endpoint',
      server.url,
      '--dataset',
      path.join(dir, 'd.jsonl'),
      '--out',
      out,
      '--runs',
      '1',
      '--warmup',
      '1',
      '--simulate',
    ];
    const first = await batch(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/model 1 of 3: openai\/gpt-oss-20b \(on-high\): running/);
    expect(first.stderr).toMatch(/model 3 of 3: nobody\/missing-model \(off\): failed: no query was answered \(WATTSCOPE_HTTP_STATUS x6\)/);
    for (const name of ['openai%2Fgpt-oss-20b_on-high', 'HuggingFaceTB%2FSmolLM3-3B_off', 'nobody%2Fmissing-model_off'])
      expect(existsSync(path.join(out, name))).toBe(true);

    const records = parseCsv(readFileSync(path.join(out, 'master_results.csv'), 'utf8'), 'master_results.csv');
    expect(records[0]!.cells).toEqual([...MASTER_RESULTS_COLUMNS]);
    const rows = records.slice(1).map((r) => Object.fromEntries(MASTER_RESULTS_COLUMNS.map((c, i) => [c, r.cells[i]!])));
    expect(rows.map((r) => [r.model_name, r.model_class, r.reasoning_state])).toEqual([
      ['openai/gpt-oss-20b', 'B', 'On (High)'],
      ['HuggingFaceTB/SmolLM3-3B', 'A', 'Off'],
      ['nobody/missing-model', 'A', 'Off'],
    ]);
    const [reasoning, plain, failed] = rows as [Record<string, string>, Record<string, string>, Record<string, string>];
    for (const row of [reasoning, plain]) {
      expect(row).toMatchObject({ total_prompts: '6', successful_prompts: '6', failed_prompts: '0', co2_emissions_g: '', error_message: '' });
      // Within what the four printed decimals of gpu_energy_wh allow.
      expect(Math.abs(Number(row.wh_per_1000_queries) - (Number(row.gpu_energy_wh) / 6) * 1000)).toBeLessThanOrEqual((0.00005 / 6) * 1000 + 0.00005);
      expect(row.gpu_energy_wh).toMatch(/^\d+\.\d{4}$/);
    }
    // Reasoning on: the model stopped by itself (24 tokens a prompt); off: exactly 10.
    expect(reasoning.total_completion_tokens).toBe(String(6 * 24));
    expect(plain.total_completion_tokens).toBe(String(6 * 10));
    expect(failed.error_message).toMatch(/no query was answered/);
    expect(failed.gpu_energy_wh).toBe('');
    expect(failed.wh_per_1000_queries).toBe('');

    const again = await batch(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/model 1 of 3: .*: done before, skipped/);
    expect(again.stderr).toMatch(/model 2 of 3: .*: done before, skipped/);
    expect(again.stderr).toMatch(/model 3 of 3: .*: running/);
  }, 120_000);
});

describe('the published model list, every form of its cells', () => {
  const everyForm = path.join(import.meta.dirname, 'fixtures', 'model-list-every-form.csv');

  it('reads every row: Off (N/A) and N/A are off, image-generation rows have no class nor state', () => {
    const entries = parseModelList(readFileSync(everyForm, 'utf8'), everyForm);
    expect(entries).toHaveLength(18);
    const byState = (text: string) => entries.filter((e) => e.reasoningText === text).map((e) => e.reasoning);
    for (const off of byState('Off (N/A)')) expect(off).toEqual({ enabled: false, effort: null });
    expect(entries.find((e) => e.model === 'example-org/instruct-8b')).toBeDefined(); // the URL's trailing space
    const images = entries.filter((e) => e.task === 'image_gen');
    expect(images.map((e) => [e.modelClass, e.reasoning.enabled])).toEqual([
      [null, false],
      [null, false],
    ]);
  });

  it('wattscope batch: every text row runs, each image row is reported with the reason; master_results.csv has a row for each', async () => {
    const sim = configureSim({ control: true });
    server = await startFakeServer({ power: sim, prefillMs: 1, itlMs: 1 });
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-batch-every-'));
    writeFileSync(path.join(dir, 'd.jsonl'), Array.from({ length: 2 }, (_, i) => JSON.stringify({ text: `prompt ${i}` })).join('\n'));
    const out = path.join(dir, 'out');
    const run = await batch([
      everyForm,
      '--endpoint',
      server.url,
      '--dataset',
      path.join(dir, 'd.jsonl'),
      '--out',
      out,
      '--runs',
      '1',
      '--warmup',
      '0',
      '--simulate',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const records = parseCsv(readFileSync(path.join(out, 'master_results.csv'), 'utf8'), 'master_results.csv').slice(1);
    expect(records).toHaveLength(18);
    const rows = records.map((r) => Object.fromEntries(MASTER_RESULTS_COLUMNS.map((c, i) => [c, r.cells[i]!])));
    const images = rows.filter((r) => r.task === 'image_gen');
    expect(images).toHaveLength(2);
    for (const row of images) {
      expect(row.error_message).toMatch(/not text generation/);
      expect(row.gpu_energy_wh).toBe('');
    }
    for (const row of rows.filter((r) => r.task === 'text_gen')) {
      expect(row.error_message, row.model_name).toBe('');
      expect(Number(row.gpu_energy_wh), row.model_name).toBeGreaterThan(0);
    }
  }, 180_000);
});

describe('failed work is never a score', () => {
  it('run against a dead endpoint: one sentence naming the connection error, exit 1, no score file', async () => {
    configureSim();
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-dead-'));
    writeFileSync(path.join(dir, 'two.jsonl'), '{"text":"a"}\n{"text":"b"}\n');
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const out = path.join(dir, 'out');
    const endpoint = `http://127.0.0.1:${port}/v1`;
    const r = runCli(['run', '--endpoint', endpoint, '--model', 'x', '--dataset', path.join(dir, 'two.jsonl'), '--runs', '2', '--out', out, '--simulate']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot reach the endpoint ${endpoint} (connect ECONNREFUSED 127.0.0.1:${port}); nothing was measured`);
    expect(existsSync(path.join(out, 'GPU_ENERGY_WH.txt'))).toBe(false);
  });

  it('a run whose every query fails: the report and run files stay, no GPU_ENERGY_WH.txt, one sentence, exit 1', async () => {
    configureSim();
    server = await startFakeServer({ prefillMs: 1, itlMs: 1, models: ['served/model'] });
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-unscored-'));
    writeFileSync(path.join(dir, 'two.jsonl'), '{"text":"a"}\n{"text":"b"}\n');
    const out = path.join(dir, 'out');
    const child = startCli([
      'run',
      '--endpoint',
      server.url,
      '--model',
      'not/served',
      '--dataset',
      path.join(dir, 'two.jsonl'),
      '--runs',
      '2',
      '--out',
      out,
      '--simulate',
    ]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/^wattscope: no run can be scored, so no GPU_ENERGY_WH\.txt was written \(run 0: failed-queries: 2 of 2 queries threw/m);
    expect(existsSync(path.join(out, 'GPU_ENERGY_WH.txt'))).toBe(false);
    expect(existsSync(path.join(out, 'wattscope-report.json'))).toBe(true);
    expect(existsSync(path.join(out, 'runs', 'run-000.json'))).toBe(true);
  }, 60_000);
});
