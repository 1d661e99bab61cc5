/**
 * Model size classes for text generation (AI Energy Score): A up to 20 B
 * parameters, B up to 66 B, C above, for FP16 weights. Memory is
 * M = parameters x bytes per parameter x 1.2 (20% overhead), and a model's class
 * is the smallest whose FP16 memory bound holds it, so INT8 and INT4 weights
 * (fewer bytes) move a model down: a 40 B INT8 model needs what a 20 B FP16 one does.
 *
 * Note: the methodology describes A as "fits one 24 GB consumer GPU" and B as
 * "one 80 GB H100", but its own formula gives 48 GB for 20 B at FP16 and
 * 158.4 GB for 66 B. We keep the published parameter thresholds (which the
 * leaderboard's classes follow) and report the memory the formula gives.
 */
import { WattscopeError } from '../util/errors.js';

export type ModelClass = 'A' | 'B' | 'C';
export type Precision = 'fp32' | 'fp16' | 'bf16' | 'fp8' | 'int8' | 'int4';

export const BYTES_PER_PARAMETER: Record<Precision, number> = { fp32: 4, fp16: 2, bf16: 2, fp8: 1, int8: 1, int4: 0.5 };
export const CLASS_LIMIT_PARAMETERS = { A: 20e9, B: 66e9 } as const;
const OVERHEAD = 1.2;

/** Memory needed for the weights with 20% overhead, GB (1e9 bytes). */
export function modelMemoryGb(parameters: number, precision: Precision = 'fp16'): number {
  if (!Number.isFinite(parameters) || parameters <= 0) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `parameters must be a positive number, got ${parameters}`, { field: 'parameters' });
  }
  const bytes = BYTES_PER_PARAMETER[precision];
  if (bytes === undefined) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `unknown precision "${precision}" (known: ${Object.keys(BYTES_PER_PARAMETER).join(', ')})`, {
      field: 'precision',
    });
  }
  return (parameters * bytes * OVERHEAD) / 1e9;
}

export function modelClass(parameters: number, precision: Precision = 'fp16'): { class: ModelClass; memoryGb: number } {
  const memoryGb = modelMemoryGb(parameters, precision);
  const limitA = modelMemoryGb(CLASS_LIMIT_PARAMETERS.A, 'fp16');
  const limitB = modelMemoryGb(CLASS_LIMIT_PARAMETERS.B, 'fp16');
  return { class: memoryGb <= limitA ? 'A' : memoryGb <= limitB ? 'B' : 'C', memoryGb };
}
