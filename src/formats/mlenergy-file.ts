/**
 * ML.ENERGY V3 record files: written as Parquet or JSONL (chosen by the extension), with the
 * schema's field types (int, float, bool, str); read back, LLM and diffusion rows told apart by their
 * columns, every field checked: a row with a field missing or of the wrong type is an error naming
 * the row (1-based) and the field, never a default.
 */
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { WattscopeError } from '../util/errors.js';
import { readBoundedFile, readParquetObjects } from './parquet.js';
import type { MlEnergyDiffusionRecord, MlEnergyLlmRecord } from './mlenergy-records.js';

type FieldType = 'int' | 'float' | 'bool' | 'str';

/** The LLM columns: V3's first, then wattscope's own (nullable). */
export const LLM_COLUMNS: Array<{ name: keyof MlEnergyLlmRecord; type: FieldType; nullable: boolean }> = [
  ...(['task', 'model_id', 'nickname', 'gpu_model'] as const).map((name) => ({ name, type: 'str' as const, nullable: false })),
  { name: 'num_gpus', type: 'int', nullable: false },
  { name: 'max_num_seqs', type: 'int', nullable: false },
  ...(['energy_per_token_joules', 'output_throughput_tokens_per_sec', 'avg_power_watts', 'mean_itl_ms'] as const).map((name) => ({
    name,
    type: 'float' as const,
    nullable: false,
  })),
  { name: 'is_stable', type: 'bool', nullable: false },
  { name: 'stability_reasons', type: 'str', nullable: false },
  ...(
    [
      'p50_itl_ms',
      'p90_itl_ms',
      'p99_itl_ms',
      'mean_ttft_ms',
      'p50_ttft_ms',
      'p99_ttft_ms',
      'energy_per_request_joules',
      'mean_response_tokens',
      'idle_power_watts',
      'energy_per_token_uncertainty_joules',
    ] as const
  ).map((name) => ({ name, type: 'float' as const, nullable: true })),
  { name: 'measurement_method', type: 'str', nullable: false },
  { name: 'runs', type: 'int', nullable: false },
];

/** How many of LLM_COLUMNS are V3's own (task to is_stable); the rest are wattscope's. */
const V3_LLM_COLUMNS = 11;

/** The diffusion columns of V3. */
export const DIFFUSION_COLUMNS: Array<{ name: keyof MlEnergyDiffusionRecord; type: FieldType }> = [
  ...(['task', 'model_id', 'nickname', 'gpu_model'] as const).map((name) => ({ name, type: 'str' as const })),
  ...(['num_gpus', 'batch_size', 'height', 'width'] as const).map((name) => ({ name, type: 'int' as const })),
  ...(['energy_per_generation_joules', 'batch_latency_s', 'avg_power_watts'] as const).map((name) => ({ name, type: 'float' as const })),
];

const PARQUET_TYPE = { int: 'INT32', float: 'DOUBLE', bool: 'BOOLEAN', str: 'STRING' } as const;

function formatOf(file: string): 'parquet' | 'jsonl' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.parquet') return 'parquet';
  if (ext === '.jsonl') return 'jsonl';
  throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `${file}: the extension chooses the format: .parquet or .jsonl`, { field: 'out', file });
}

/** Records of one kind, with their columns. */
export type MlEnergyRecords = { kind: 'llm'; records: MlEnergyLlmRecord[] } | { kind: 'diffusion'; records: MlEnergyDiffusionRecord[] };

/** Writes records of one kind to `file` (.parquet or .jsonl), atomically. */
export async function writeRecords(file: string, { kind, records }: MlEnergyRecords): Promise<void> {
  if (formatOf(file) === 'jsonl') {
    writeFileAtomic(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return;
  }
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const columns: ReadonlyArray<{ name: string; type: FieldType; nullable?: boolean }> = kind === 'llm' ? LLM_COLUMNS : DIFFUSION_COLUMNS;
  const rows = records as unknown as Array<Record<string, unknown>>;
  const columnData = columns.map((c) => ({ name: c.name, type: PARQUET_TYPE[c.type], nullable: c.nullable ?? false, data: rows.map((r) => r[c.name]) }));
  writeFileAtomic(file, Buffer.from(parquetWriteBuffer({ columnData, codec: 'UNCOMPRESSED' })));
}

/** The ML.ENERGY runs of a V3 file, LLM and diffusion rows apart. */
export interface MlEnergyRuns {
  llm: Array<MlEnergyLlmRecord & { row: number }>;
  diffusion: Array<MlEnergyDiffusionRecord & { row: number }>;
}

function checkField(file: string, row: number, object: Record<string, unknown>, name: string, type: FieldType): void {
  const value = object[name];
  const ok =
    type === 'str'
      ? typeof value === 'string'
      : type === 'bool'
        ? typeof value === 'boolean'
        : (typeof value === 'number' || typeof value === 'bigint') && Number.isFinite(Number(value)) && (type === 'float' || Number.isInteger(Number(value)));
  if (ok) {
    if (typeof value === 'bigint') object[name] = Number(value);
    return;
  }
  const what =
    value === undefined || value === null
      ? 'missing'
      : `${JSON.stringify(typeof value === 'bigint' ? String(value) : value)} is not ${type === 'int' ? 'an int' : `a ${type}`}`;
  throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: row ${row}: ${name} ${what}`, { file, line: row, field: name });
}

/** The row's values of the kind's columns that it has (the other kind's columns of a mixed file left out). */
function pick(object: Record<string, unknown>, columns: ReadonlyArray<{ name: string }>): Record<string, unknown> {
  return Object.fromEntries(columns.filter((c) => object[c.name] !== undefined && object[c.name] !== null).map((c) => [c.name, object[c.name]]));
}

/** Reads a V3 file's rows (Parquet or JSONL): an LLM row has energy_per_token_joules, a diffusion row energy_per_generation_joules. */
export async function readMlEnergyRuns(file: string): Promise<MlEnergyRuns> {
  let rows: Array<Record<string, unknown>>;
  if (formatOf(file) === 'jsonl') {
    rows = readBoundedFile(file, 'results file')
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: row ${i + 1}: not JSON`, { file, line: i + 1 });
        }
      });
  } else {
    rows = await readParquetObjects(file, readBoundedFile(file, 'results file'));
  }
  const runs: MlEnergyRuns = { llm: [], diffusion: [] };
  rows.forEach((object, i) => {
    const row = i + 1;
    if (object.energy_per_token_joules !== undefined && object.energy_per_token_joules !== null) {
      for (const c of LLM_COLUMNS.slice(0, V3_LLM_COLUMNS)) checkField(file, row, object, c.name, c.type);
      runs.llm.push({ ...(pick(object, LLM_COLUMNS) as unknown as MlEnergyLlmRecord), row });
    } else if (object.energy_per_generation_joules !== undefined && object.energy_per_generation_joules !== null) {
      for (const c of DIFFUSION_COLUMNS) checkField(file, row, object, c.name, c.type);
      runs.diffusion.push({ ...(pick(object, DIFFUSION_COLUMNS) as unknown as MlEnergyDiffusionRecord), row });
    } else {
      throw new WattscopeError(
        'WATTSCOPE_BAD_DATASET',
        `${file}: row ${row}: neither energy_per_token_joules (an LLM run) nor energy_per_generation_joules (diffusion)`,
        {
          file,
          line: row,
          field: 'energy_per_token_joules',
        },
      );
    }
  });
  return runs;
}
