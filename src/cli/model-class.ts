/** `wattscope class --params N [--precision fp16]`: the model size class. */
import { WattscopeError } from '../util/errors.js';
import { BYTES_PER_PARAMETER, modelClass, type Precision } from '../scoring/classes.js';
import { parse, str } from './common.js';

export const classHelp = `wattscope class --params N [--precision fp16|bf16|fp32|fp8|int8|int4] [--json]
  The AI Energy Score size class (A, B, C) of a model, from its parameter count (e.g. 7e9 or 7B).`;

export function parseParameters(raw: string): number {
  const m = /^\s*([\d.]+(?:e\d+)?)\s*([kKmMbBtT]?)\s*$/.exec(raw);
  const mult: Record<string, number> = { '': 1, k: 1e3, m: 1e6, b: 1e9, t: 1e12 };
  const n = m ? Number(m[1]) * mult[m[2]!.toLowerCase()]! : NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--params must be a parameter count like 7e9 or 7B, got "${raw}"`, { field: 'params' });
  }
  return n;
}

export function classCommand(argv: string[]): number {
  const { values } = parse(argv, {
    params: { type: 'string' },
    precision: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(classHelp + '\n');
    return 0;
  }
  const raw = str(values, 'params');
  if (!raw) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give --params, e.g. wattscope class --params 7B', { field: 'params' });
  const precision = (str(values, 'precision') ?? 'fp16').toLowerCase() as Precision;
  if (!(precision in BYTES_PER_PARAMETER)) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `unknown --precision "${precision}" (known: ${Object.keys(BYTES_PER_PARAMETER).join(', ')})`, {
      field: 'precision',
    });
  }
  const parameters = parseParameters(raw);
  const r = modelClass(parameters, precision);
  if (values.json) process.stdout.write(JSON.stringify({ parameters, precision, class: r.class, memoryGb: r.memoryGb }) + '\n');
  else
    process.stdout.write(
      `class ${r.class}: ${(parameters / 1e9).toPrecision(3)} B parameters at ${precision} need ${r.memoryGb.toFixed(1)} GB with 20% overhead\n`,
    );
  return 0;
}
