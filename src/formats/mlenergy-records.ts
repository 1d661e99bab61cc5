/**
 * wattscope results as records of the ML.ENERGY Benchmark's V3 dataset. An LLM record is one
 * configuration (model, GPU, max_num_seqs): its steady-state energy per output token, output
 * throughput, average power and mean inter-token latency, as means over the runs that had a steady
 * state, and `is_stable` by the ML.ENERGY rules (every such run stable). wattscope adds what it
 * knows beyond their columns (latency percentiles, TTFT, energy per request, response length, idle
 * power, the measurement method and uncertainty), after theirs. A result with no steady-state
 * window has no LLM record: an error naming it, never a row of zeros.
 */
import type { RunRecord, WattscopeReport } from './report-types.js';
import { badResult } from './result-reader.js';
import { mean, meanIfAll } from '../util/mean.js';

/** The V3 columns of an LLM run, then wattscope's own (null where not measured). */
export interface MlEnergyLlmRecord {
  task: string;
  model_id: string;
  nickname: string;
  gpu_model: string;
  num_gpus: number;
  max_num_seqs: number;
  energy_per_token_joules: number;
  output_throughput_tokens_per_sec: number;
  avg_power_watts: number;
  mean_itl_ms: number;
  is_stable: boolean;
  stability_reasons: string;
  p50_itl_ms: number | null;
  p90_itl_ms: number | null;
  p99_itl_ms: number | null;
  mean_ttft_ms: number | null;
  p50_ttft_ms: number | null;
  p99_ttft_ms: number | null;
  energy_per_request_joules: number | null;
  mean_response_tokens: number | null;
  idle_power_watts: number | null;
  measurement_method: string;
  energy_per_token_uncertainty_joules: number | null;
  runs: number;
}

/** The V3 columns of a diffusion run (image or video generation). */
export interface MlEnergyDiffusionRecord {
  task: string;
  model_id: string;
  nickname: string;
  gpu_model: string;
  num_gpus: number;
  batch_size: number;
  energy_per_generation_joules: number;
  height: number;
  width: number;
  batch_latency_s: number;
  avg_power_watts: number;
}

/** ML.ENERGY's short GPU names, from NVML's device names ("NVIDIA H100 80GB HBM3" -> "H100"). */
const GPU_SHORT_NAMES: Array<[RegExp, string]> = [
  [/\bGB200\b/i, 'GB200'],
  [/\bB200\b/i, 'B200'],
  [/\bB100\b/i, 'B100'],
  [/\bH200\b/i, 'H200'],
  [/\bH100\b/i, 'H100'],
  [/\bH20\b/i, 'H20'],
  [/\bA100\b/i, 'A100'],
  [/\bA40\b/i, 'A40'],
  [/\bA10G?\b/i, 'A10'],
  [/\bL40S\b/i, 'L40S'],
  [/\bL40\b/i, 'L40'],
  [/\bL4\b/i, 'L4'],
  [/\bV100\b/i, 'V100'],
  [/\bT4\b/i, 'T4'],
];

/** The ML.ENERGY short name of an NVML device name, or the name itself when none matches. */
export function gpuShortName(nvmlName: string): string {
  return GPU_SHORT_NAMES.find(([pattern]) => pattern.test(nvmlName))?.[1] ?? nvmlName;
}

/** The columns every V3 record starts with: task, model, GPU; a report lacking the model or the GPU's name is an error. */
function identityOf(
  report: WattscopeReport,
  file: string,
  defaultTask: string,
): Pick<MlEnergyLlmRecord, 'task' | 'model_id' | 'nickname' | 'gpu_model' | 'num_gpus'> {
  const model = report.benchmark.model;
  if (!model) throw badResult(file, 'the benchmark names no model (benchmark.model): ML.ENERGY records are per model', 'benchmark.model');
  const gpuName = report.device.gpus[0]?.name;
  if (!gpuName) throw badResult(file, 'the report names no GPU (device.gpus[0].name)', 'device.gpus');
  return {
    task: report.benchmark.task ?? defaultTask,
    model_id: model,
    nickname: model.split('/').at(-1)!,
    gpu_model: gpuShortName(gpuName),
    num_gpus: report.device.gpus.length,
  };
}

type ServedRun = RunRecord & { serving: NonNullable<RunRecord['serving']> & { window: NonNullable<NonNullable<RunRecord['serving']>['window']> } };

/** The LLM record of one result (its wattscope-report.json at `file`). */
export function llmRecordOf(report: WattscopeReport, file: string): MlEnergyLlmRecord {
  const runs = report.runs.filter((r): r is ServedRun => r.included && r.serving?.window != null && r.serving.window.tokens > 0);
  if (runs.length === 0) {
    throw badResult(
      file,
      'no included run has a steady-state window with output tokens (runs[].serving.window): not an ML.ENERGY LLM record',
      'runs.serving.window',
    );
  }
  const windows = runs.map((r) => r.serving.window);
  const itlMeans = runs.map((r) => r.serving.itlMeanMs);
  const meanItl = meanIfAll(itlMeans);
  if (meanItl === null)
    throw badResult(
      file,
      'a run lacks its mean inter-token latency (runs[].serving.itlMeanMs: a report from before it was recorded)',
      'runs.serving.itlMeanMs',
    );
  const stability = runs.map((r) => r.serving.mlEnergyStability ?? null);
  const reasons = stability.flatMap((s, i) => (s === null ? [`run ${runs[i]!.index}: not judged`] : s.reasons.map((why) => `run ${runs[i]!.index}: ${why}`)));
  const uncertainty = meanIfAll(windows.map((w) => (w.energyUncertaintyJ == null ? null : w.energyUncertaintyJ / w.tokens)));
  return {
    ...identityOf(report, file, 'text-generation'),
    max_num_seqs: runs[0]!.serving.concurrency,
    energy_per_token_joules: mean(windows.map((w) => w.energyJ / w.tokens)),
    output_throughput_tokens_per_sec: mean(windows.map((w) => w.tokensPerS)),
    avg_power_watts: mean(windows.map((w) => w.energyJ / w.durationS)),
    mean_itl_ms: meanItl,
    is_stable: reasons.length === 0,
    stability_reasons: reasons.join('; '),
    p50_itl_ms: meanIfAll(runs.map((r) => r.serving.itlMs?.p50)),
    p90_itl_ms: meanIfAll(runs.map((r) => r.serving.itlMs?.p90)),
    p99_itl_ms: meanIfAll(runs.map((r) => r.serving.itlMs?.p99)),
    mean_ttft_ms: meanIfAll(runs.map((r) => r.serving.ttftMeanMs)),
    p50_ttft_ms: meanIfAll(runs.map((r) => r.serving.ttftMs?.p50)),
    p99_ttft_ms: meanIfAll(runs.map((r) => r.serving.ttftMs?.p99)),
    energy_per_request_joules: meanIfAll(windows.map((w) => w.jPerRequest)),
    mean_response_tokens: meanIfAll(runs.map((r) => r.serving.responseTokens?.mean)),
    idle_power_watts: report.idle?.powerW ?? null,
    measurement_method: `wattscope ${report.tool.version}: steady-state window, ${[...new Set(runs.map((r) => r.method))].join(', ')}`,
    energy_per_token_uncertainty_joules: uncertainty,
    runs: runs.length,
  };
}

/** Whether a result is of image or video generation (its runs have diffusion records). */
export function isDiffusionResult(report: WattscopeReport): boolean {
  return report.runs.some((r) => r.diffusion != null);
}

/** The diffusion record of one result: means over its included runs; every run one configuration. */
export function diffusionRecordOfReport(report: WattscopeReport, file: string): MlEnergyDiffusionRecord {
  const runs = report.runs.filter((r) => r.included && r.diffusion?.energyPerGenerationJ != null);
  if (runs.length === 0)
    throw badResult(file, 'no included run has an energy per generation (runs[].diffusion): not an ML.ENERGY diffusion record', 'runs.diffusion');
  const records = runs.map((r) => r.diffusion!);
  const [first] = records as [NonNullable<RunRecord['diffusion']>];
  if (records.some((d) => d.batchSize !== first.batchSize || d.height !== first.height || d.width !== first.width)) {
    throw badResult(file, 'its runs differ in batch size or resolution: one V3 record is one configuration', 'runs.diffusion');
  }
  return {
    ...identityOf(report, file, 'text-to-image'),
    batch_size: first.batchSize,
    energy_per_generation_joules: mean(records.map((d) => d.energyPerGenerationJ!)),
    height: first.height,
    width: first.width,
    batch_latency_s: mean(records.map((d) => d.batchLatencyS!)),
    avg_power_watts: mean(records.map((d) => d.avgPowerW!)),
  };
}
