// One benchmark case per process: `node bench/cases.js <case> [--quick]` prints a JSON array of
// { name, unit, value, baseline, ratio } rows. Every figure has a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exporterCases } from './exporter-cases.js';
import { llamaCases } from './llama-cases.js';
import { samplerCases } from './sampler-cases.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'index.js');
const quick = process.argv.includes('--quick');
const { EnergyMonitor, NvmlSession } = await import(dist);
const { loadBinding } = await import(path.join(root, 'dist', 'native', 'binding.js'));
const { PowerTimeline } = await import(path.join(root, 'dist', 'timeline', 'timeline.js'));
/** The benchmarks' own addon (bench/native, built by bench/run.js): readEnergyLoop, wakeFloor. */
const benchAddon = () => createRequire(import.meta.url)(path.join(root, 'bench', 'native', 'build', 'Release', 'wattscope_bench.node'));

const now = () => process.hrtime.bigint();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const row = (name, unit, value, baseline) => ({ name, unit, value, baseline, ratio: baseline > 0 ? value / baseline : null });

/** ns per iteration of fn, median over rounds. */
function timeSync(fn, iterations, rounds = quick ? 3 : 7) {
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let i = 0; i < iterations; i++) fn();
    out.push(Number(now() - t0) / iterations);
  }
  return median(out);
}

async function timeAsync(fn, iterations, rounds = quick ? 3 : 7) {
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let i = 0; i < iterations; i++) await fn();
    out.push(Number(now() - t0) / iterations);
  }
  return median(out);
}

const N = quick ? 20_000 : 200_000;

/** 1,000 queries x 3 empty phases, then the run summary's CPU time. */
async function queryRun(suffix) {
  const m = await EnergyMonitor.open({ simulate: true, retentionS: 30 });
  const queries = 1000;
  const plain = async () => {
    for (let q = 0; q < queries; q++) {
      await (async () => {
        await (async () => undefined)();
        await (async () => undefined)();
        await (async () => undefined)();
      })();
    }
  };
  let finishCpuMs = [];
  const measured = async () => {
    const run = m.startRun();
    for (let q = 0; q < queries; q++) {
      await m.query(q, async (ctx) => {
        await ctx.phase('preprocess', () => undefined);
        await ctx.phase('prefill', () => undefined);
        await ctx.phase('decode', () => undefined);
      });
    }
    return run;
  };
  const base = await timeAsync(plain, 1, quick ? 2 : 5);
  const loops = [];
  for (let r = 0; r < (quick ? 2 : 5); r++) {
    const t0 = now();
    const run = await measured();
    loops.push(Number(now() - t0) / 1e6);
    // The summary waits for the counter's next update (up to ~0.1 s); count only its CPU time.
    const u0 = process.cpuUsage();
    await run.finish();
    const u = process.cpuUsage(u0);
    finishCpuMs.push((u.user + u.system) / 1000);
  }
  await m.close();
  return [
    row(`1,000 queries x 3 empty phases: the query loop${suffix}`, 'ms', median(loops), base / 1e6),
    row(`... then the settled run summary (CPU time, not the wait for the counter)${suffix}`, 'ms', median(finishCpuMs), base / 1e6),
  ];
}

const cases = {
  ...samplerCases({ EnergyMonitor, benchAddon, quick, now, sleep, row }),
  ...exporterCases({ root, quick, timeAsync, timeSync, row }),
  ...llamaCases({ root, quick, now, row }),
  async 'addon-query'() {
    const b = loadBinding();
    const s = NvmlSession.open({ simulate: true });
    const h = s.handle;
    const native = median(Array.from({ length: quick ? 3 : 7 }, () => benchAddon().readEnergyLoop(s.library.path, 0, N) / N));
    const addon = timeSync(() => b.readEnergyMj(h, 0), N);
    const bench = benchAddon();
    const empty = timeSync(() => bench.emptyCall(), N);
    s.close();
    return [
      row('energy counter read through the addon', 'ns/call', addon, native),
      row('empty N-API call (the floor of any addon call)', 'ns/call', empty, native),
    ];
  },
  async scopes() {
    const b = loadBinding();
    const m = await EnergyMonitor.open({ simulate: true, retentionS: 30 });
    const s = NvmlSession.open({ simulate: true });
    const twoReads = timeSync(() => {
      b.readEnergyMj(s.handle, 0);
      b.readEnergyMj(s.handle, 0);
    }, N / 4);
    const beginEnd = timeSync(() => m.begin('x').end(), N / 4);
    const syncFn = () => undefined;
    const asyncFn = async () => undefined;
    const baseSync = await timeAsync(async () => syncFn(), N / 4);
    const measSync = await timeAsync(() => m.measure('x', syncFn, { settle: false }), N / 4);
    const baseAsync = await timeAsync(() => asyncFn(), N / 4);
    const measAsync = await timeAsync(() => m.measure('x', asyncFn, { settle: false }), N / 4);
    s.close();
    await m.close();
    return [
      row('scope begin+end (vs two counter reads)', 'ns', beginEnd, twoReads),
      row('measure() around an empty sync function (target: at most 3 us)', 'ns', measSync, baseSync),
      row('measure() around an empty async function (target: at most 3 us)', 'ns', measAsync, baseAsync),
    ];
  },
  // A monitor opened with ifUnavailable: 'noop' on a machine without a GPU (NVML pointed nowhere):
  // what wrapping production code in scopes costs there, against calling the code directly.
  async noop() {
    process.env.WATTSCOPE_NVML_LIBRARY = '/nonexistent/libnvidia-ml.so.1';
    const m = await EnergyMonitor.open({ ifUnavailable: 'noop' });
    const syncFn = () => undefined;
    const asyncFn = async () => undefined;
    const baseSync = await timeAsync(async () => syncFn(), N / 4);
    const measSync = await timeAsync(() => m.measure('x', syncFn), N / 4);
    const baseAsync = await timeAsync(() => asyncFn(), N / 4);
    const queryAsync = await timeAsync(
      () =>
        m.query('q', async (q) => {
          await q.phase('prefill', asyncFn);
          await q.phase('decode', asyncFn);
        }),
      N / 8,
    );
    const base3 = await timeAsync(async () => {
      await asyncFn();
      await asyncFn();
      await asyncFn();
    }, N / 8);
    const measAsync = await timeAsync(() => m.measure('x', asyncFn), N / 4);
    await m.close();
    return [
      row("no GPU (ifUnavailable: 'noop'): measure() around an empty sync function (vs calling it)", 'ns', measSync, baseSync),
      row("no GPU (ifUnavailable: 'noop'): a query of two empty async phases (vs three plain awaits)", 'ns', queryAsync, base3),
      row("no GPU (ifUnavailable: 'noop'): measure() around an empty async function, for scale (vs calling it)", 'ns', measAsync, baseAsync),
    ];
  },
  // The simulated H100's default sensor is coarse (the H100 profile): the run summary re-evaluates
  // every boundary with the phase powers learnt by regression. 'query-run-ideal' is the same run on
  // the ideal sensor (the estimator as it was before the H100 profile), for comparison.
  async 'query-run'() {
    return queryRun('');
  },
  async 'query-run-ideal'() {
    process.env.WATTSCOPE_SIM_SENSOR = 'ideal';
    return queryRun(' (ideal sensor)');
  },
  async 'event-loop'() {
    const windowMs = quick ? 1000 : 4000;
    const measureDelay = async () => {
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      const end = Date.now() + windowMs;
      while (Date.now() < end) await new Promise((r) => setTimeout(r, 1));
      h.disable();
      return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6 };
    };
    const off = await measureDelay();
    const m = await EnergyMonitor.open({ simulate: true, sampleHz: 1000 });
    const on = await measureDelay();
    await m.close();
    return [
      row('event-loop delay p50, sampler at 1 kHz (vs off)', 'ms', on.p50, off.p50),
      row('event-loop delay p99, sampler at 1 kHz (vs off)', 'ms', on.p99, off.p99),
    ];
  },
  async 'cold-open'() {
    const runs = quick ? 3 : 7;
    const child = (code) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      return Number(r.stdout.trim());
    };
    const open = median(
      Array.from({ length: runs }, () =>
        child(
          `const t0 = performance.now(); const m = await import(${JSON.stringify(dist)}); const mon = await m.EnergyMonitor.open({ simulate: true }); console.log(performance.now() - t0); await mon.close();`,
        ),
      ),
    );
    const base = median(
      Array.from({ length: runs }, () => child(`const t0 = performance.now(); await import('node:child_process'); console.log(performance.now() - t0);`)),
    );
    return [row('cold import + EnergyMonitor.open() (vs a core-module import; target: at most 50 ms)', 'ms', open, base)];
  },
  async 'memory-hour'() {
    // An hour at 1 kHz on 8 GPUs, fed to the timelines as the sampler would (batches of 20 ms).
    const hz = 1000;
    const seconds = quick ? 300 : 3600;
    const retentionS = 120;
    const gpus = 8;
    const origin = now();
    const tls = Array.from({ length: gpus }, (_, g) => new PowerTimeline(g, origin, true, hz, retentionS));
    const batch = 20;
    const t = new BigInt64Array(batch);
    const e = new Float64Array(batch);
    const p = new Float64Array(batch);
    const ok = new Int32Array(batch);
    let energyMj = 1e8;
    let maxBytes = 0;
    for (let i = 0; i < seconds * hz; i += batch) {
      for (let k = 0; k < batch; k++) {
        const ms = i + k;
        t[k] = origin + BigInt(ms) * 1_000_000n;
        p[k] = (ms % 50 < 25 ? 600 : 150) * 1000;
        energyMj += p[k] / 1e6;
        e[k] = Math.floor(energyMj / 1e5) * 1e5; // 100 ms steps
      }
      for (const tl of tls) {
        tl.markBoundary(Number(t[0] - origin), 'decode');
        tl.append(t, e, p, ok, ok);
      }
      if (i % 60_000 === 0)
        maxBytes = Math.max(
          maxBytes,
          tls.reduce((s, tl) => s + tl.bytes, 0),
        );
    }
    maxBytes = Math.max(
      maxBytes,
      tls.reduce((s, tl) => s + tl.bytes, 0),
    );
    // The bound: per GPU, 6 columns of 8 B (5 sample columns, plus boundaries and anchors) of the
    // next power of two above retentionS x hz samples plus a batch.
    const boundBytes = gpus * 6 * 8 * 2 ** Math.ceil(Math.log2(retentionS * hz + 4096));
    return [row(`memory held by ${seconds / 3600} h of 1 kHz sampling on 8 GPUs (vs the stated bound)`, 'MB', maxBytes / 1e6, boundBytes / 1e6)];
  },
  async 'python-anchor'() {
    const r = spawnSync('python3', ['-c', 'import pynvml; pynvml.nvmlInit(); print("ok")'], { encoding: 'utf8' });
    if (r.status !== 0)
      return [
        {
          name: 'pynvml energy-counter read (Python anchor)',
          unit: 'ns/call',
          value: null,
          baseline: null,
          ratio: null,
          skipped: 'needs python3 with nvidia-ml-py and a real NVIDIA driver; neither is on this machine',
        },
      ];
    const py = spawnSync(
      'python3',
      [
        '-c',
        'import pynvml,time\npynvml.nvmlInit()\nh=pynvml.nvmlDeviceGetHandleByIndex(0)\nn=20000\nt=time.perf_counter_ns()\nfor _ in range(n): pynvml.nvmlDeviceGetTotalEnergyConsumption(h)\nprint((time.perf_counter_ns()-t)/n)',
      ],
      { encoding: 'utf8' },
    );
    const b = loadBinding();
    const s = NvmlSession.open();
    const addon = timeSync(() => b.readEnergyMj(s.handle, 0), 20_000);
    s.close();
    return [row('energy counter read: wattscope addon vs pynvml on the same GPU', 'ns/call', addon, Number(py.stdout.trim()))];
  },
};

const name = process.argv[2];
if (!cases[name]) {
  console.error(`unknown case ${name}; cases: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(await cases[name]()) + '\n');
