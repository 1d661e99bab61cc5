/** `wattscope demo --out DIR`: the full 10 x 1,000 benchmark of the synthetic workload on the simulated H100. */
import { EnergyMonitor } from '../measure/monitor.js';
import { runBenchmark, type BenchmarkHandler } from '../runner/runner.js';
import { OpenAIStreamClient } from '../server/client.js';
import { startFakeServer } from '../server/fake-server.js';
import { endpointHandler } from '../server/serving.js';
import { syntheticDataset, syntheticHandler } from '../runner/synthetic.js';
import { SimPowerControl } from '../sim/power-control.js';
import { WattscopeError } from '../errors.js';
import { printBenchmark } from './benchmark-output.js';
import { parse, positiveInt, positiveNumber, str } from './common.js';

/** The demo's sampling rate, Hz. */
export const DEMO_SAMPLE_HZ = 5000;

export const demoHelp = `wattscope demo --out DIR [--runs N] [--queries N] [--idle S] [--server] [--json]
  Runs the AI Energy Score benchmark (default 10 runs x 1,000 queries) of a built-in synthetic
  workload whose phases draw known power from the simulated H100, and writes every output into DIR.
  --server: the same against an embedded fake OpenAI-compatible streaming server (prefill, decode).`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    out: { type: 'string' }, runs: { type: 'string' }, queries: { type: 'string' }, idle: { type: 'string' },
    json: { type: 'boolean' }, fresh: { type: 'boolean' }, server: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
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
  // --server: the same benchmark against an embedded fake OpenAI-compatible server on loopback.
  const server = values.server ? await startFakeServer({ power: control, prefillMs: 2, prefillMsPerWord: 0.005, itlMs: 1 }) : null;
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.on('SIGINT', onSigint);
  try {
    const handler = server
      ? (endpointHandler(new OpenAIStreamClient({ endpoint: server.url, model: 'wattscope/fake', api: 'chat', maxNewTokens: 10, minNewTokens: 10, ignoreEos: true, temperature: 0, connectTimeoutMs: 5000, readTimeoutMs: 10000, retries: 2, apiKey: null })) as BenchmarkHandler)
      : syntheticHandler(control);
    const report = await runBenchmark({
      dataset: syntheticDataset(queries), handler, runs, warmup: 10, outDir, signal: stop.signal,
      workload: server ? `fake OpenAI-compatible server ${server.url}` : 'synthetic', task: 'text-generation',
      model: server ? 'wattscope/fake-server' : 'wattscope/synthetic', monitor, idleMeasureS: idleS,
      ...(server ? { phases: ['prefill', 'decode'] } : {}),
      resume: values.fresh ? 'never' : 'auto', progress: values.json ? 'never' : 'auto',
      log: (line) => process.stderr.write(`wattscope: ${line}\n`),
    });
    printBenchmark(report, outDir, values.json === true);
    return report.status === 'interrupted' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    await server?.close();
    await monitor.close();
  }
}
