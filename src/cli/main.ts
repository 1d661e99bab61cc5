#!/usr/bin/env node
/** The `wattscope` command line. Errors print one sentence on stderr and exit 1. */
import { WattscopeError } from '../util/errors.js';
import { devicesCommand, devicesHelp } from './devices.js';
import { measureCommand, measureHelp } from './measure.js';
import { demoCommand, demoHelp } from './demo.js';
import { runCommand, runHelp } from './run.js';
import { scoreCommand, scoreHelp } from './score.js';
import { classCommand, classHelp } from './model-class.js';
import { labelCommand, labelHelp } from './label.js';
import { impactCommand, impactHelp } from './impact.js';
import { reportCommand, reportHelp } from './report.js';
import { watchCommand, watchHelp } from './watch.js';
import { batchCommand, batchHelp } from './batch.js';
import { exporterCommand, exporterHelp } from './exporter.js';
import { compareCommand, compareHelp, exportCommand, exportHelp } from './mlenergy.js';
import { nearestName } from './common.js';
import { replayCommand, replayHelp } from './replay.js';
import { VERSION } from '../util/version.js';

type Command = { run: (argv: string[]) => number | Promise<number>; help: string };

const commands: Record<string, Command> = {
  devices: { run: devicesCommand, help: devicesHelp },
  watch: { run: watchCommand, help: watchHelp },
  exporter: { run: exporterCommand, help: exporterHelp },
  measure: { run: measureCommand, help: measureHelp },
  run: { run: runCommand, help: runHelp },
  batch: { run: batchCommand, help: batchHelp },
  demo: { run: demoCommand, help: demoHelp },
  score: { run: scoreCommand, help: scoreHelp },
  class: { run: classCommand, help: classHelp },
  label: { run: labelCommand, help: labelHelp },
  impact: { run: impactCommand, help: impactHelp },
  report: { run: reportCommand, help: reportHelp },
  export: { run: exportCommand, help: exportHelp },
  compare: { run: compareCommand, help: compareHelp },
  replay: { run: replayCommand, help: replayHelp },
};

function usage(): string {
  return ['wattscope: GPU energy of AI inference, measured through NVML', '', 'commands:']
    .concat(Object.values(commands).map((c) => '  ' + c.help.split('\n')[0]))
    .join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`wattscope ${VERSION}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    const nearest = nearestName(name, Object.keys(commands));
    process.stderr.write(`wattscope: unknown command "${name}"${nearest ? ` (did you mean ${nearest}?)` : ''}\n${usage()}\n`);
    return 1;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof WattscopeError) {
      const help = err.code === 'WATTSCOPE_INVALID_ARGUMENT' ? `; wattscope ${name} --help lists its options` : '';
      process.stderr.write(`wattscope: ${err.message}${help}\n`);
      if (process.env.WATTSCOPE_DEBUG) process.stderr.write(String(err.stack) + '\n');
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`wattscope: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
