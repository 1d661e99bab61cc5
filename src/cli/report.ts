/** `wattscope report <result-dir> [--leaderboard CSV --class C --model M] [--out FILE]`: the report page. */
import { WattscopeError } from '../util/errors.js';
import { writeReportPage } from '../report/write.js';
import { parse, str } from './common.js';

export const reportHelp = `wattscope report <result-dir> [--leaderboard CSV [--class C] [--model NAME]] [--out report.html]
  Writes one self-contained, offline report.html: summary, power timeline with phases, runs, flags.`;

export function reportCommand(argv: string[]): number {
  const { values, positionals } = parse(
    argv,
    {
      leaderboard: { type: 'string' },
      class: { type: 'string' },
      model: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(reportHelp + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give one result directory: wattscope report <result-dir>');
  const opts: Parameters<typeof writeReportPage>[1] = {};
  for (const k of ['leaderboard', 'class', 'model', 'out'] as const) {
    const v = str(values, k);
    if (v !== undefined) opts[k] = v;
  }
  const out = writeReportPage(positionals[0]!, opts);
  process.stdout.write(`${out}\n`);
  return 0;
}
