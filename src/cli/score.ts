/** `wattscope score <leaderboard.csv> [--add RESULT] [--json]`: star ratings, and where a new result falls. */
import { WattscopeError } from '../util/errors.js';
import { placeResult, rate, readLeaderboard } from '../scoring/leaderboard.js';
import { parseReasoningState } from '../server/reasoning.js';
import { readResult } from '../formats/result-reader.js';
import { fmt, parse, str, table } from './common.js';

export const scoreHelp = `wattscope score <leaderboard.csv> [--add RESULT_DIR_OR_REPORT] [--model NAME] [--class A|B|C] [--task T] [--reasoning STATE] [--json]
  Rates every model (1-5 stars within its task, reasoning state and class) and, with --add, places a new
  result on the leaderboard (--task and --reasoning matter where the leaderboard has those columns).`;

const SCORE_FLAGS = {
  add: { type: 'string' },
  model: { type: 'string' },
  class: { type: 'string' },
  task: { type: 'string' },
  reasoning: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function scoreCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, SCORE_FLAGS, true);
  if (values.help) {
    process.stdout.write(scoreHelp + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give one leaderboard CSV: wattscope score <leaderboard.csv>');
  const board = readLeaderboard(positionals[0]!);
  const addPath = str(values, 'add');
  const added = addPath ? readResult(addPath) : null;
  const cls = str(values, 'class') ?? null;
  if (added && cls === null && board.some((e) => e.class !== null)) {
    throw new WattscopeError(
      'WATTSCOPE_INVALID_ARGUMENT',
      "this leaderboard rates within classes: give the result's --class (A, B or C; see wattscope class)",
      { field: 'class' },
    );
  }
  const reasoningText = str(values, 'reasoning');
  const reasoning = reasoningText === undefined ? (added?.reasoning ?? null) : reasoningStateOf(reasoningText).enabled;
  const placement = added
    ? placeResult(board, {
        model: str(values, 'model') ?? added.model ?? 'new result',
        energyWh: added.energyWh,
        class: cls,
        task: str(values, 'task') ?? added.task,
        reasoning,
      })
    : null;
  const rated = placement ? placement.rated : rate(board);
  if (values.json) {
    const rows = rated.map((e) => ({
      model: e.model,
      energyWh: e.energyWh,
      stars: e.stars,
      ...(e.class !== null ? { class: e.class } : {}),
      ...(e.publishedStars !== null ? { publishedStars: e.publishedStars } : {}),
      ...(e.added ? { added: true } : {}),
    }));
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  const hasClass = rated.some((e) => e.class !== null);
  process.stdout.write(
    table(
      ['model', 'Wh/1000 queries', 'stars', ...(hasClass ? ['class'] : [])],
      rated.map((e) => [
        e.added ? `${e.model} (added)` : e.model,
        fmt(e.energyWh, 3),
        '*'.repeat(e.stars).padEnd(5, '.'),
        ...(hasClass ? [e.class ?? ''] : []),
      ]),
    ) + '\n',
  );
  if (placement) {
    const p = placement;
    for (const w of added!.warnings) process.stdout.write(`warning: ${w}\n`);
    process.stdout.write(
      `\n${p.entry.model}: ${fmt(p.entry.energyWh, 3)} Wh per 1,000 queries, ${p.entry.stars} stars, rank ${p.rank} of ${p.of}${p.entry.class ? ` in class ${p.entry.class}` : ''}\n`,
    );
    process.stdout.write(`bands (Wh/1000): ${p.bandEdgesWh.map((b) => `${b.stars}* ${fmt(b.from, 3)}-${fmt(b.to, 3)}`).join(', ')}\n`);
    process.stdout.write(
      p.widensRange
        ? `it widens the range; stars that change: ${p.changed.length ? p.changed.map((c) => `${c.model} ${c.before}->${c.after}`).join(', ') : 'none'}\n`
        : "it falls inside the range: no other model's stars change\n",
    );
  }
  return 0;
}

/** --reasoning: a state as the model list writes it; anything else is an error naming the flag. */
function reasoningStateOf(text: string) {
  try {
    return parseReasoningState(text);
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--reasoning: ${(err as Error).message}`, { field: 'reasoning' });
  }
}
