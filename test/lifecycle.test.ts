/** Lifetimes: worker_threads (context-aware addon), exit with things left open, several instances. */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { packageRoot, simulatedNvmlPath } from '../src/native/binding.js';
import { configureSim } from './helpers/sim.js';

// Plain CommonJS run in workers and child processes: loads the addon the way the package does.
const script = (body: string) => `
const binding = require('node-gyp-build')(${JSON.stringify(packageRoot)});
const lib = ${JSON.stringify(simulatedNvmlPath())};
${body}`;

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

  it('a worker that exits with a session and a running sampler left open is cleaned up', async () => {
    configureSim();
    const body = `
      const h = binding.open(lib);
      binding.samplerStart(h, [0], 2000, 4096);
      // no close, no stop: the env cleanup hook must stop the thread and shut NVML down`;
    await expect(runWorker(body)).resolves.toBeUndefined();
  });

  it('a process exits promptly and cleanly with a sampler left running', () => {
    configureSim();
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
});
