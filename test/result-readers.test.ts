/**
 * Every reader of a result file (score --add, label, impact, report) recognises the shapes it
 * supports, rejects any other with an error naming the file and what it expected, and never
 * turns a missing number into 0.
 */
import { copyFileSync, readFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResult } from '../src/formats/result-reader.js';
import { runCli } from './helpers/cli.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const leaderboard = path.join(fixtures, 'ai-energy-score-leaderboard-2025-02', 'text_generation.csv');

/** A directory holding one benchmark_report.json with this content. */
function resultDir(content: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-reader-'));
  writeFileSync(path.join(dir, 'benchmark_report.json'), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

// Today's AI Energy Score pipeline (ai_energy_benchmarks): no phases, energy.gpu_energy_wh at the top.
const aiEnergyBenchmarks = {
  config: { name: 'text_generation', backend: 'vllm', model: 'org/model-7b', dataset: 'EnergyStarAI/text_generation', num_samples: 10, device_ids: [0] },
  summary: { total_prompts: 10, successful_prompts: 10, failed_prompts: 0, total_duration_seconds: 12.5 },
  energy: { gpu_energy_wh: 2.5, cpu_energy_wh: 0.4, ram_energy_wh: 0.1, total_energy_wh: 3.0, duration_seconds: 12.5 },
};
const unknownShape = { results: { gpu: 1.2 }, version: 3 };
const phaseMissing = {
  prefill: { energy: { unit: 'kWh', cpu: null, ram: null, gpu: 0.05, total: 0.05 } },
  decode: { energy: { unit: 'kWh', cpu: null, ram: null, gpu: 0.07, total: 0.07 } },
};
const nonNumeric = { ...phaseMissing, decode: { energy: { unit: 'kWh', gpu: 'n/a' } } };
const energyWithoutGpu = { ...aiEnergyBenchmarks, energy: { cpu_energy_wh: 0.4 } };

type Reader = (dir: string) => { status: number | null; stdout: string; stderr: string };
const readers: Record<string, Reader> = {
  impact: (dir) => runCli(['impact', dir]),
  'score --add': (dir) => runCli(['score', leaderboard, '--add', dir, '--class', 'A']),
  label: (dir) =>
    runCli(['label', dir, '--model', 'm', '--task', 'text-generation', '--leaderboard', leaderboard, '--class', 'A', '--out', path.join(dir, 'label.svg')]),
};

describe('result readers', () => {
  for (const [name, read] of Object.entries(readers)) {
    it(`${name}: an unknown shape and a non-numeric energy are errors naming the file; nothing prints 0`, () => {
      const unknown = read(resultDir(unknownShape));
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toMatch(/benchmark_report\.json: not a result wattscope reads .*expected a wattscope-report\.json/);
      expect(unknown.stdout).not.toMatch(/\b0\.0+ (k?Wh|Wh)/);
      const bad = read(resultDir(nonNumeric));
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/benchmark_report\.json: decode\.energy\.gpu must be a number, got "n\/a"/);
      const noGpu = read(resultDir(energyWithoutGpu));
      expect(noGpu.status).toBe(1);
      expect(noGpu.stderr).toMatch(/energy block has no gpu_energy_wh/);
    });
  }

  it('impact: a missing phase is unknown with its reason, and the total covers the phases present', () => {
    const r = runCli(['impact', resultDir(phaseMissing), '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.format).toBe('optimum-benchmark');
    expect(out.phases.preprocess).toEqual({ energyWh: null, reason: 'absent from the report' });
    expect(out.phases.prefill.energyWh).toBeCloseTo(50, 9);
    expect(out.inputs.gpuWhPer1000).toBeCloseTo(120, 9);
    const text = runCli(['impact', resultDir(phaseMissing)]);
    expect(text.stdout).toMatch(/preprocess: unknown \(absent from the report\)/);
  });

  it('impact: the ai_energy_benchmarks format is read per 1,000 successful prompts, with its warnings', () => {
    const r = runCli(['impact', resultDir(aiEnergyBenchmarks)]);
    expect(r.status).toBe(0);
    // 2.5 Wh over 10 prompts = 250 Wh per 1,000 queries, not 0 and not 2.5.
    expect(r.stdout).toMatch(/GPU 250\.0 Wh per 1,000 queries/);
    expect(r.stdout).toMatch(/warning: 10 prompts, not the methodology's 1,000/);
    expect(r.stdout).toMatch(/warning: a single pass/);
    expect(r.stdout).toMatch(/decode: unknown \(the ai_energy_benchmarks format measures a whole pass, not phases\)/);
  });

  it('readResult: each supported shape, and null phases where a shape has none', () => {
    const real = readResult(path.join(fixtures, 'optimum-benchmark-report-example', 'benchmark_report.json'));
    expect(real.format).toBe('optimum-benchmark');
    expect(real.energyWh).toBeCloseTo(133.71, 2);
    expect(real.phases.prefill!.energyWh).toBeCloseTo(72.01, 2);
    const txtDir = mkdtempSync(path.join(tmpdir(), 'wattscope-reader-'));
    writeFileSync(path.join(txtDir, 'GPU_ENERGY_WH.txt'), '12.34\n');
    const txt = readResult(txtDir);
    expect(txt).toMatchObject({ format: 'energy-wh-text', energyWh: 12.34 });
    expect(txt.phases.decode).toEqual({ energyWh: null, reason: 'GPU_ENERGY_WH.txt holds only the total' });
    const summaryDir = mkdtempSync(path.join(tmpdir(), 'wattscope-reader-'));
    writeFileSync(
      path.join(summaryDir, 'GPU_ENERGY_SUMMARY.json'),
      JSON.stringify({ units: 'Wh', total: 3.5, preprocess_wh: null, prefill_wh: 1.5, decode_wh: 2 }),
    );
    const summary = readResult(summaryDir);
    expect(summary.phases.preprocess!.energyWh).toBeNull();
    expect(summary.phases.decode!.energyWh).toBe(2);
    writeFileSync(path.join(summaryDir, 'GPU_ENERGY_SUMMARY.json'), JSON.stringify({ units: 'kWh', total: 3.5 }));
    expect(() => readResult(summaryDir)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_BAD_REPORT', field: 'units' }));
    writeFileSync(path.join(summaryDir, 'GPU_ENERGY_SUMMARY.json'), JSON.stringify({ units: 'Wh', total: null }));
    expect(() => readResult(summaryDir)).toThrow(/total must be a number, got null/);
    expect(() => readResult(resultDir('{"prefill": '))).toThrow(/not readable JSON/);
    expect(() => readResult(resultDir({ prefill: { energy: null } }))).toThrow(/no phase of this optimum-benchmark report has a GPU energy/);
  });

  it('report: a wattscope report of the wrong shape, or a malformed timeline, is a named error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-reader-'));
    writeFileSync(
      path.join(dir, 'wattscope-report.json'),
      JSON.stringify({ schemaVersion: 1, tool: 'wattscope', aggregate: { totalWhPer1000: { mean: 'x' } } }),
    );
    const r = runCli(['report', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/wattscope-report\.json: not a wattscope report/);
    // Another tool's result gets a summary page; an empty directory is an error saying what it looked for.
    const other = resultDir(aiEnergyBenchmarks);
    expect(runCli(['report', other]).status).toBe(0);
    expect(readFileSync(path.join(other, 'report.html'), 'utf8')).toContain('(ai-energy-benchmarks)');
    expect(runCli(['report', mkdtempSync(path.join(tmpdir(), 'wattscope-empty-'))]).stderr).toMatch(/no wattscope-report\.json, benchmark_report\.json/);
    const good = mkdtempSync(path.join(tmpdir(), 'wattscope-reader-'));
    copyFileSync(path.join(fixtures, 'report-minimal.json'), path.join(good, 'wattscope-report.json'));
    mkdirSync(path.join(good, 'runs'));
    writeFileSync(path.join(good, 'timeline.json'), JSON.stringify({ schemaVersion: 1, binMs: 'one' }));
    const tl = runCli(['report', good]);
    expect(tl.status).toBe(1);
    expect(tl.stderr).toMatch(/timeline\.json: not a wattscope timeline \(binMs: /);
  });
});
