/**
 * Benchmark datasets from local JSONL, CSV or Parquet files (the AI Energy Score
 * datasets are published as Parquet). Input columns come from the task (the AI
 * Energy Score task table) or from an option; every row is validated, and a bad
 * row is an error naming the file, the row (line) and the field.
 */
import path from 'node:path';
import { WattscopeError } from '../util/errors.js';
import { readBoundedFile, readParquetObjects } from '../formats/parquet.js';
import { parseCsv } from '../util/csv.js';

/** Input columns per AI Energy Score task (optimum-benchmark's energy_star configurations). */
export const TASK_INPUT_COLUMNS: Record<string, string[]> = {
  'text-generation': ['text'],
  summarization: ['text'],
  'question-answering': ['question', 'context'],
  'text-classification': ['text'],
  'sentence-similarity': ['sentence1', 'sentence2'],
  'image-classification': ['image'],
  'object-detection': ['image'],
  'automatic-speech-recognition': ['audio'],
  'image-to-text': ['image'],
  'text-to-image': ['prompt'],
};

const TEXT_COLUMNS = new Set(['text', 'question', 'context', 'sentence1', 'sentence2', 'prompt']);

export type DatasetFormat = 'jsonl' | 'csv' | 'parquet';

export interface DatasetRow {
  /** 0-based position in the dataset. */
  index: number;
  /** The row's `id` column when present, else its 1-based row number. */
  id: string;
  /** The input columns joined with newlines (text tasks), for handlers that want one string. */
  text: string;
  /** The input columns as read. */
  inputs: Record<string, unknown>;
}

export interface Dataset {
  name: string;
  /** File path, or "builtin:NAME". */
  source: string;
  format: DatasetFormat | 'builtin';
  columns: string[];
  rows: DatasetRow[];
}

export interface DatasetSpec {
  path: string;
  format?: DatasetFormat;
  /** AI Energy Score task id (e.g. "text-generation"), choosing the input columns. */
  task?: string;
  /** Input columns, overriding the task's. */
  columns?: string[];
  /** Use only the first N rows. */
  limit?: number;
}

function formatOf(file: string, given?: DatasetFormat): DatasetFormat {
  if (given) return given;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet') return 'parquet';
  throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: unknown dataset format "${ext}" (use .jsonl, .csv or .parquet, or set format)`, {
    file,
    field: 'format',
  });
}

function columnsOf(spec: DatasetSpec): string[] {
  if (spec.columns && spec.columns.length > 0) return spec.columns;
  const task = spec.task ?? 'text-generation';
  const cols = TASK_INPUT_COLUMNS[task];
  if (!cols) {
    throw new WattscopeError('WATTSCOPE_BAD_DATASET', `unknown task "${task}" (known: ${Object.keys(TASK_INPUT_COLUMNS).join(', ')})`, { field: 'task' });
  }
  return cols;
}

/** Validates one raw row; `where` is "line N" (JSONL/CSV) or "row N" (Parquet). */
function toRow(raw: unknown, index: number, columns: string[], file: string, line: number, where: string): DatasetRow {
  const fail = (field: string | undefined, why: string): never => {
    throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}:${line}: ${where}${field ? `, field "${field}"` : ''}: ${why}`, {
      file,
      line,
      ...(field ? { field } : {}),
    });
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(undefined, 'expected an object');
  const obj = raw as Record<string, unknown>;
  const inputs: Record<string, unknown> = {};
  for (const col of columns) {
    const v = obj[col];
    if (v === undefined || v === null) fail(col, 'missing');
    if (TEXT_COLUMNS.has(col)) {
      if (typeof v !== 'string') fail(col, `expected text, got ${typeof v}`);
      if ((v as string).trim() === '') fail(col, 'empty text');
    }
    inputs[col] = v;
  }
  const id = obj.id === undefined || obj.id === null ? String(index + 1) : String(obj.id);
  const text = columns
    .map((c) => (typeof inputs[c] === 'string' ? (inputs[c] as string) : ''))
    .filter(Boolean)
    .join('\n');
  return { index, id, text, inputs };
}

/** Reads and validates a dataset file. */
export async function loadDataset(spec: DatasetSpec): Promise<Dataset> {
  const file = spec.path;
  const format = formatOf(file, spec.format);
  const columns = columnsOf(spec);
  const limit = spec.limit ?? Infinity;
  const rows: DatasetRow[] = [];
  const buf = readBoundedFile(file, 'dataset');
  if (format === 'jsonl') {
    const lines = buf.toString('utf8').split('\n');
    for (let i = 0; i < lines.length && rows.length < limit; i++) {
      const l = lines[i]!.trim();
      if (!l) continue;
      let obj: unknown;
      try {
        obj = JSON.parse(l);
      } catch {
        throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}:${i + 1}: line ${i + 1}: not valid JSON`, { file, line: i + 1 });
      }
      rows.push(toRow(obj, rows.length, columns, file, i + 1, `line ${i + 1}`));
    }
  } else if (format === 'csv') {
    // A UTF-8 byte order mark (as spreadsheet exports write) is not part of the first column's name.
    const records = parseCsv(buf.toString('utf8').replace(/^\uFEFF/, ''), file);
    const header = records.shift();
    if (!header) throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: empty CSV`, { file });
    for (const col of columns) {
      if (!header.cells.includes(col)) {
        throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}:1: the header has no column "${col}" (has: ${header.cells.join(', ')})`, {
          file,
          line: 1,
          field: col,
        });
      }
    }
    for (const rec of records) {
      if (rows.length >= limit) break;
      if (rec.cells.length !== header.cells.length) {
        throw new WattscopeError(
          'WATTSCOPE_BAD_DATASET',
          `${file}:${rec.line}: line ${rec.line}: ${rec.cells.length} cells, the header has ${header.cells.length}`,
          { file, line: rec.line },
        );
      }
      const obj = Object.fromEntries(header.cells.map((h, k) => [h, rec.cells[k]]));
      rows.push(toRow(obj, rows.length, columns, file, rec.line, `line ${rec.line}`));
    }
  } else {
    const objects = await readParquetObjects(file, buf, limit);
    objects.forEach((obj, i) => rows.push(toRow(obj, i, columns, file, i + 1, `row ${i + 1}`)));
  }
  if (rows.length === 0) throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: no rows`, { file });
  return { name: path.basename(file), source: file, format, columns, rows };
}
