/** `wattscope demo --out DIR`: the full 10 x 1,000 benchmark of the synthetic workload on the simulated H100. */
import { EnergyMonitor } from '../measure/monitor.js';
import { runBenchmark } from '../runner/runner.js';
import { syntheticDataset, syntheticHandler } from '../runner/synthetic.js';
import { SimPowerControl } from '../sim/power-control.js';
import { WattscopeError } from '../errors.js';
import { printBenchmark } from './benchmark-output.js';
import { parse, positiveInt, positiveNumber, str } from './common.js';

/** The demo's sampling rate, Hz. */
export const DEMO_SAMPLE_HZ = 5000;

export const demoHelp = `wattscope demo --out DIR [--runs N] [--queries N] [--idle S] [--json]
  Runs the AI Energy Score benchmark (default 10 runs x 1,000 queries) of a built-in synthetic
  workload whose phases draw known power from the simulated H100, and writes every output into DIR.`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    out: { type: 'string' }, runs: { type: 'string' }, queries: { type: 'string' }, idle: { type: 'string' },
    json: { type: 'boolean' }, fresh: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(demoHelp + '\n');
    return 0;
  }
  const outDir = str(values, 'out');
  if (!outDir) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give an output directory: wattscope demo --out DIR', { field: 'out' });
  const runs = positiveInt(str(values, 'runs'), 'runs', 10);
  const queries = positiveInt(str(values, 'queries'), 'queries', 1000);
  const idleS = positiveNumber(str(values, 'idle'), 'idle', 1);
  // The simulated H100 reads its control file's name when NVML initialises: create it first.
  const control = SimPowerControl.create();
  // 5 kHz: the synthetic phases last 1-2.4 ms, several samples each.
  const monitor = await EnergyMonitor.open({ simulate: true, sampleHz: DEMO_SAMPLE_HZ });
  try {
    const report = await runBenchmark({
      dataset: syntheticDataset(queries), handler: syntheticHandler(control), runs, warmup: 10, outDir,
      workload: 'synthetic', task: 'text-generation', model: 'wattscope/synthetic', monitor, idleMeasureS: idleS,
      resume: values.fresh ? 'never' : 'auto', progress: values.json ? 'never' : 'auto',
      log: (line) => process.stderr.write(`wattscope: ${line}\n`),
    });
    printBenchmark(report, outDir, values.json === true);
  } finally {
    await monitor.close();
  }
  return 0;
}
