/**
 * Image and video generation (diffusion) under the runner: a handler that returns a
 * DiffusionBatch for each query (the batch of generations it produced together, and their size)
 * gets a `diffusion` record per run, as the ML.ENERGY Benchmark describes diffusion runs: energy per
 * generation, batch latency and average power, from the queries' measured phases (the energy
 * between queries is left out, as it is of every phase).
 */
import type { DiffusionRecord } from '../formats/report-types.js';
import type { RunSummary } from '../monitor/types.js';

/** What a diffusion handler returns for a query: `batchSize` images (or videos) of height x width pixels. */
export interface DiffusionBatch {
  kind: 'diffusion-batch';
  batchSize: number;
  height: number;
  width: number;
}

export function isDiffusionBatch(value: unknown): value is DiffusionBatch {
  const v = value as DiffusionBatch;
  return (
    typeof value === 'object' && value !== null && v.kind === 'diffusion-batch' && [v.batchSize, v.height, v.width].every((n) => Number.isInteger(n) && n > 0)
  );
}

/** A DiffusionBatch, checked: positive integers only. */
export function diffusionBatch(batchSize: number, height: number, width: number): DiffusionBatch {
  const batch: DiffusionBatch = { kind: 'diffusion-batch', batchSize, height, width };
  if (!isDiffusionBatch(batch))
    throw new RangeError(`a diffusion batch needs positive integer batchSize, height and width (got ${batchSize}, ${height}, ${width})`);
  return batch;
}

/**
 * The run's diffusion record from its batches, or null without any. Every batch of a run must have
 * the same size and resolution (one configuration per run, as a V3 record is); otherwise the record
 * says why it has no figures.
 */
export function diffusionRecordOf(batches: DiffusionBatch[], summary: RunSummary): DiffusionRecord | null {
  if (batches.length === 0) return null;
  const [first] = batches as [DiffusionBatch];
  const mixed = batches.find((b) => b.batchSize !== first.batchSize || b.height !== first.height || b.width !== first.width);
  const phases = Object.values(summary.phases);
  const energyJ = phases.reduce((sum, p) => sum + p.energyJ, 0);
  const durationS = phases.reduce((sum, p) => sum + p.durationS, 0);
  const generations = batches.reduce((sum, b) => sum + b.batchSize, 0);
  const base = { batchSize: first.batchSize, height: first.height, width: first.width, batches: batches.length, generations };
  if (mixed) {
    const why = `the run mixed batches of ${first.batchSize} x ${first.height}x${first.width} and ${mixed.batchSize} x ${mixed.height}x${mixed.width}: one configuration per run`;
    return { ...base, energyPerGenerationJ: null, batchLatencyS: null, avgPowerW: null, reason: why };
  }
  return {
    ...base,
    energyPerGenerationJ: energyJ / generations,
    batchLatencyS: durationS / batches.length,
    avgPowerW: durationS > 0 ? energyJ / durationS : null,
    reason: null,
  };
}
