/**
 * Where a wattscope result stands among the ML.ENERGY dataset's LLM runs of the same task and GPU
 * model: its rank in energy per output token (1 = the least), the percentile (the share of those
 * runs that use no less energy per token), and the nearest runs by model size (billions of
 * parameters, read from the model's name) and batch size (max_num_seqs), on log scales.
 */
import type { MlEnergyLlmRecord } from '../formats/mlenergy-records.js';

/** Billions of parameters named in a model id ("meta-llama/Llama-3.1-70B-Instruct" -> 70), or null. */
export function parametersBillionsOf(modelId: string): number | null {
  const matches = [...modelId.matchAll(/(?:^|[-_/ .])(\d+(?:\.\d+)?)[Bb](?=$|[-_/ .])/g)];
  if (matches.length === 0) return null;
  return Number(matches.at(-1)![1]);
}

export interface NearRun {
  row: number;
  model_id: string;
  max_num_seqs: number;
  energy_per_token_joules: number;
  /** The distance: |ln(size ratio)| + |log2(batch ratio)| (size left out where either is unknown). */
  distance: number;
}

export interface MlEnergyComparison {
  task: string;
  gpu_model: string;
  /** Runs of the same task and GPU model in the dataset. */
  peers: number;
  /** 1 = the least energy per token; null without peers. */
  rank: number | null;
  /** Share of peers using at least this much energy per token, %. */
  percentile: number | null;
  nearest: NearRun[];
}

/** Compares `record` with the dataset's LLM runs. */
export function compareWithMlEnergy(record: MlEnergyLlmRecord, runs: Array<MlEnergyLlmRecord & { row: number }>, nearestCount = 3): MlEnergyComparison {
  const peers = runs.filter((r) => r.task === record.task && r.gpu_model === record.gpu_model);
  const ours = record.energy_per_token_joules;
  const size = parametersBillionsOf(record.model_id);
  const distanceTo = (r: MlEnergyLlmRecord) => {
    const theirSize = parametersBillionsOf(r.model_id);
    const sizePart = size !== null && theirSize !== null && theirSize > 0 ? Math.abs(Math.log(theirSize / size)) : 0;
    return sizePart + Math.abs(Math.log2(r.max_num_seqs / record.max_num_seqs));
  };
  return {
    task: record.task,
    gpu_model: record.gpu_model,
    peers: peers.length,
    rank: peers.length ? peers.filter((r) => r.energy_per_token_joules < ours).length + 1 : null,
    percentile: peers.length ? (peers.filter((r) => r.energy_per_token_joules >= ours).length / peers.length) * 100 : null,
    nearest: peers
      .map((r) => ({
        row: r.row,
        model_id: r.model_id,
        max_num_seqs: r.max_num_seqs,
        energy_per_token_joules: r.energy_per_token_joules,
        distance: distanceTo(r),
      }))
      .sort((a, b) => a.distance - b.distance || a.row - b.row)
      .slice(0, nearestCount),
  };
}
