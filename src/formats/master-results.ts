/**
 * master_results.csv as the AI Energy Score's batch runner writes it: one row per model and
 * reasoning state, its columns in its order and its number formats. A model that failed keeps its
 * row, with the error and empty cells (never zeros) for what was not measured; so does anything
 * wattscope does not measure (CO2).
 */
import type { AiEnergyBenchmarksReport } from './ai-energy-benchmarks.js';

export const MASTER_RESULTS_COLUMNS = [
  'model_name',
  'model_class',
  'task',
  'reasoning_state',
  'total_prompts',
  'successful_prompts',
  'failed_prompts',
  'total_duration_seconds',
  'avg_total_time',
  'avg_time_to_first_token',
  'total_tokens',
  'total_prompt_tokens',
  'total_completion_tokens',
  'throughput_tokens_per_second',
  'gpu_energy_wh',
  'wh_per_1000_queries',
  'co2_emissions_g',
  'tokens_per_joule',
  'avg_energy_per_prompt_wh',
  'timestamp',
  'error_message',
] as const;

export type MasterResultsRow = Record<(typeof MASTER_RESULTS_COLUMNS)[number], string>;

export interface MasterResultsModel {
  model: string;
  modelClass: string | null;
  task: string;
  reasoningState: string;
}

const fixed = (value: number | null, digits: number): string => (value === null || !Number.isFinite(value) ? '' : value.toFixed(digits));

/** The row of a model's pass (the ai_energy_benchmarks report), or of its failure. */
export function masterResultsRow(model: MasterResultsModel, pass: AiEnergyBenchmarksReport | null, error: string | null, timestamp: string): MasterResultsRow {
  const s = pass?.summary;
  const gpuWh = pass?.energy.gpu_energy_wh ?? null;
  const ok = s?.successful_prompts ?? 0;
  const totalTokens = s?.total_tokens ?? null;
  return {
    model_name: model.model,
    model_class: model.modelClass ?? '',
    task: model.task,
    reasoning_state: model.reasoningState,
    total_prompts: s ? String(s.total_prompts) : '',
    successful_prompts: s ? String(s.successful_prompts) : '',
    failed_prompts: s ? String(s.failed_prompts) : '',
    total_duration_seconds: fixed(s?.total_duration_seconds ?? null, 2),
    avg_total_time: fixed(s?.avg_latency_seconds ?? null, 4),
    avg_time_to_first_token: fixed(s?.avg_time_to_first_token ?? null, 4),
    total_tokens: totalTokens === null ? '' : String(Math.round(totalTokens)),
    total_prompt_tokens: s?.total_prompt_tokens == null ? '' : String(Math.round(s.total_prompt_tokens)),
    total_completion_tokens: s?.total_completion_tokens == null ? '' : String(Math.round(s.total_completion_tokens)),
    throughput_tokens_per_second: fixed(s?.throughput_tokens_per_second ?? null, 2),
    gpu_energy_wh: fixed(gpuWh, 4),
    wh_per_1000_queries: fixed(gpuWh !== null && ok > 0 ? (gpuWh / ok) * 1000 : null, 4),
    co2_emissions_g: '',
    tokens_per_joule: fixed(gpuWh !== null && gpuWh > 0 && totalTokens !== null ? totalTokens / (gpuWh * 3600) : null, 4),
    avg_energy_per_prompt_wh: fixed(gpuWh !== null && ok > 0 ? gpuWh / ok : null, 4),
    timestamp,
    error_message: error ?? '',
  };
}

/**
 * A text cell that a spreadsheet would run as a formula (=, +, -, @, a tab or CR first: a model's
 * name, a server's error text) gets a leading apostrophe, which spreadsheets show as text; numbers
 * (a negative one included) are left as they are.
 */
export const formulaSafe = (value: string): string => (/^[=+\-@\t\r]/.test(value) && !Number.isFinite(Number(value)) ? `'${value}` : value);

/** A CSV cell: formula-safe, quoted when it holds a comma, a quote or a line break. */
const csvCell = (raw: string): string => {
  const value = formulaSafe(raw);
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
};

export function masterResultsCsv(rows: MasterResultsRow[]): string {
  const lines = [MASTER_RESULTS_COLUMNS.join(','), ...rows.map((row) => MASTER_RESULTS_COLUMNS.map((c) => csvCell(row[c])).join(','))];
  return lines.join('\n') + '\n';
}
