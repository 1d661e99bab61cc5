/** `wattscope run [config.json] [--endpoint URL --model M ...]`: a benchmark from a config file and/or flags. */
import { WattscopeError } from '../util/errors.js';
import { EnergyMonitor } from '../monitor/monitor.js';
import { parseReasoningState, reasoningLabel } from '../server/reasoning.js';
import { runBenchmark, type BenchmarkHandler, type BenchmarkOptions } from '../runner/runner.js';
import type { RunConfig } from '../runner/config.js';
import type { WattscopeReport } from '../formats/report-types.js';
import { servingRunStats } from '../server/serving.js';
import { writeReportPage } from '../report/write.js';
import { progressHooks } from './progress-bar.js';
import { printBenchmark } from './benchmark-output.js';
import { exitUnscored, onStopSignals, parse, STOPPED_STATUS, str } from './common.js';
import { configFrom, handlerFrom, handlerIdentityOf, workloadOf } from './run-config.js';
import { printSweep, runSweep } from './sweep.js';

export const runHelp = `wattscope run [config.json] [--endpoint URL --model NAME] [--dataset PATH] [--task T] [--out DIR]
  [--runs N] [--concurrency N | --max-num-seqs N,N,...] [--max-new-tokens N] [--free-length] [--api chat|completions] [--reasoning STATE]
  [--class A|B|C] [--simulate] [--format F] [--method M] [--json] [--fresh]
  Runs a benchmark: a config file (dataset, handler: a module, an endpoint or {"llama": {"modelPath": …}},
  runs, phases, output directory),
  or an OpenAI-compatible endpoint given by flags. Ctrl-C stops cleanly and writes what was measured.
  --reasoning: a reasoning model's state, Off, On or On (Low|Medium|High) (off: 10 new tokens; on: up to 8,192).
  --class: the model's class, for the leaderboard comparability check (A and B run on one GPU there).
  --max-num-seqs: a sweep over the requests in flight at once (the ML.ENERGY Benchmark's batch sizes):
  one benchmark each in DIR/max_num_seqs-N, then DIR/sweep.json and DIR/sweep.html (J/token against ITL).
  --free-length: answers of the model's own length, up to --max-new-tokens (default 1,024), not 10 forced.
  --format: the AI Energy Score report format, optimum, ai-energy-benchmarks or both (default; the
  ai_energy_benchmarks files then go to DIR/ai_energy_benchmarks/).
  --method: what the AI Energy Score files hold: in-situ (default: each phase measured in place) or
  separate-passes (the AI Energy Score's own: before each run, a pass ending each query after
  preprocess, then one after prefill; each phase is its pass less the one before).`;

const RUN_FLAGS = {
  json: { type: 'boolean' },
  fresh: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  simulate: { type: 'boolean' },
  endpoint: { type: 'string' },
  model: { type: 'string' },
  dataset: { type: 'string' },
  task: { type: 'string' },
  out: { type: 'string' },
  runs: { type: 'string' },
  concurrency: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  'max-num-seqs': { type: 'string' },
  'free-length': { type: 'boolean' },
  api: { type: 'string' },
  format: { type: 'string' },
  method: { type: 'string' },
  class: { type: 'string' },
  reasoning: { type: 'string' },
} as const;

/** What every benchmark of one `run` shares: the handler, the monitor, Ctrl-C, resume and progress. */
interface BenchmarkShared {
  handler: BenchmarkHandler;
  monitor: EnergyMonitor;
  signal: AbortSignal;
  fresh: boolean;
  onProgress: BenchmarkOptions['onProgress'];
}

/** One benchmark of the config (a sweep runs one per max_num_seqs). */
function benchmarkOnce(config: RunConfig, shared: BenchmarkShared): Promise<WattscopeReport> {
  return runBenchmark({
    dataset: config.dataset,
    handler: shared.handler,
    handlerIdentity: handlerIdentityOf(config),
    // A streamed request's prefill cannot be run again alone: no calibration, and the report says so.
    ...('endpoint' in config.handler ? { runStats: servingRunStats, calibration: false as const } : {}),
    runs: config.runs,
    warmup: config.warmup,
    phases: 'endpoint' in config.handler ? ['prefill', 'decode'] : config.phases,
    outDir: config.outDir,
    ...(config.task ? { task: config.task } : {}),
    ...(config.model ? { model: config.model } : {}),
    workload: workloadOf(config),
    monitor: shared.monitor,
    concurrency: config.concurrency,
    signal: shared.signal,
    randomDelayMaxS: config.randomDelayMaxS,
    ...(config.cooldown ? { cooldown: config.cooldown } : {}),
    idleMeasureS: config.idleMeasureS,
    subtractIdle: config.subtractIdle,
    excludeUnstable: config.excludeUnstable,
    resume: shared.fresh ? 'never' : 'auto',
    reportFormat: config.reportFormat,
    scoreMethod: config.scoreMethod,
    ...('endpoint' in config.handler && config.handler.reasoning !== undefined
      ? { reasoning: reasoningLabel(parseReasoningState(config.handler.reasoning)) }
      : {}),
    ...(config.modelClass ? { modelClass: config.modelClass } : {}),
    ...(config.nodes ? { nodes: config.nodes } : {}),
    ...(shared.onProgress ? { onProgress: shared.onProgress } : {}),
    log: (line) => process.stderr.write(`wattscope: ${line}\n`),
  });
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, RUN_FLAGS, true);
  if (values.help) {
    process.stdout.write(runHelp + '\n');
    return 0;
  }
  if (positionals.length > 1) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give at most one config file: wattscope run [config.json]');
  if (positionals.length === 0 && !str(values, 'endpoint'))
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give a config file, or --endpoint URL --model NAME --dataset PATH --out DIR');
  const config = configFrom(values, positionals[0]);
  const where = positionals[0] ?? 'flags';
  const handler = await handlerFrom(config, where);
  const stop = new AbortController();
  let stoppedBy: 'SIGINT' | 'SIGTERM' = 'SIGINT';
  const stopListening = onStopSignals((signal) => {
    stoppedBy = signal;
    process.stderr.write(`\nwattscope: stopping (${signal}): aborting the requests in flight and writing what was measured\n`);
    stop.abort();
  });
  const monitor = await EnergyMonitor.open({
    simulate: config.simulate,
    gpus: config.gpus,
    sampleHz: config.sampleHz,
    powerResponseMs: config.powerResponseMs,
    cpu: config.cpu,
    ...(config.cpuEstimate ? { cpuEstimate: config.cpuEstimate } : {}),
  });
  const progress = progressHooks(values.json !== true);
  try {
    const options = { handler, monitor, signal: stop.signal, fresh: values.fresh === true, onProgress: progress.onProgress };
    if (!config.maxNumSeqs) {
      const report = await benchmarkOnce(config, options);
      progress.finish();
      // The library writes data files only; the page is the CLI's.
      writeReportPage(config.outDir);
      printBenchmark(report, config.outDir, values.json === true);
      if (report.status === 'interrupted') return STOPPED_STATUS[stoppedBy];
      return exitUnscored(report.runs, config.outDir);
    }
    const sweep = await runSweep(config, config.maxNumSeqs, (pointConfig) => benchmarkOnce(pointConfig, options), stop.signal);
    progress.finish();
    printSweep(sweep, config.outDir, values.json === true);
    return stop.signal.aborted ? STOPPED_STATUS[stoppedBy] : 0;
  } finally {
    progress.finish();
    stopListening();
    await monitor.close();
    await (handler as { close?: () => Promise<void> }).close?.();
  }
}
