/**
 * The output directory's lock under races: processes started at the same instant on one directory
 * (exactly one proceeds), a lock file still being written (live, not stale), and a stale lock taken
 * over once. The processes run the compiled lock (dist/, built by the global setup).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native/binding.js';
import { LOCK_FILE, lockOutputDir } from '../src/runner/output-lock.js';

const lockModule = pathToFileURL(path.join(packageRoot, 'dist', 'runner', 'output-lock.js')).href;

/** A child that waits for the wall-clock instant `startAtMs`, takes the lock, holds it 1.5 s, and prints the outcome. */
const contender = `
const { lockOutputDir } = await import(process.argv[1]);
const startAtMs = Number(process.argv[3]);
while (Date.now() < startAtMs - 20) await new Promise((r) => setTimeout(r, 5));
while (Date.now() < startAtMs) {}
try {
  const lock = lockOutputDir(process.argv[2], () => {});
  process.stdout.write('proceeds');
  await new Promise((r) => setTimeout(r, 1500));
  lock.release();
} catch (err) {
  process.stdout.write(err.code ?? String(err));
}`;

function race(outDir: string, startAtMs: number): Promise<string> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', contender, lockModule, outDir, String(startAtMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', () => resolve(out)));
}

describe('the output lock', () => {
  it('50 pairs of processes started at the same instant on one directory: exactly one of each pair proceeds', async () => {
    const outcomes: string[][] = [];
    for (let batch = 0; batch < 5; batch++) {
      const startAtMs = Date.now() + 1500;
      const pairs = Array.from({ length: 10 }, () => {
        const outDir = mkdtempSync(path.join(tmpdir(), 'wattscope-lock-race-'));
        return Promise.all([race(outDir, startAtMs), race(outDir, startAtMs)]);
      });
      outcomes.push(...(await Promise.all(pairs)));
    }
    expect(outcomes).toHaveLength(50);
    for (const pair of outcomes) expect(pair.sort()).toEqual(['WATTSCOPE_LOCKED', 'proceeds']);
  }, 60_000);

  it('a lock file still being written (unreadable, young) is live; once older than the grace period it is taken over', () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'wattscope-lock-young-'));
    const file = path.join(outDir, LOCK_FILE);
    writeFileSync(file, '');
    expect(() => lockOutputDir(outDir, () => {})).toThrow(expect.objectContaining({ code: 'WATTSCOPE_LOCKED', file }));
    const past = new Date(Date.now() - 10_000);
    utimesSync(file, past, past);
    const lines: string[] = [];
    const lock = lockOutputDir(outDir, (line) => lines.push(line));
    expect(lines).toEqual([`replacing an unreadable lock file ${file}`]);
    lock.release();
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('release leaves a lock that is not its own (same pid, another holding) in place', () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'wattscope-lock-own-'));
    const lock = lockOutputDir(outDir, () => {});
    const file = path.join(outDir, LOCK_FILE);
    // Another holding by this pid (a takeover after this lock was judged stale, say): release must not remove it.
    writeFileSync(file, JSON.stringify({ pid: process.pid, hostname: 'elsewhere', startedAt: 'now', token: 'other' }));
    lock.release();
    expect(readdirSync(outDir)).toEqual([LOCK_FILE]);
  });
});
