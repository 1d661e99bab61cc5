/**
 * Reads a benchmark result for scoring, labels and impact, in every shape wattscope knows:
 *
 * - `wattscope-report`: wattscope-report.json (`schemaVersion`, `tool`);
 * - `optimum-benchmark`: benchmark_report.json of optimum-benchmark, phases found as they are
 *   present (each top-level object with an `energy` member), not from a fixed list;
 * - `ai-energy-benchmarks`: benchmark_report.json of today's AI Energy Score pipeline
 *   (`energy.gpu_energy_wh` over `summary.successful_prompts`);
 * - `energy-summary`: GPU_ENERGY_SUMMARY.json (`units`, `total`);
 * - `energy-wh-text`: GPU_ENERGY_WH.txt (one number).
 *
 * Any other shape is an error naming the file and the shapes expected. A missing number is
 * never read as 0: the total must be present, and a phase that is absent or unmeasured is
 * `energyWh: null` with the reason, through to every output.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { WattscopeError } from '../util/errors.js';
import { WattscopeReportSchema } from './report-schema.js';
import type { WattscopeReport } from './report-types.js';

export type ResultFormat = 'wattscope-report' | 'optimum-benchmark' | 'ai-energy-benchmarks' | 'energy-summary' | 'energy-wh-text';

/** One phase's GPU energy per 1,000 queries, Wh, or null with the reason it is not known. */
export interface PhaseResult {
  energyWh: number | null;
  reason: string | null;
}

export interface BenchmarkResult {
  /** GPU energy per 1,000 queries, Wh (unrounded where the source allows). Always measured. */
  energyWh: number;
  /** Per phase, Wh per 1,000 queries; the AI Energy Score phases are always listed. */
  phases: Record<string, PhaseResult>;
  format: ResultFormat;
  /** Warnings about how comparable the result is (query count, failures, single pass). */
  warnings: string[];
  model: string | null;
  task: string | null;
  /** Whether the model reasoned (a wattscope report states it); null when the result does not say. */
  reasoning: boolean | null;
  /** ISO date (YYYY-MM-DD) the result was produced, where known. */
  date: string | null;
  hardware: string | null;
  source: string;
  /**
   * CPU and RAM energy per 1,000 queries, Wh, where the result states both (RAPL in a wattscope
   * report; CodeCarbon's figures in optimum-benchmark and ai_energy_benchmarks), with where they
   * come from; null otherwise.
   */
  hostEnergy: { cpuWh: number; ramWh: number; source: string } | null;
}

/** The phases of the AI Energy Score methodology, listed in every result (null where unknown). */
export const SCORE_PHASES = ['preprocess', 'prefill', 'decode'] as const;
/** optimum-benchmark targets that are not inference phases of a query. */
const NOT_QUERY_PHASES = new Set(['per_token', 'load']);

export const EXPECTED_SHAPES =
  'a wattscope-report.json (schemaVersion, tool), an optimum-benchmark benchmark_report.json (phases with an energy object), ' +
  'an ai_energy_benchmarks benchmark_report.json (energy.gpu_energy_wh), a GPU_ENERGY_SUMMARY.json (units, total) or a GPU_ENERGY_WH.txt (one number)';

export function badResult(file: string, why: string, field?: string, cause?: unknown): WattscopeError {
  return new WattscopeError('WATTSCOPE_BAD_REPORT', `${file}: ${why}`, { file, ...(field ? { field } : {}), ...(cause ? { cause } : {}) });
}

/** Parses a JSON file; unreadable JSON is a WATTSCOPE_BAD_REPORT error naming the file (and what to do, when given). */
export function readJsonFile(file: string, remedy?: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw badResult(file, `not readable JSON (${(err as Error).message})${remedy ? `: ${remedy}` : ''}`, undefined, err);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A finite number at `field`, or an error naming the file and the field. */
function numberAt(file: string, value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw badResult(file, `${field} must be a number, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`, field);
  }
  return value;
}

const unknownPhase = (reason: string): PhaseResult => ({ energyWh: null, reason });

function withScorePhases(phases: Record<string, PhaseResult>, reason: string): Record<string, PhaseResult> {
  const out = { ...phases };
  for (const p of SCORE_PHASES) out[p] ??= unknownPhase(reason);
  return out;
}

const bare = (file: string, format: ResultFormat, energyWh: number, phases: Record<string, PhaseResult>): BenchmarkResult => ({
  energyWh,
  phases,
  format,
  warnings: [],
  model: null,
  task: null,
  reasoning: null,
  date: null,
  hardware: null,
  source: file,
  hostEnergy: null,
});

/** A number at `field`, or null when it is null or absent (anything else is an error naming the field). */
function optionalNumberAt(file: string, value: unknown, field: string): number | null {
  return value === null || value === undefined ? null : numberAt(file, value, field);
}

/** Both CPU and RAM Wh, or null when either is unknown. */
const hostEnergyOf = (cpuWh: number | null, ramWh: number | null, source: string): BenchmarkResult['hostEnergy'] =>
  cpuWh !== null && ramWh !== null ? { cpuWh, ramWh, source } : null;

/** A wattscope report's CPU packages and DRAM per 1,000 queries (mean of the included runs), or null where a run lacks them. */
function reportHostEnergy(r: WattscopeReport): BenchmarkResult['hostEnergy'] {
  const runs = r.runs.filter((run) => run.included);
  const perRun = runs.map((run) => (run.cpu?.packageEnergyJ != null && run.cpu.dramEnergyJ != null ? run.cpu : null));
  if (runs.length === 0 || perRun.some((c) => c === null)) return null;
  const meanWh = (pick: (c: NonNullable<(typeof perRun)[number]>) => number) =>
    (perRun.reduce((sum, c) => sum + pick(c!), 0) / perRun.length) * (r.benchmark.per1000Scale / 3600);
  return hostEnergyOf(
    meanWh((c) => c.packageEnergyJ!),
    meanWh((c) => c.dramEnergyJ!),
    "measured: RAPL's CPU packages and DRAM",
  );
}

function fromWhText(file: string): BenchmarkResult {
  const text = readFileSync(file, 'utf8').trim();
  if (!/^\d+(\.\d+)?$/.test(text)) throw badResult(file, `expected a number of Wh, got "${text.slice(0, 40)}"`);
  return bare(file, 'energy-wh-text', Number(text), withScorePhases({}, 'GPU_ENERGY_WH.txt holds only the total'));
}

/** A wattscope report, validated; another shape is an error naming the file and the field. */
export function parseWattscopeReport(file: string, json: unknown): WattscopeReport {
  const parsed = WattscopeReportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw badResult(file, `not a wattscope report: ${issue.path.join('.')}: ${issue.message}`, issue.path.join('.'));
  }
  return parsed.data;
}

function fromWattscopeReport(file: string, json: unknown): BenchmarkResult {
  return wattscopeReportResult(parseWattscopeReport(file, json), file);
}

/** A parsed wattscope report as a result: its mean per 1,000 queries, phases, model, task, date and hardware. */
export function wattscopeReportResult(r: WattscopeReport, file: string): BenchmarkResult {
  if (!r.aggregate || r.aggregate.totalWhPer1000.n === 0) throw badResult(file, 'the report has no completed run', 'aggregate');
  const phases: Record<string, PhaseResult> = {};
  for (const [p, stat] of Object.entries(r.aggregate.phaseWhPer1000)) phases[p] = { energyWh: stat.mean, reason: null };
  const names = [...new Set(r.device.gpus.map((g) => g.name ?? 'GPU'))];
  return {
    ...bare(file, 'wattscope-report', r.aggregate.totalWhPer1000.mean, withScorePhases(phases, 'this benchmark has no such phase')),
    model: r.benchmark.model,
    task: r.benchmark.task,
    reasoning: r.benchmark.reasoning === null ? null : r.benchmark.reasoning !== 'off',
    date: r.updatedAt.slice(0, 10),
    hardware: (r.device.simulated ? 'simulated ' : '') + names.join(' + '),
    hostEnergy: reportHostEnergy(r),
    warnings: r.comparability.leaderboardComparable ? [] : r.comparability.reasons,
  };
}

function fromOptimum(file: string, json: Record<string, unknown>): BenchmarkResult {
  const phases: Record<string, PhaseResult> = {};
  let total = 0;
  let measured = 0;
  const host = { cpuWh: 0 as number | null, ramWh: 0 as number | null };
  for (const [name, value] of Object.entries(json)) {
    if (NOT_QUERY_PHASES.has(name) || !isObject(value) || !('energy' in value)) continue;
    const energy = value.energy;
    if (energy === null) {
      phases[name] = unknownPhase('energy is null in the report (not measured)');
      continue;
    }
    if (!isObject(energy)) throw badResult(file, `${name}.energy must be an object or null`, `${name}.energy`);
    const kwh = numberAt(file, energy.gpu, `${name}.energy.gpu`);
    const cpuKwh = optionalNumberAt(file, energy.cpu, `${name}.energy.cpu`);
    const ramKwh = optionalNumberAt(file, energy.ram, `${name}.energy.ram`);
    host.cpuWh = host.cpuWh === null || cpuKwh === null ? null : host.cpuWh + cpuKwh * 1000;
    host.ramWh = host.ramWh === null || ramKwh === null ? null : host.ramWh + ramKwh * 1000;
    phases[name] = { energyWh: kwh * 1000, reason: null };
    total += kwh * 1000;
    measured++;
  }
  if (measured === 0) throw badResult(file, 'no phase of this optimum-benchmark report has a GPU energy', 'energy.gpu');
  return {
    ...bare(file, 'optimum-benchmark', total, withScorePhases(phases, 'absent from the report')),
    hostEnergy: hostEnergyOf(host.cpuWh, host.ramWh, "the report's cpu and ram (CodeCarbon: RAPL, or its TDP estimate)"),
  };
}

const perThousand = (wh: number | null, prompts: number) => (wh === null ? null : (wh / prompts) * 1000);

function fromAiEnergyBenchmarks(file: string, json: Record<string, unknown>): BenchmarkResult {
  const energy = json.energy as Record<string, unknown>;
  if (!('gpu_energy_wh' in energy)) {
    throw badResult(file, 'the energy block has no gpu_energy_wh (CodeCarbon failed to measure the GPU?)', 'energy.gpu_energy_wh');
  }
  const gpuWh = numberAt(file, energy.gpu_energy_wh, 'energy.gpu_energy_wh');
  const summary = isObject(json.summary) ? json.summary : {};
  const ok = numberAt(file, summary.successful_prompts, 'summary.successful_prompts');
  if (!(ok > 0)) throw badResult(file, 'summary.successful_prompts must be above 0 to give energy per 1,000 queries', 'summary.successful_prompts');
  const warnings: string[] = [];
  const totalPrompts = typeof summary.total_prompts === 'number' ? summary.total_prompts : null;
  if (totalPrompts !== null && totalPrompts !== 1000) warnings.push(`${totalPrompts} prompts, not the methodology's 1,000`);
  const failed = typeof summary.failed_prompts === 'number' ? summary.failed_prompts : null;
  if (failed !== null && totalPrompts && failed / totalPrompts > 0.05) warnings.push(`PARTIAL FAILURE: ${failed} of ${totalPrompts} prompts failed`);
  warnings.push('a single pass, not the mean of 10 runs');
  const config = isObject(json.config) ? json.config : {};
  const phases = withScorePhases({}, 'the ai_energy_benchmarks format measures a whole pass, not phases');
  return {
    ...bare(file, 'ai-energy-benchmarks', (gpuWh / ok) * 1000, phases),
    warnings,
    model: typeof config.model === 'string' ? config.model : null,
    hostEnergy: hostEnergyOf(
      perThousand(optionalNumberAt(file, energy.cpu_energy_wh, 'energy.cpu_energy_wh'), ok),
      perThousand(optionalNumberAt(file, energy.ram_energy_wh, 'energy.ram_energy_wh'), ok),
      "the report's cpu_energy_wh and ram_energy_wh",
    ),
  };
}

function fromEnergySummary(file: string, json: Record<string, unknown>): BenchmarkResult {
  if (json.units !== 'Wh') throw badResult(file, `units must be "Wh", got ${JSON.stringify(json.units)}`, 'units');
  const total = numberAt(file, json.total, 'total');
  if (json.format === 'ai_energy_benchmarks') {
    // Its total is the GPU energy of a whole pass over a number of prompts it does not state.
    const report = path.join(path.dirname(file), 'benchmark_report.json');
    if (existsSync(report)) return readResultFile(report);
    throw badResult(
      file,
      'an ai_energy_benchmarks summary holds the GPU energy of one pass over a number of prompts it does not state, not per 1,000 queries: read the benchmark_report.json beside it (summary.successful_prompts)',
      'total',
    );
  }
  const phases: Record<string, PhaseResult> = {};
  for (const p of SCORE_PHASES) {
    const key = `${p}_wh`;
    if (json[key] === undefined || json[key] === null) phases[p] = unknownPhase(`${key} is absent from the summary`);
    else phases[p] = { energyWh: numberAt(file, json[key], key), reason: null };
  }
  return bare(file, 'energy-summary', total, phases);
}

/** Reads one result file of a known shape. */
export function readResultFile(file: string): BenchmarkResult {
  if (path.basename(file) === 'GPU_ENERGY_WH.txt' || file.endsWith('.txt')) return fromWhText(file);
  const json = readJsonFile(file);
  if (!isObject(json)) throw badResult(file, `not a result wattscope reads; expected ${EXPECTED_SHAPES}`);
  if ('schemaVersion' in json && 'tool' in json) return fromWattscopeReport(file, json);
  if (isObject(json.energy)) return fromAiEnergyBenchmarks(file, json);
  if ('units' in json && 'total' in json) return fromEnergySummary(file, json);
  if (Object.values(json).some((v) => isObject(v) && 'energy' in v)) return fromOptimum(file, json);
  throw badResult(file, `not a result wattscope reads (top-level keys: ${Object.keys(json).slice(0, 8).join(', ') || 'none'}); expected ${EXPECTED_SHAPES}`);
}

/** Reads a result directory (wattscope-report.json, else benchmark_report.json, …) or one file. */
export function readResult(target: string): BenchmarkResult {
  if (!existsSync(target)) throw badResult(target, 'no such file or directory');
  if (!statSync(target).isDirectory()) return readResultFile(target);
  for (const f of ['wattscope-report.json', 'benchmark_report.json', 'GPU_ENERGY_SUMMARY.json', 'GPU_ENERGY_WH.txt']) {
    const p = path.join(target, f);
    if (existsSync(p)) return readResultFile(p);
  }
  throw badResult(target, 'no wattscope-report.json, benchmark_report.json, GPU_ENERGY_SUMMARY.json or GPU_ENERGY_WH.txt in this directory');
}

/** One line per phase for people: "prefill 72.01 Wh" or "preprocess unknown (absent from the report)". */
export function describePhases(result: BenchmarkResult): string[] {
  return Object.entries(result.phases).map(([p, r]) =>
    r.energyWh === null ? `${p}: unknown (${r.reason})` : `${p}: ${r.energyWh.toPrecision(4)} Wh per 1,000 queries`,
  );
}
