/** A small RFC 4180 CSV reader: quoted fields, doubled quotes, newlines inside quotes; records keep their line number. */
import { WattscopeError } from './errors.js';

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  cells: string[];
}

export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let atCellStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && atCellStart) {
      quoted = true;
      atCellStart = false;
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
      atCellStart = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (!(cells.length === 1 && cells[0] === '')) records.push({ line: start, cells });
      cells = [];
      cell = '';
      atCellStart = true;
      line++;
      start = line;
    } else {
      cell += ch;
      atCellStart = false;
    }
  }
  if (quoted) throw new WattscopeError('WATTSCOPE_BAD_DATASET', `${file}:${start}: unterminated quoted field`, { file, line: start });
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    records.push({ line: start, cells });
  }
  return records;
}
