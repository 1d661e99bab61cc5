/**
 * The simulated GPU's record of applied power changes (the truth the tests measure against): it is
 * read while the simulator's sampling thread appends to it, so a reader must never take half a
 * line for a whole one. CI once read "20" where a line's first bytes had been flushed alone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyMonitor } from '../src/index.js';
import { appliedLogPath, readAppliedChanges } from '../src/sim/applied-log.js';
import { configureSim, sleep } from './helpers/sim.js';

const logFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-applied-')), 'control.log.applied.1');

let monitor: EnergyMonitor | undefined;
afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
});

describe('readAppliedChanges', () => {
  it('reads whole lines: time, target, watts', () => {
    const file = logFile();
    writeFileSync(file, '100 * 250 90\n200 1 80.5 150\n');
    expect(readAppliedChanges(file)).toEqual([
      { tNs: 100n, target: '*', watts: 250 },
      { tNs: 200n, target: 1, watts: 80.5 },
    ]);
  });

  it('waits for a last line still being written, and reads it whole', async () => {
    const file = logFile();
    writeFileSync(file, '100 * 250 90\n20');
    // Another thread finishes the line 40 ms later, while this one is blocked in the read.
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { appendFileSync } = require('node:fs');
       parentPort.postMessage('ready');
       setTimeout(() => appendFileSync(workerData, '0 0 333 190\\n'), 40);`,
      { eval: true, workerData: file },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    const changes = readAppliedChanges(file);
    await worker.terminate();
    expect(changes.map((c) => [c.tNs, c.watts])).toEqual([
      [100n, 250],
      [200n, 333],
    ]);
  });

  it('a last line that never completes is an error naming the file, not a change of 20 W at t = 20 ns', () => {
    const file = logFile();
    writeFileSync(file, '100 * 250 90\n20');
    expect(() => readAppliedChanges(file)).toThrow(/control\.log\.applied\.1: its last line stayed incomplete .*"20"/);
  });

  it('a malformed whole line is an error naming the file and line', () => {
    const file = logFile();
    writeFileSync(file, '100 * 250 90\nabc * 1 2\n');
    expect(() => readAppliedChanges(file)).toThrow(/applied\.1:2: not an applied change: "abc \* 1 2"/);
  });
});

describe('the simulator writing the record', () => {
  it('a burst of 600 changes (more than a stdio buffer of lines) read back while sampling: every one, never torn', async () => {
    const sim = configureSim({ control: true });
    monitor = await EnergyMonitor.open({ simulate: true });
    await sleep(50);
    for (let i = 0; i < 600; i++) sim.setPower(100 + (i % 500));
    const log = appliedLogPath(sim.file!);
    let seen = 0;
    const deadline = Date.now() + 3000;
    while (seen < 600 && Date.now() < deadline) {
      seen = readAppliedChanges(log).length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seen).toBe(600);
  });
});
