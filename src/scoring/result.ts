/**
 * Reads a benchmark result for scoring, labels and impact: a result directory
 * (wattscope-report.json, else benchmark_report.json, else GPU_ENERGY_WH.txt),
 * or one of those files directly.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { WattscopeError } from '../errors.js';
import { summarizeBenchmarkReport } from '../runner/ai-energy-score.js';
import { WattscopeReportSchema } from '../runner/report-schema.js';

export interface BenchmarkResult {
  /** GPU energy per 1,000 queries, Wh (unrounded where the source allows). */
  energyWh: number;
  model: string | null;
  task: string | null;
  /** ISO date (YYYY-MM-DD) the result was produced, where known. */
  date: string | null;
  hardware: string | null;
  source: string;
}

const bad = (file: string, why: string, cause?: unknown) =>
  new WattscopeError('WATTSCOPE_BAD_REPORT', `${file}: ${why}`, { file, ...(cause ? { cause } : {}) });

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw bad(file, `not readable JSON (${(err as Error).message})`, err);
  }
}

function fromFile(file: string): BenchmarkResult {
  const base = path.basename(file);
  if (base === 'GPU_ENERGY_WH.txt' || file.endsWith('.txt')) {
    const text = readFileSync(file, 'utf8').trim();
    const wh = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(wh)) throw bad(file, `expected a number of Wh, got "${text.slice(0, 40)}"`);
    return { energyWh: wh, model: null, task: null, date: null, hardware: null, source: file };
  }
  const json = readJson(file) as Record<string, unknown>;
  if (json && typeof json === 'object' && 'schemaVersion' in json && 'tool' in json) {
    const parsed = WattscopeReportSchema.safeParse(json);
    if (!parsed.success) throw bad(file, `not a wattscope report: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
    const r = parsed.data;
    if (!r.aggregate || r.aggregate.totalWhPer1000.n === 0) throw bad(file, 'the report has no completed run');
    const names = [...new Set(r.device.gpus.map((g) => g.name ?? 'GPU'))];
    return {
      energyWh: r.aggregate.totalWhPer1000.mean, model: r.benchmark.model, task: r.benchmark.task, date: r.updatedAt.slice(0, 10),
      hardware: (r.device.simulated ? 'simulated ' : '') + names.join(' + '), source: file,
    };
  }
  if (json && typeof json === 'object' && 'units' in json && 'total' in json) {
    const total = Number((json as { total: unknown }).total);
    if (!Number.isFinite(total)) throw bad(file, 'GPU_ENERGY_SUMMARY.json has no numeric total');
    return { energyWh: total, model: null, task: null, date: null, hardware: null, source: file };
  }
  const { summary } = summarizeBenchmarkReport(json, file);
  const wh = ['preprocess', 'prefill', 'decode'].reduce((s, p) => s + (((json[p] as { energy?: { gpu?: number } } | null)?.energy?.gpu ?? 0) * 1000), 0);
  return { energyWh: wh || summary.total, model: null, task: null, date: null, hardware: null, source: file };
}

export function readResult(target: string): BenchmarkResult {
  if (!existsSync(target)) throw bad(target, 'no such file or directory');
  if (!statSync(target).isDirectory()) return fromFile(target);
  for (const f of ['wattscope-report.json', 'benchmark_report.json', 'GPU_ENERGY_SUMMARY.json', 'GPU_ENERGY_WH.txt']) {
    const p = path.join(target, f);
    if (existsSync(p)) return fromFile(p);
  }
  throw bad(target, 'no wattscope-report.json, benchmark_report.json or GPU_ENERGY_WH.txt in this directory');
}
