/** `wattscope demo --out DIR`: the full 10 x 1,000 benchmark of the synthetic workload on the simulated GPU (profile h200: the H200 as measured). */
import { EnergyMonitor } from '../monitor/monitor.js';
import { runBenchmark, type BenchmarkHandler } from '../runner/runner.js';
import { OpenAIStreamClient } from '../server/client.js';
import { startFakeServer } from '../server/fake-server.js';
import { endpointHandler, servingRunStats } from '../server/serving.js';
import { progressHooks } from './progress-bar.js';
import { syntheticDataset, syntheticHandler } from '../runner/synthetic.js';
import { SimPowerControl } from '../sim/power-control.js';
import { WattscopeError } from '../util/errors.js';
import path from 'node:path';
import { writeReportPage } from '../report/write.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { printBenchmark } from './benchmark-output.js';
import { llamaDemo } from './demo-llama.js';
import { DemoTruth } from './demo-truth.js';
import { responseParamsFromEnv } from '../sim/drawn-power.js';
import {
  choice,
  exitUnscored,
  onStopSignals,
  parse,
  positiveInt,
  positiveNumber,
  REPORT_FORMATS,
  SCORE_METHODS,
  STOPPED_STATUS,
  str,
  type Flags,
} from './common.js';

/** The demo's sampling rate, Hz. */
export const DEMO_SAMPLE_HZ = 5000;

export const demoHelp = `wattscope demo --out DIR [--runs N] [--queries N] [--idle S] [--sensor h200|h100|ideal] [--counter true|windowed] [--server | --engine llama] [--format F] [--method M] [--calibration on|off] [--json]
  Runs the AI Energy Score benchmark (default 10 runs x 1,000 queries) of a built-in synthetic
  workload whose phases ask known power of the simulated GPU, and writes every output into DIR,
  with the simulator's true energy beside each estimate.
  --sensor: the simulated GPU's profile: h200 (default: the H200 as measured, its power 9 ms late
  with a 3 ms response and a boost, its counter read 3 ms; the truth is the energy it drew during
  each phase), h100 (the H100 as published: refreshed every 100 ms, 25 ms windows) or ideal.
  --counter: what the simulated energy counter integrates, true (default) or windowed (the sampled windows only).
  --server: the same against an embedded fake OpenAI-compatible streaming server (prefill, decode).
  --engine llama: the same run by node-llama-cpp on the CPU with a tiny random-weight GGUF model it
  writes (default 3 runs x 50 queries; the simulated GPU draws its idle power over the real phases).
  --format: the AI Energy Score report format, optimum, ai-energy-benchmarks or both (default; the
  ai_energy_benchmarks files then go to DIR/ai_energy_benchmarks/).
  --method: what the AI Energy Score files hold: separate-passes (the synthetic workload's default:
  the AI Energy Score's own passes, before each run a pass ending each query after preprocess, then
  one after prefill; each phase its pass less the one before) or in-situ (each phase's scopes; the
  default of --server and --engine llama). The simulator's truth of each is shown beside it.
  --calibration: off skips the synthetic workload's calibration pass (no phase alone; on a coarse
  sensor such as h100's the phases' split is then flagged uncalibrated).`;

const SENSORS = ['h200', 'h100', 'ideal'];
const COUNTERS = ['true', 'windowed'];
const ENGINES = ['synthetic', 'llama'];
const CALIBRATION = ['on', 'off'];

/** The endpoint handler for the embedded fake server: chat, 10 new tokens exactly, temperature 0. */
function fakeServerHandler(url: string): BenchmarkHandler {
  const client = new OpenAIStreamClient({
    endpoint: url,
    model: 'wattscope/fake',
    api: 'chat',
    maxNewTokens: 10,
    minNewTokens: 10,
    ignoreEos: true,
    temperature: 0,
    connectTimeoutMs: 5000,
    readTimeoutMs: 10000,
    retries: 2,
    apiKey: null,
  });
  return endpointHandler(client) as BenchmarkHandler;
}

const DEMO_FLAGS = {
  out: { type: 'string' },
  runs: { type: 'string' },
  queries: { type: 'string' },
  idle: { type: 'string' },
  json: { type: 'boolean' },
  fresh: { type: 'boolean' },
  server: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  sensor: { type: 'string' },
  counter: { type: 'string' },
  format: { type: 'string' },
  method: { type: 'string' },
  calibration: { type: 'string' },
  engine: { type: 'string' },
} as const;

/** The demo's run settings from its flags, each checked (a bad one is a typed error naming the flag). */
function demoSettings(values: Flags) {
  const outDir = str(values, 'out');
  if (!outDir) throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give an output directory: wattscope demo --out DIR', { field: 'out' });
  const engine = choice(str(values, 'engine'), ENGINES, 'engine') ?? 'synthetic';
  if (engine === 'llama' && values.server)
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'give --server or --engine llama, not both', { field: 'engine' });
  return {
    outDir,
    engine,
    runs: positiveInt(str(values, 'runs'), 'runs', engine === 'llama' ? 3 : 10),
    queries: positiveInt(str(values, 'queries'), 'queries', engine === 'llama' ? 50 : 1000),
    idleS: positiveNumber(str(values, 'idle'), 'idle', 1),
    calibrate: (choice(str(values, 'calibration'), CALIBRATION, 'calibration') ?? 'on') === 'on',
  };
}

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, DEMO_FLAGS);
  if (values.help) {
    process.stdout.write(demoHelp + '\n');
    return 0;
  }
  const { outDir, engine, runs, queries, idleS, calibrate } = demoSettings(values);
  // The simulated GPU reads its configuration and control file's name when NVML initialises.
  const sensor = choice(str(values, 'sensor') ?? process.env.WATTSCOPE_SIM_SENSOR, SENSORS, 'sensor') ?? 'h200';
  const counter = choice(str(values, 'counter'), COUNTERS, 'counter') ?? process.env.WATTSCOPE_SIM_COUNTER ?? 'true';
  process.env.WATTSCOPE_SIM_SENSOR = sensor;
  process.env.WATTSCOPE_SIM_COUNTER = counter;
  const control = SimPowerControl.create();
  // The work's power between queries: the simulated GPU's idle (h200: with a CUDA context).
  const idleW = sensor === 'h200' ? responseParamsFromEnv().idleW : Number(process.env.WATTSCOPE_SIM_IDLE_W ?? 70);
  const truth = new DemoTruth(idleW);
  // 5 kHz: the synthetic phases last 1-2.4 ms, several samples each.
  const monitor = await EnergyMonitor.open({ simulate: true, sampleHz: DEMO_SAMPLE_HZ, onMeasurement: truth.onMeasurement });
  // --server: the same benchmark against an embedded fake OpenAI-compatible server on loopback.
  const server = values.server ? await startFakeServer({ power: control, prefillMs: 2, prefillMsPerWord: 0.005, itlMs: 1 }) : null;
  const stop = new AbortController();
  let stoppedBy: 'SIGINT' | 'SIGTERM' = 'SIGINT';
  const stopListening = onStopSignals((signal) => {
    stoppedBy = signal;
    stop.abort();
  });
  const llama = engine === 'llama' ? await llamaDemo() : null;
  try {
    const handler = server ? fakeServerHandler(server.url) : (llama?.handler ?? syntheticHandler(control, idleW));
    const progress = progressHooks(values.json !== true);
    const report = await runBenchmark({
      dataset: syntheticDataset(queries),
      handler,
      runs,
      warmup: 10,
      outDir,
      signal: stop.signal,
      workload: server ? `fake OpenAI-compatible server ${server.url}` : llama ? `node-llama-cpp ${path.basename(llama.modelFile)} (CPU)` : 'synthetic',
      task: 'text-generation',
      model: server ? 'wattscope/fake-server' : llama ? 'wattscope/tiny-llama' : 'wattscope/synthetic',
      monitor,
      idleMeasureS: idleS,
      // The synthetic phases can be called again: calibrate them. A streamed request's prefill and
      // node-llama-cpp's (its context holds the tokens evaluated so far) cannot be run again alone.
      ...(server
        ? { phases: ['prefill', 'decode'], runStats: servingRunStats, calibration: false as const }
        : { calibration: llama || !calibrate ? (false as const) : {} }),
      resume: values.fresh ? 'never' : 'auto',
      reportFormat: choice(str(values, 'format'), REPORT_FORMATS, 'format') ?? 'both',
      // The synthetic queries can stop after any phase: the AI Energy Score's own passes by default.
      scoreMethod: choice(str(values, 'method'), SCORE_METHODS, 'method') ?? (server || llama ? 'in-situ' : 'separate-passes'),
      onRun: (_report, run) => truth.endRun(run.index),
      onProgress: progress.onProgress,
      log: (line) => process.stderr.write(`wattscope: ${line}\n`),
    });
    progress.finish();
    // The truth is known for the runs this process measured: all of them unless it resumed.
    const resumed = report.notes.some((n) => n.startsWith('resumed after'));
    if (!server && !llama && !resumed && report.runs.length > 0) {
      report.simulatedTruth = truth.summarize(report, control.file, sensor, counter);
      writeJsonAtomic(path.join(outDir, 'wattscope-report.json'), report);
    }
    // The library writes data files only; the page is the CLI's.
    writeReportPage(outDir);
    printBenchmark(report, outDir, values.json === true);
    if (report.status === 'interrupted') return STOPPED_STATUS[stoppedBy];
    return exitUnscored(report.runs, outDir);
  } finally {
    stopListening();
    await server?.close();
    await monitor.close();
    await llama?.close();
  }
}
