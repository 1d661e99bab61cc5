/** `wattscope label <result> --model NAME --task TASK [--leaderboard csv] --out label.svg|label.png` */
import { writeFileSync } from 'node:fs';
import { WattscopeError } from '../util/errors.js';
import { labelPng, labelSvg } from '../scoring/label.js';
import { placeResult, readLeaderboard } from '../scoring/leaderboard.js';
import { readResult } from '../formats/result-reader.js';
import type { Stars } from '../scoring/stars.js';
import { parse, str } from './common.js';

export const labelHelp = `wattscope label <result-dir> --model NAME --task TASK [--leaderboard CSV [--class C]] [--stars N] --out label.svg|label.png
  Draws the AI Energy Score label (SVG 260x364, PNG 520x728). Stars come from the leaderboard, or --stars.`;

export async function labelCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      model: { type: 'string' },
      task: { type: 'string' },
      leaderboard: { type: 'string' },
      class: { type: 'string' },
      stars: { type: 'string' },
      out: { type: 'string' },
      hardware: { type: 'string' },
      date: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(labelHelp + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give one result directory or report: wattscope label <result-dir> ...');
  const out = str(values, 'out');
  if (!out || !/\.(svg|png)$/i.test(out)) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give --out ending in .svg or .png', { field: 'out' });
  const result = readResult(positionals[0]!);
  const model = str(values, 'model') ?? result.model;
  const task = str(values, 'task') ?? result.task;
  if (!model) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give --model NAME', { field: 'model' });
  if (!task) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give --task TASK', { field: 'task' });
  let stars: Stars;
  const lb = str(values, 'leaderboard');
  const given = str(values, 'stars');
  if (lb) {
    stars = placeResult(readLeaderboard(lb), { model, energyWh: result.energyWh, class: str(values, 'class') ?? null, task, reasoning: result.reasoning }).entry
      .stars;
  } else if (given && /^[1-5]$/.test(given)) {
    stars = Number(given) as Stars;
  } else {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'stars are relative to a leaderboard: give --leaderboard CSV (or --stars 1-5)', {
      field: 'leaderboard',
    });
  }
  const svg = labelSvg({
    model,
    task,
    stars,
    energyWh: result.energyWh,
    date: str(values, 'date') ?? result.date ?? new Date().toISOString().slice(0, 10),
    hardware: str(values, 'hardware') ?? result.hardware ?? 'NVIDIA H100 80GB',
    notComparable: result.warnings,
  });
  writeFileSync(out, out.toLowerCase().endsWith('.png') ? await labelPng(svg) : svg);
  process.stdout.write(`${out}: ${model}, ${result.energyWh.toPrecision(4)} Wh per 1,000 queries, ${stars} stars\n`);
  for (const warning of result.warnings) process.stdout.write(`warning: ${warning}\n`);
  return 0;
}
