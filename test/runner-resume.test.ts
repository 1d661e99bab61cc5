/**
 * Resuming an interrupted benchmark: only the same benchmark (dataset content, handler, settings),
 * warmed up again; one writer per output directory.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBenchmark, type BenchmarkHandler, type BenchmarkOptions } from '../src/runner/runner.js';
import { LOCK_FILE } from '../src/runner/output-lock.js';
import type { Dataset } from '../src/runner/dataset.js';
import { syntheticDataset } from '../src/runner/synthetic.js';
import { configureSim } from './helpers/sim.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'wattscope-resume-'));

/** A handler that counts its calls and spins briefly in two phases. */
function countingHandler(): { handler: BenchmarkHandler; calls: () => number } {
  let calls = 0;
  const handler: BenchmarkHandler = async (_row, q) => {
    calls++;
    await q.phase('prefill', () => undefined);
    await q.phase('decode', () => undefined);
  };
  return { handler, calls: () => calls };
}

const base = {
  runs: 3,
  warmup: 4,
  phases: ['prefill', 'decode'],
  idleMeasureS: 0,
  randomDelayMaxS: 0,
  monitor: { simulate: true },
} satisfies Partial<BenchmarkOptions>;

/** Runs the first run of three, then stops: an interrupted benchmark to resume. */
async function interruptedAfterOneRun(outDir: string, dataset: Dataset, handler: BenchmarkHandler, extra: Partial<BenchmarkOptions> = {}) {
  const stop = new AbortController();
  const report = await runBenchmark({ ...base, ...extra, dataset, handler, outDir, signal: stop.signal, onRun: () => stop.abort() });
  expect(report.status).toBe('interrupted');
  expect(report.runs.filter((r) => !r.flags.includes('interrupted'))).toHaveLength(1);
}

describe('resume', () => {
  it('the same benchmark resumes, warming up again first', async () => {
    configureSim();
    const outDir = tmp();
    const dataset = syntheticDataset(6);
    const first = countingHandler();
    await interruptedAfterOneRun(outDir, dataset, first.handler);
    const lines: string[] = [];
    const again = countingHandler();
    const report = await runBenchmark({ ...base, dataset, handler: again.handler, outDir, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/resuming an interrupted benchmark in .*: 1 of 3 runs already complete/);
    expect(report.runs.map((r) => r.index)).toEqual([0, 1, 2]);
    // 4 warm-up queries, then two runs of 6 (before the fix: no warm-up on resume, 12 calls).
    expect(again.calls()).toBe(4 + 2 * 6);
    expect(existsSync(path.join(outDir, LOCK_FILE))).toBe(false);
  });

  it('a dataset of the same name and size but other content starts clean, and says why', async () => {
    configureSim();
    const outDir = tmp();
    const dataset = syntheticDataset(6);
    await interruptedAfterOneRun(outDir, dataset, countingHandler().handler);
    const changed: Dataset = { ...dataset, rows: dataset.rows.map((row, i) => (i === 3 ? { ...row, text: `${String(row.text)} (edited)` } : row)) };
    const lines: string[] = [];
    const report = await runBenchmark({ ...base, runs: 1, dataset: changed, handler: countingHandler().handler, outDir, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/starting clean in .* \(different settings\)/);
    expect(report.runs).toHaveLength(1);
  });

  it('another handler starts clean; the same handler identity resumes', async () => {
    configureSim();
    const outDir = tmp();
    const dataset = syntheticDataset(6);
    await interruptedAfterOneRun(outDir, dataset, countingHandler().handler, { handlerIdentity: 'model-a' });
    const lines: string[] = [];
    const other: BenchmarkHandler = async (_row, q) => {
      await q.phase('prefill', () => 1);
      await q.phase('decode', () => 2);
    };
    await interruptedAfterOneRun(outDir, dataset, other, { handlerIdentity: 'model-b', log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/different settings/);
    lines.length = 0;
    await runBenchmark({ ...base, dataset, handler: other, handlerIdentity: 'model-b', outDir, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/resuming .*: 1 of 3 runs already complete/);
  });
});

describe('what a resume reads is never skipped', () => {
  it('a run file or state file of another shape is an error naming it; resume: never starts clean', async () => {
    configureSim();
    const outDir = tmp();
    const dataset = syntheticDataset(4);
    await interruptedAfterOneRun(outDir, dataset, countingHandler().handler);
    const runFile = path.join(outDir, 'runs', 'run-000.json');
    writeFileSync(runFile, JSON.stringify({ index: 0, totalEnergyJ: 'lots' }));
    // The same benchmark: a resume, which reads the completed runs.
    const options = { ...base, dataset, handler: countingHandler().handler, outDir };
    await expect(runBenchmark(options)).rejects.toMatchObject({
      code: 'WATTSCOPE_BAD_REPORT',
      file: runFile,
      message: expect.stringMatching(/is not a run record/),
    });
    const stateFile = path.join(outDir, 'wattscope-state.json');
    writeFileSync(stateFile, '{"configHash": 12');
    await expect(runBenchmark(options)).rejects.toMatchObject({ code: 'WATTSCOPE_BAD_REPORT', file: stateFile });
    const lines: string[] = [];
    const report = await runBenchmark({ ...options, resume: 'never', log: (l) => lines.push(l) });
    expect(report.status).toBe('complete');
    expect(lines).toContain(`starting clean in ${outDir} (resume disabled)`);
  });
});

describe('resume checks each run file against its name', () => {
  it("a run file copied under another run's name (run-001.json holding run 0) is an error naming it, never run 0 counted twice", async () => {
    configureSim();
    const outDir = tmp();
    const dataset = syntheticDataset(4);
    await interruptedAfterOneRun(outDir, dataset, countingHandler().handler);
    const copied = path.join(outDir, 'runs', 'run-001.json');
    copyFileSync(path.join(outDir, 'runs', 'run-000.json'), copied);
    await expect(runBenchmark({ ...base, dataset, handler: countingHandler().handler, outDir })).rejects.toMatchObject({
      code: 'WATTSCOPE_BAD_REPORT',
      file: copied,
      field: 'index',
      message: expect.stringContaining('holds run 0, not run 1'),
    });
  });
});

describe('--out clears only what wattscope wrote', () => {
  it('a directory of other files (a TensorBoard runs/) is refused, naming it; nothing is deleted; resume: never writes beside them', async () => {
    configureSim();
    const outDir = tmp();
    mkdirSync(path.join(outDir, 'runs'));
    writeFileSync(path.join(outDir, 'runs', 'events.out.tfevents.1'), 'tensorboard');
    writeFileSync(path.join(outDir, 'notes.txt'), 'mine');
    const options = { ...base, runs: 1, dataset: syntheticDataset(3), handler: countingHandler().handler, outDir };
    await expect(runBenchmark(options)).rejects.toMatchObject({ code: 'WATTSCOPE_OUT_NOT_OURS', file: outDir, message: expect.stringContaining('--fresh') });
    expect(readdirSync(path.join(outDir, 'runs'))).toEqual(['events.out.tfevents.1']);
    const report = await runBenchmark({ ...options, resume: 'never' });
    expect(report.status).toBe('complete');
    expect(readdirSync(path.join(outDir, 'runs')).sort()).toEqual(['events.out.tfevents.1', 'run-000.json']);
    // A second, different benchmark there: the directory is wattscope's now; only its own files go.
    const again = await runBenchmark({ ...options, runs: 2 });
    expect(again.status).toBe('complete');
    expect(readdirSync(path.join(outDir, 'runs')).sort()).toEqual(['events.out.tfevents.1', 'run-000.json', 'run-001.json']);
    expect(existsSync(path.join(outDir, 'notes.txt'))).toBe(true);
  });
});

describe('one writer per output directory', () => {
  it('a live process holding the lock is refused with its pid; a dead one is taken over', async () => {
    configureSim();
    const outDir = tmp();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    try {
      writeFileSync(path.join(outDir, LOCK_FILE), JSON.stringify({ pid: holder.pid, hostname: (await import('node:os')).hostname(), startedAt: 'then' }));
      const options = { ...base, runs: 1, dataset: syntheticDataset(3), handler: countingHandler().handler, outDir };
      await expect(runBenchmark(options)).rejects.toMatchObject({
        code: 'WATTSCOPE_LOCKED',
        file: path.join(outDir, LOCK_FILE),
        message: expect.stringContaining(`another wattscope process (pid ${holder.pid}`),
      });
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
      const lines: string[] = [];
      const report = await runBenchmark({ ...options, log: (l) => lines.push(l) });
      expect(report.status).toBe('complete');
      expect(lines.join('\n')).toContain(`taking over the lock of process ${holder.pid}, which is gone`);
      expect(existsSync(path.join(outDir, LOCK_FILE))).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('two benchmarks of one process on one directory: the second is refused', async () => {
    configureSim();
    const outDir = tmp();
    const options = { ...base, runs: 1, dataset: syntheticDataset(3), outDir };
    const first = runBenchmark({ ...options, handler: countingHandler().handler });
    for (let waited = 0; !existsSync(path.join(outDir, LOCK_FILE)) && waited < 5000; waited += 5) await new Promise((r) => setTimeout(r, 5));
    await expect(runBenchmark({ ...options, handler: countingHandler().handler })).rejects.toMatchObject({ code: 'WATTSCOPE_LOCKED' });
    await expect(first).resolves.toMatchObject({ status: 'complete' });
  });
});
