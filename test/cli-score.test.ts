/** `wattscope score` and `wattscope class` as a user runs them. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const dir = path.resolve(import.meta.dirname, 'fixtures', 'ai-energy-score-leaderboard-2025-02');

describe('wattscope score', () => {
  it('--json: input order, model, energyWh (per 1,000 queries), stars, class', () => {
    const r = runCli(['score', path.join(dir, 'text_generation.csv'), '--json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ model: string; energyWh: number; stars: number; class: string; publishedStars: number }>;
    expect(rows).toHaveLength(40);
    expect(rows[0]).toMatchObject({ model: 'berkeley-nest/Starling-LM-7B-alpha', stars: 2, class: 'A' });
    expect(rows[0]!.energyWh).toBeCloseTo(19.010862, 9);
    for (const row of rows) expect(row.stars).toBe(row.publishedStars);
  });

  it('--add places a result directory and reports band edges and changes', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'wattscope-score-'));
    writeFileSync(path.join(tmp, 'GPU_ENERGY_SUMMARY.json'), JSON.stringify({ units: 'Wh', total: 0.2, preprocess_wh: 0, prefill_wh: 0.1, decode_wh: 0.1 }));
    const r = runCli(['score', path.join(dir, 'asr.csv'), '--add', tmp, '--model', 'me/asr']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/me\/asr: 0\.200 Wh per 1,000 queries, 5 stars, rank 1 of 14/);
    expect(r.stdout).toMatch(/it widens the range/);
    const j = JSON.parse(runCli(['score', path.join(dir, 'asr.csv'), '--add', tmp, '--json']).stdout) as Array<{ added?: boolean }>;
    expect(j[j.length - 1]!.added).toBe(true);
  });

  it('a classed leaderboard needs --class for a new result; bad files name the line', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'wattscope-score-'));
    writeFileSync(path.join(tmp, 'GPU_ENERGY_WH.txt'), '3.00\n');
    let r = runCli(['score', path.join(dir, 'text_generation.csv'), '--add', tmp]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--class/);
    const bad = path.join(tmp, 'bad.csv');
    writeFileSync(bad, 'model,total_gpu_energy\nx,1\ny,-2\n');
    r = runCli(['score', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.csv:3: model "y": total_gpu_energy -2 is negative/);
  });
});

describe('wattscope class', () => {
  it('derives the class from parameters and precision', () => {
    expect(JSON.parse(runCli(['class', '--params', '70B', '--json']).stdout)).toMatchObject({ class: 'C', memoryGb: 168 });
    expect(runCli(['class', '--params', '13e9', '--precision', 'int8']).stdout).toMatch(/^class A: 13\.0 B parameters at int8 need 15\.6 GB/);
    expect(runCli(['class', '--params', 'lots']).stderr).toMatch(/--params must be a parameter count/);
  });
});
