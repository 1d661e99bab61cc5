/**
 * The AI Energy Score's current report format (ai_energy_benchmarks) written beside the optimum
 * one, each summary checked against a re-implementation of that format's summarizer arithmetic
 * (summarize_gpu_wh.py), and read back through score, label, impact and report.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AiEnergyBenchmarksReport } from '../src/formats/ai-energy-benchmarks.js';
import type { WattscopeReport } from '../src/formats/report-types.js';
import { readResult } from '../src/formats/result-reader.js';
import { configureSim } from './helpers/sim.js';
import { runCli } from './helpers/cli.js';

const leaderboard = path.resolve(import.meta.dirname, 'fixtures', 'ai-energy-score-leaderboard-2025-02', 'text_generation.csv');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
type OptimumReport = Record<string, { energy?: { gpu: number } | null } | undefined>;

/** Python's round(x, 2) for the values these files hold (none is an exact binary half). */
const round2 = (x: number) => Math.round(x * 100) / 100;

/** The summarizer's arithmetic, re-implemented from its description: the optimum format... */
function optimumSummary(report: OptimumReport) {
  const wh = (phase: string) => (report[phase]?.energy?.gpu ?? 0) * 1000;
  const phases = ['preprocess', 'prefill', 'decode'].map(wh);
  return {
    total: round2(phases.reduce((a, b) => a + b, 0) + 1e-12),
    preprocess_wh: round2(phases[0]!),
    prefill_wh: round2(phases[1]!),
    decode_wh: round2(phases[2]!),
  };
}

/** ... and the ai_energy_benchmarks format: the pass's GPU Wh, the whole of it under decode. */
function aiSummary(report: AiEnergyBenchmarksReport) {
  const total = report.energy.gpu_energy_wh;
  return {
    text: `${total.toFixed(2)}\n`,
    summary: { units: 'Wh', total, format: 'ai_energy_benchmarks', preprocess_wh: 0, prefill_wh: 0, decode_wh: round2(total) },
  };
}

function demo(format: string): string {
  configureSim();
  const out = mkdtempSync(path.join(tmpdir(), 'wattscope-formats-'));
  const r = runCli(['demo', '--out', out, '--runs', '2', '--queries', '60', '--idle', '0.1', '--format', format, '--json']);
  expect(r.stderr.replace(/wattscope: .*\n/g, '')).toBe('');
  expect(r.status).toBe(0);
  return out;
}

describe('writing both formats', () => {
  it('demo --format both: optimum at the top, ai_energy_benchmarks beside it, each summary as its summarizer computes it', () => {
    const out = demo('both');
    const optimum = readJson<OptimumReport>(path.join(out, 'benchmark_report.json'));
    expect(readJson(path.join(out, 'GPU_ENERGY_SUMMARY.json'))).toMatchObject({ units: 'Wh', ...optimumSummary(optimum) });
    const aiDir = path.join(out, 'ai_energy_benchmarks');
    const ai = readJson<AiEnergyBenchmarksReport>(path.join(aiDir, 'benchmark_report.json'));
    const expected = aiSummary(ai);
    expect(readJson(path.join(aiDir, 'GPU_ENERGY_SUMMARY.json'))).toEqual(expected.summary);
    expect(readFileSync(path.join(aiDir, 'GPU_ENERGY_WH.txt'), 'utf8')).toBe(expected.text);
    // Every field the format has; null (never 0) for what wattscope does not measure.
    expect(Object.keys(ai.config).sort()).toEqual(['backend', 'dataset', 'device_ids', 'model', 'name', 'num_samples']);
    expect(Object.keys(ai.summary).sort()).toEqual(
      [
        'total_prompts',
        'successful_prompts',
        'failed_prompts',
        'total_duration_seconds',
        'avg_latency_seconds',
        'avg_time_to_first_token',
        'total_tokens',
        'total_prompt_tokens',
        'total_completion_tokens',
        'throughput_tokens_per_second',
      ].sort(),
    );
    expect(ai.energy).toMatchObject({ cpu_energy_wh: null, ram_energy_wh: null, total_energy_wh: null, emissions_g_co2eq: null });
    expect(ai.summary).toMatchObject({ total_prompts: 60, successful_prompts: 60, failed_prompts: 0 });
    expect(ai.summary.total_completion_tokens).toBeGreaterThan(0);
    expect(ai.gpu_stats.gpu_0!.name).toBe('NVIDIA H100 80GB HBM3');
    // The pass is the mean of the included runs: their counter totals.
    const report = readJson<WattscopeReport>(path.join(out, 'wattscope-report.json'));
    const included = report.runs.filter((r) => r.included);
    const meanRunWh = included.reduce((a, r) => a + r.totalEnergyJ, 0) / included.length / 3600;
    expect(ai.energy.gpu_energy_wh).toBeCloseTo(meanRunWh, 9);
    // Read back: per 1,000 successful prompts, with the warnings that make it not comparable.
    const read = readResult(aiDir);
    expect(read.format).toBe('ai-energy-benchmarks');
    expect(read.energyWh).toBeCloseTo((ai.energy.gpu_energy_wh / 60) * 1000, 9);
    expect(read.warnings).toEqual(expect.arrayContaining(["60 prompts, not the methodology's 1,000", 'a single pass, not the mean of 10 runs']));
  }, 120_000);

  it('--format ai-energy-benchmarks writes that format at the top; score, label, impact and report read it', () => {
    const out = demo('ai-energy-benchmarks');
    expect(readJson<AiEnergyBenchmarksReport>(path.join(out, 'benchmark_report.json')).energy.gpu_energy_wh).toBeGreaterThan(0);
    expect(readJson<{ format: string }>(path.join(out, 'GPU_ENERGY_SUMMARY.json')).format).toBe('ai_energy_benchmarks');
    expect(existsSync(path.join(out, 'ai_energy_benchmarks'))).toBe(false);
    const aiOnly = mkdtempSync(path.join(tmpdir(), 'wattscope-ai-only-'));
    for (const f of ['benchmark_report.json', 'GPU_ENERGY_SUMMARY.json']) writeFileSync(path.join(aiOnly, f), readFileSync(path.join(out, f)));
    const score = runCli(['score', leaderboard, '--add', aiOnly, '--model', 'me/m', '--class', 'A']);
    expect(score.status, score.stderr).toBe(0);
    const label = runCli(['label', aiOnly, '--model', 'me/m', '--task', 'text-generation', '--stars', '3', '--out', path.join(aiOnly, 'label.svg')]);
    expect(label.status, label.stderr).toBe(0);
    expect(label.stdout).toMatch(/warning: a single pass, not the mean of 10 runs/);
    const impact = runCli(['impact', aiOnly]);
    expect(impact.status, impact.stderr).toBe(0);
    expect(impact.stdout).toMatch(/a single pass, not the mean of 10 runs/);
    const page = runCli(['report', aiOnly, '--leaderboard', leaderboard, '--class', 'A']);
    expect(page.status, page.stderr).toBe(0);
    const html = readFileSync(path.join(aiOnly, 'report.html'), 'utf8');
    expect(html).toMatch(/data-testid="gpu-energy-wh" data-value="[\d.]+"/);
    expect(html).toContain('a single pass, not the mean of 10 runs');
    expect(html).toMatch(/data-testid="stars" data-value="[1-5]"/);
  }, 120_000);

  it('the real optimum-benchmark report (the fixture) gets a report page too, its phases as published', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-optimum-'));
    writeFileSync(
      path.join(dir, 'benchmark_report.json'),
      readFileSync(path.resolve(import.meta.dirname, 'fixtures', 'optimum-benchmark-report-example', 'benchmark_report.json')),
    );
    const page = runCli(['report', dir]);
    expect(page.status, page.stderr).toBe(0);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('(optimum-benchmark)');
    expect(html).toMatch(/data-testid="phase-prefill" data-value="72\.00860282905\d*"/);
  });

  it('an ai_energy_benchmarks summary alone is an error: its total is one pass over an unstated number of prompts', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-ai-summary-'));
    const file = path.join(dir, 'GPU_ENERGY_SUMMARY.json');
    writeFileSync(file, JSON.stringify({ units: 'Wh', total: 1.234, format: 'ai_energy_benchmarks', preprocess_wh: 0, prefill_wh: 0, decode_wh: 1.23 }));
    expect(() => readResult(file)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_BAD_REPORT', file, field: 'total' }));
  });
});
