/** `wattscope run <config.json>`: a benchmark described by a config file. */
import { pathToFileURL } from 'node:url';
import { WattscopeError } from '../errors.js';
import { EnergyMonitor } from '../measure/monitor.js';
import { loadRunConfig } from '../runner/config.js';
import { runBenchmark, type BenchmarkHandler } from '../runner/runner.js';
import { syntheticHandler } from '../runner/synthetic.js';
import { SimPowerControl } from '../sim/power-control.js';
import { printBenchmark } from './benchmark-output.js';
import { parse } from './common.js';

export const runHelp = `wattscope run <config.json> [--json] [--fresh]
  Runs the benchmark a config file describes (dataset, handler module, runs, phases, output directory).`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, fresh: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    process.stdout.write(runHelp + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give one config file: wattscope run <config.json>');
  const config = loadRunConfig(positionals[0]!);
  let handler: BenchmarkHandler;
  let control: SimPowerControl | null = null;
  if ('synthetic' in config.handler) {
    if (!config.simulate) throw new WattscopeError('WATTSCOPE_BAD_CONFIG', `${positionals[0]}: the synthetic handler drives the simulated GPU: set "simulate": true`, { field: 'simulate', file: positionals[0]! });
    control = SimPowerControl.create();
    handler = syntheticHandler(control);
  } else {
    const mod = (await import(pathToFileURL(config.handler.module).href)) as Record<string, unknown>;
    const fn = mod[config.handler.export];
    if (typeof fn !== 'function') {
      throw new WattscopeError('WATTSCOPE_BAD_CONFIG', `${config.handler.module} has no function export "${config.handler.export}"`, { field: 'handler.export', file: positionals[0]! });
    }
    handler = fn as BenchmarkHandler;
  }
  const monitor = await EnergyMonitor.open({ simulate: config.simulate, gpus: config.gpus, sampleHz: config.sampleHz });
  try {
    const report = await runBenchmark({
      dataset: config.dataset, handler, runs: config.runs, warmup: config.warmup, phases: config.phases, outDir: config.outDir,
      ...(config.task ? { task: config.task } : {}), ...(config.model ? { model: config.model } : {}),
      workload: 'synthetic' in config.handler ? 'synthetic' : config.handler.module, monitor,
      randomDelayMaxS: config.randomDelayMaxS, ...(config.cooldown ? { cooldown: config.cooldown } : {}), idleMeasureS: config.idleMeasureS,
      subtractIdle: config.subtractIdle, excludeUnstable: config.excludeUnstable, resume: values.fresh ? 'never' : 'auto',
      progress: values.json ? 'never' : 'auto', log: (line) => process.stderr.write(`wattscope: ${line}\n`),
    });
    printBenchmark(report, config.outDir, values.json === true);
  } finally {
    await monitor.close();
  }
  return 0;
}
