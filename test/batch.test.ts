/**
 * The AI Energy Score model list and `wattscope batch`: a messy list read as people keep it, one
 * directory per model and reasoning state, master_results.csv with exactly the batch runner's
 * columns, a failing model kept with its error, and a resume that skips what is done.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MASTER_RESULTS_COLUMNS, masterResultsCsv, masterResultsRow } from '../src/formats/master-results.js';
import { modelDirName } from '../src/cli/batch.js';
import { parseModelList } from '../src/server/model-list.js';
import { parseCsv } from '../src/util/csv.js';
import { startFakeServer, type FakeServer } from '../src/public/testing.js';
import { startCli } from './helpers/cli.js';
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
