/** Lifetimes: worker_threads (context-aware addon), exit with things left open, several instances. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { packageRoot, simulatedNvmlPath } from '../src/native/binding.js';
import { configureSim } from './helpers/sim.js';

// Plain CommonJS run in workers and child processes: loads the addon the way the package does.
const script = (body: string) => `
const binding = require('node-gyp-build')(${JSON.stringify(packageRoot)});
const lib = ${JSON.stringify(simulatedNvmlPath())};
${body}`;

/** A fresh simulator lifecycle log (WATTSCOPE_SIM_LIFECYCLE_LOG), set for this process and its children. */
function lifecycleLog(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-lifecycle-')), 'lifecycle.log');
  process.env.WATTSCOPE_SIM_LIFECYCLE_LOG = file;
  return file;
}

const readLog = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);

function runWorker(body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const w = new Worker(script(body), { eval: true });
    let message: unknown;
    w.on('message', (m) => (message = m));
    w.on('error', reject);
    w.on('exit', (code) => (code === 0 ? resolve(message) : reject(new Error(`worker exit ${code}`))));
  });
}

describe('lifecycle', () => {
  it('loads and samples in several worker_threads at once, each with its own state', async () => {
    configureSim({ devices: 2 });
    const body = `
      const { parentPort } = require('node:worker_threads');
      const h = binding.open(lib);
      const s = binding.samplerStart(h, [0, 1], 1000, 4096);
      const t = Date.now(); while (Date.now() - t < 100) {}
      const batches = binding.samplerDrain(s.handle);
      binding.samplerStop(s.handle);
      binding.close(h);
      parentPort.postMessage({ n: batches[0].tNs.length, count: batches.length });`;
    const results = await Promise.all([runWorker(body), runWorker(body), runWorker(body)]);
    for (const r of results as Array<{ n: number; count: number }>) {
      expect(r.count).toBe(2);
      expect(r.n).toBeGreaterThan(30);
    }
  });

  it('a worker that exits with a session and a running sampler left open: the sampler stops, then NVML shuts down', async () => {
    configureSim();
    const log = lifecycleLog();
    const body = `
      const { parentPort } = require('node:worker_threads');
      const h = binding.open(lib);
      binding.samplerStart(h, [0], 2000, 4096);
      parentPort.postMessage(binding.handleCounts());
      // no close, no stop: the env cleanup hook must stop the thread and shut NVML down`;
    await expect(runWorker(body)).resolves.toEqual({ openSessions: 1, runningSamplers: 1, entries: 2 });
    // A sampler still polling after the shutdown would query an uninitialised NVML: the log would say so.
    await new Promise((r) => setTimeout(r, 100));
    expect(readLog(log)).toEqual(['init 1', 'shutdown 0']);
  });

  it('a process exits promptly and cleanly with a sampler left running', () => {
    configureSim();
    const log = lifecycleLog();
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        script(`
      const h = binding.open(lib);
      binding.samplerStart(h, [0], 1000, 4096);
      console.log('started');`),
      ],
      { encoding: 'utf8', env: process.env, timeout: 20_000 },
    );
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('started');
    expect(r.stderr).toBe('');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readLog(log)).toEqual(['init 1', 'shutdown 0']);
  });

  it('garbage-collected handles do not crash (finalizers after close and without close)', () => {
    configureSim();
    const r = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '-e',
        script(`
      for (let i = 0; i < 50; i++) {
        const h = binding.open(lib);
        const s = binding.samplerStart(h, [0], 500, 64);
        if (i % 2) { binding.samplerStop(s.handle); binding.close(h); }
      }
      global.gc(); global.gc();
      console.log('ok');`),
      ],
      { encoding: 'utf8', env: process.env, timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    expect(r.status).toBe(0);
  });

  it('handles are type-tagged: a sampler handle where a session is expected (and the reverse) is refused, not reinterpreted', async () => {
    configureSim();
    const result = await runWorker(`
      const { parentPort } = require('node:worker_threads');
      const codeOf = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.code; } };
      const h = binding.open(lib);
      const s = binding.samplerStart(h, [0], 200, 64);
      const refused = [
        codeOf(() => binding.deviceCount(s.handle)),
        codeOf(() => binding.samplerDrain(h)),
        codeOf(() => binding.samplerStop(h)),
        codeOf(() => binding.close(s.handle)),
        codeOf(() => binding.samplerStart(s.handle, [0], 100, 64)),
      ];
      const still = binding.handleCounts();
      binding.samplerStop(s.handle);
      binding.close(h);
      parentPort.postMessage({ refused, still, after: binding.handleCounts() });`);
    expect(result).toEqual({
      refused: Array(5).fill('WATTSCOPE_INVALID_HANDLE'),
      still: { openSessions: 1, runningSamplers: 1, entries: 2 },
      after: { openSessions: 0, runningSamplers: 0, entries: 2 },
    });
  });

  it('samplerStart checks every argument before a thread starts', async () => {
    configureSim();
    const result = await runWorker(`
      const { parentPort } = require('node:worker_threads');
      const h = binding.open(lib);
      const bad = [[['0'], 100, 64], [[-1], 100, 64], [[1.5], 100, 64], [[], 100, 64], [[0], NaN, 64], [[0], 0, 64],
        [[0], Infinity, 64], [[0], 100, 0], [[0], 100, 2.5]];
      const codes = bad.map(([indices, hz, capacity]) => { try { binding.samplerStart(h, indices, hz, capacity); return 'started'; } catch (e) { return e.code; } });
      parentPort.postMessage({ codes, counts: binding.handleCounts() });
      binding.close(h);`);
    expect(result).toEqual({ codes: Array(9).fill('WATTSCOPE_INVALID_ARGUMENT'), counts: { openSessions: 1, runningSamplers: 0, entries: 1 } });
  });

  it('stopping a 1 Hz sampler does not wait out its period (the thread is woken)', async () => {
    configureSim();
    const stopMs = (await runWorker(`
      const { parentPort } = require('node:worker_threads');
      const h = binding.open(lib);
      const s = binding.samplerStart(h, [0], 1, 64);
      setTimeout(() => {
        const t = process.hrtime.bigint();
        binding.samplerStop(s.handle);
        parentPort.postMessage(Number(process.hrtime.bigint() - t) / 1e6);
        binding.close(h);
      }, 50);`)) as number;
    // Before, a stop waited for the next tick: up to a whole second at 1 Hz.
    expect(stopMs).toBeLessThan(250);
  });

  it('closed handles leave the cleanup list (it does not only grow)', () => {
    configureSim();
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        script(`
      (async () => {
        for (let i = 0; i < 200; i++) {
          const h = binding.open(lib);
          binding.samplerStop(binding.samplerStart(h, [0], 100, 16).handle);
          binding.close(h);
        }
        const last = binding.open(lib);
        console.log(JSON.stringify(binding.handleCounts()));
        binding.close(last);
      })();`),
      ],
      { encoding: 'utf8', env: process.env, timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    const counts = JSON.parse(r.stdout) as { openSessions: number; runningSamplers: number; entries: number };
    expect(counts.openSessions).toBe(1);
    expect(counts.runningSamplers).toBe(0);
    // 400 handles were made, all closed: only the open session's entry remains (without pruning, 401).
    expect(counts.entries).toBe(1);
  });
});
