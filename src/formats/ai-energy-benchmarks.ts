/**
 * The AI Energy Score's current report format, "ai_energy_benchmarks" (its default backend since
 * October 2025): one pass over N prompts, measured whole, in `benchmark_report.json`, and the
 * summary its summarizer (summarize_gpu_wh.py) derives from it. wattscope fills every field it
 * measures from the mean of its included runs (each run is one pass over the dataset) and writes
 * null, never a zero, for what it does not measure (CPU, RAM, emissions).
 */
import type { RunRecord, WattscopeReport } from './report-types.js';
import { pyRound2 } from './ai-energy-score.js';
import { mean, meanIfAll } from '../util/mean.js';

/** benchmark_report.json in the ai_energy_benchmarks format. */
export interface AiEnergyBenchmarksReport {
  config: { name: string; backend: string; model: string | null; dataset: string; num_samples: number; device_ids: number[] };
  summary: {
    total_prompts: number;
    successful_prompts: number;
    failed_prompts: number;
    total_duration_seconds: number;
    avg_latency_seconds: number | null;
    avg_time_to_first_token: number | null;
    total_tokens: number | null;
    total_prompt_tokens: number | null;
    total_completion_tokens: number | null;
    throughput_tokens_per_second: number | null;
  };
  energy: {
    gpu_energy_wh: number;
    gpu_energy_kwh: number;
    /** RAPL's CPU packages and DRAM over the pass, Wh; null where not read. */
    cpu_energy_wh: number | null;
    ram_energy_wh: number | null;
    /** GPU + CPU + RAM, Wh, when both CPU and RAM are known; else null. */
    total_energy_wh: number | null;
    energy_wh: number;
    emissions_g_co2eq: null;
    duration_seconds: number;
  };
  gpu_stats: Record<string, { name: string | null; uuid: string | null; power_limit_w: number | null }>;
  /** What the pass stands for: the mean of wattscope's included runs. */
  wattscope: { runs_averaged: number; runs_planned: number; note: string };
}

/** GPU_ENERGY_SUMMARY.json as the summarizer writes it for this format: the whole pass under decode. */
export interface AiEnergyBenchmarksSummary {
  units: 'Wh';
  /** The pass's GPU energy, Wh, not rounded (energy for N prompts, not per 1,000). */
  total: number;
  format: 'ai_energy_benchmarks';
  preprocess_wh: 0;
  prefill_wh: 0;
  decode_wh: number;
}

/** A phase's token count summed over the run, or null when the phase counted none. */
const tokensOf = (run: RunRecord, phase: string): number | null => {
  const tokens = run.phases[phase]?.tokens;
  return tokens !== undefined && tokens > 0 ? tokens : null;
};

/** The mean of a per-run figure that every run has, or null when any run lacks it. */
function meanOrNull(runs: RunRecord[], figure: (run: RunRecord) => number | null): number | null {
  return meanIfAll(runs.map(figure));
}

/** The report in the ai_energy_benchmarks format, from the included runs; null before the first. */
export function toAiEnergyBenchmarksReport(report: WattscopeReport): AiEnergyBenchmarksReport | null {
  const runs = report.runs.filter((r) => r.included);
  if (runs.length === 0) return null;
  // Every node's GPUs when the benchmark spans nodes.
  const gpuWh = mean(runs.map((r) => r.nodes?.totalEnergyJ ?? r.totalEnergyJ)) / 3600;
  const cpuJ = meanOrNull(runs, (r) => r.cpu?.packageEnergyJ ?? null);
  const ramJ = meanOrNull(runs, (r) => r.cpu?.dramEnergyJ ?? null);
  const cpuWh = cpuJ === null ? null : cpuJ / 3600;
  const ramWh = ramJ === null ? null : ramJ / 3600;
  const durationS = mean(runs.map((r) => r.durationS));
  const totalPrompts = Math.round(mean(runs.map((r) => r.queries)));
  const failed = Math.round(mean(runs.map((r) => r.failedQueries)));
  const promptTokens = meanOrNull(runs, (r) => tokensOf(r, 'prefill'));
  // An endpoint's generated tokens where known (decode counts those after the first, which ends prefill).
  const completionTokens = meanOrNull(runs, (r) => (r.serving ? r.serving.generatedTokens : tokensOf(r, 'decode')));
  const phaseSeconds = meanOrNull(runs, (r) => Object.values(r.phases).reduce((a, p) => a + p.durationS, 0));
  return {
    config: {
      name: report.benchmark.task ?? 'text_generation',
      backend: 'wattscope',
      model: report.benchmark.model,
      dataset: report.benchmark.dataset.name,
      num_samples: report.benchmark.dataset.rows,
      device_ids: report.device.gpus.map((g) => g.index),
    },
    summary: {
      total_prompts: totalPrompts,
      successful_prompts: totalPrompts - failed,
      failed_prompts: failed,
      total_duration_seconds: durationS,
      avg_latency_seconds: phaseSeconds === null || totalPrompts === 0 ? null : phaseSeconds / totalPrompts,
      // The prefill phase runs from the request to the first token.
      avg_time_to_first_token: meanOrNull(runs, (r) =>
        r.phases.prefill && r.phases.prefill.count > 0 ? r.phases.prefill.durationS / r.phases.prefill.count : null,
      ),
      total_tokens: promptTokens !== null && completionTokens !== null ? promptTokens + completionTokens : null,
      total_prompt_tokens: promptTokens,
      total_completion_tokens: completionTokens,
      throughput_tokens_per_second: completionTokens === null ? null : completionTokens / durationS,
    },
    energy: {
      gpu_energy_wh: gpuWh,
      gpu_energy_kwh: gpuWh / 1000,
      cpu_energy_wh: cpuWh,
      ram_energy_wh: ramWh,
      total_energy_wh: cpuWh !== null && ramWh !== null ? gpuWh + cpuWh + ramWh : null,
      energy_wh: gpuWh,
      emissions_g_co2eq: null,
      duration_seconds: durationS,
    },
    gpu_stats: Object.fromEntries(report.device.gpus.map((g) => [`gpu_${g.index}`, { name: g.name, uuid: g.uuid, power_limit_w: g.powerLimitW }])),
    wattscope: {
      runs_averaged: runs.length,
      runs_planned: report.benchmark.runsPlanned,
      note:
        cpuWh !== null && ramWh !== null
          ? "one pass = the mean of the included runs over the dataset; cpu and ram are RAPL's CPU packages and DRAM; emissions are not measured (null); per-phase figures are in wattscope-report.json"
          : 'one pass = the mean of the included runs over the dataset; cpu and ram were not read (RAPL absent or unreadable: see wattscope-report.json), so they and total are null; emissions are not measured (null)',
    },
  };
}

/** The summarizer's arithmetic for this format: the pass's GPU Wh as the total (unrounded) and, rounded, as decode. */
export function summarizeAiEnergyBenchmarks(report: AiEnergyBenchmarksReport): { gpuEnergyWhText: string; summary: AiEnergyBenchmarksSummary } {
  const total = report.energy.gpu_energy_wh;
  return {
    gpuEnergyWhText: `${pyRound2(total).toFixed(2)}\n`,
    summary: { units: 'Wh', total, format: 'ai_energy_benchmarks', preprocess_wh: 0, prefill_wh: 0, decode_wh: pyRound2(total) },
  };
}
