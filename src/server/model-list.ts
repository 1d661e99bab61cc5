/**
 * The AI Energy Score's model list (a CSV such as "AI Energy Score (Oct 2025) - Models.csv"):
 * a blank first column, then "Models to Add", "Priority (1=hi)", "Class", "Task", "Reasoning
 * State", "Chat Template". Read as people keep it: model URLs with the https://huggingface.co/
 * prefix, trailing spaces in names and headers, multi-line quoted templates, blank rows.
 */
import { readFileSync } from 'node:fs';
import { parseCsv } from '../util/csv.js';
import { WattscopeError } from '../util/errors.js';
import { parseReasoningState, type ReasoningState } from './reasoning.js';

export interface ModelListEntry {
  /** 1-based line of the row in the file. */
  line: number;
  /** The model id (org/name). */
  model: string;
  priority: number | null;
  modelClass: 'A' | 'B' | 'C' | null;
  task: string;
  /** The state as written ("On (High)"), and as read. */
  reasoningText: string;
  reasoning: ReasoningState;
  chatTemplate: string;
}

const COLUMNS = {
  model: 'Models to Add',
  priority: 'Priority (1=hi)',
  class: 'Class',
  task: 'Task',
  reasoning: 'Reasoning State',
  template: 'Chat Template',
} as const;

/** The model id of a cell: without the Hugging Face URL prefix, spaces or a trailing slash. */
export function modelIdOf(cell: string): string {
  return cell
    .trim()
    .replace(/^https?:\/\/(www\.)?huggingface\.co\//i, '')
    .replace(/\/+$/, '');
}

/** Parses the model list's text; a missing column or a bad cell is an error naming the file and line. */
export function parseModelList(text: string, file: string): ModelListEntry[] {
  const records = parseCsv(text.replace(/^\uFEFF/, ''), file);
  const header = records[0];
  if (!header) throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: empty model list`, { file });
  const names = header.cells.map((c) => c.trim());
  const at = (column: string) => {
    const index = names.indexOf(column);
    if (index < 0)
      throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: no "${column}" column (found: ${names.filter(Boolean).join(', ')})`, { file, field: column });
    return index;
  };
  const index = {
    model: at(COLUMNS.model),
    priority: at(COLUMNS.priority),
    class: at(COLUMNS.class),
    task: at(COLUMNS.task),
    reasoning: at(COLUMNS.reasoning),
    template: at(COLUMNS.template),
  };
  const entries: ModelListEntry[] = [];
  for (const record of records.slice(1)) {
    const cell = (i: number) => (record.cells[i] ?? '').trim();
    const model = modelIdOf(cell(index.model));
    if (model === '') continue; // a blank row
    const bad = (field: string, why: string) =>
      new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}:${record.line}: ${why}`, { file, line: record.line, field });
    const classCell = cell(index.class).toUpperCase();
    if (classCell !== '' && !['A', 'B', 'C'].includes(classCell)) throw bad(COLUMNS.class, `class must be A, B or C, got "${cell(index.class)}"`);
    const priority = cell(index.priority) === '' ? null : Number(cell(index.priority));
    if (priority !== null && !Number.isInteger(priority)) throw bad(COLUMNS.priority, `priority must be an integer, got "${cell(index.priority)}"`);
    let reasoning: ReasoningState;
    try {
      reasoning = parseReasoningState(cell(index.reasoning));
    } catch (err) {
      throw bad(COLUMNS.reasoning, (err as Error).message);
    }
    entries.push({
      line: record.line,
      model,
      priority,
      modelClass: classCell === '' ? null : (classCell as 'A' | 'B' | 'C'),
      task: cell(index.task),
      reasoningText: cell(index.reasoning),
      reasoning,
      chatTemplate: cell(index.template),
    });
  }
  return entries;
}

export function readModelList(file: string): ModelListEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}: cannot read the model list (${(err as Error).message})`, { file, cause: err });
  }
  return parseModelList(text, file);
}
