/** `wattscope replay DIR [--json]`: a real GPU's recording replayed through the whole measuring path. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { replayRecording, type ReplayResult } from '../runner/replay.js';
import { WattscopeError } from '../util/errors.js';
import { fmt, parse, positiveNumber, str, table } from './common.js';

export const replayHelp = `wattscope replay DIR [--name NAME] [--json] [--hz N]
  Replays a GPU's recording (DIR/NAME-probe.csv(.gz), -samples.csv(.gz), -phases.csv(.gz)) in real time
  through the simulated library, the native sampler and the estimator: each recorded run's phases as
  scopes, each run's figures beside the recording's own counter over the run. Where the recording holds a
  "block" section (the phases run back to back), each phase alone and what interleaving them costs.`;

/** The recording's path prefix: DIR/NAME, NAME found from DIR's one *-phases.csv(.gz) when not given. */
function prefixOf(dir: string, name: string | undefined): string {
  if (name) return path.join(dir, name);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `${dir} is not a directory holding a recording`, { file: dir });
  }
  const names = readdirSync(dir)
    .map((f) => /^(.+)-phases\.csv(\.gz)?$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined);
  if (names.length !== 1) {
    const found = names.length ? `several (${names.join(', ')}): choose one with --name` : 'none';
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `${dir}: expected one NAME-phases.csv(.gz), found ${found}`, { file: dir });
  }
  return path.join(dir, names[0]!);
}

/** The alone columns of a phase: its isolated figure and interval, or blanks without the recording's blocks. */
function aloneCells(energyJ: number | null, uncertaintyJ: number | null): string[] {
  return energyJ === null || uncertaintyJ === null ? ['', ''] : [fmt(energyJ, 1), fmt(uncertaintyJ, 1)];
}

function printReplay(result: ReplayResult): void {
  const rows: string[][] = [];
  for (const run of result.runs) {
    for (const [phase, p] of Object.entries(run.phases)) {
      rows.push([String(run.run), phase, fmt(p.energyJ, 1), fmt(p.uncertaintyJ, 1), ...aloneCells(p.isolatedEnergyJ, p.isolatedUncertaintyJ), '']);
    }
    rows.push([String(run.run), 'unattributed', fmt(run.unattributedEnergyJ, 1), '', '', '', '']);
    if (run.interleavingOverheadJ !== null) {
      const sharePct = (run.interleavingOverheadJ / run.totalEnergyJ) * 100;
      rows.push([
        String(run.run),
        `interleaving (${fmt(sharePct, 1)}%)`,
        '',
        '',
        ...aloneCells(run.interleavingOverheadJ, run.interleavingOverheadUncertaintyJ),
        '',
      ]);
    }
    const offPct = ((run.totalEnergyJ - run.recordedCounterJ) / run.recordedCounterJ) * 100;
    rows.push([
      String(run.run),
      'total',
      fmt(run.totalEnergyJ, 1),
      fmt(run.totalUncertaintyJ, 1),
      '',
      '',
      `${fmt(run.recordedCounterJ, 1)} (${fmt(offPct, 2)}%)`,
    ]);
  }
  process.stdout.write(`${result.recording}: ${result.runs.length} runs replayed\n`);
  process.stdout.write(table(['run', 'phase', 'in situ J', '+- J', 'alone J', '+- J', 'recorded counter J'], rows) + '\n');
  for (const [phase, a] of Object.entries(result.alone)) {
    process.stdout.write(
      `${phase} alone: ${fmt(a.powerW, 1)} +- ${fmt(a.uncertaintyW, 1)} W over ${a.scopes} blocks (${fmt(a.durationS, 2)} s, ${fmt(a.energyJ, 1)} J)\n`,
    );
  }
  const d = result.driverSamples;
  const seenMs = d.medianIntervalMs === null ? 'n/a' : `${fmt(d.medianIntervalMs, 1)} ms`;
  process.stdout.write(`driver power samples: ${d.seen} seen, one every ${seenMs} (median; recorded ${fmt(d.recordedMedianIntervalMs, 1)} ms)\n`);
}

export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { json: { type: 'boolean' }, name: { type: 'string' }, hz: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (values.help) {
    process.stdout.write(replayHelp + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give one recording directory: wattscope replay DIR');
  const prefix = prefixOf(positionals[0]!, str(values, 'name'));
  const sampleHz = positiveNumber(str(values, 'hz'), 'hz', 1000);
  const result = await replayRecording(prefix, { sampleHz, log: values.json ? undefined : (line) => process.stderr.write(`wattscope: ${line}\n`) });
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
  else printReplay(result);
  return 0;
}
