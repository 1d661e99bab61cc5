/**
 * Atomic writes (reports, results): every byte lands however the kernel splits the write, and a
 * failure leaves the target as it was and no temporary file behind.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, type AtomicWriteIo } from '../src/util/atomic.js';

const freshDir = () => mkdtempSync(path.join(tmpdir(), 'wattscope-atomic-'));
const text = 'runs: ' + 'x'.repeat(10_000) + '\n';

/** Real writes, at most `maxBytes` per call (as a pipe, a full disk's last blocks or a signal can make them). */
function shortWrites(maxBytes: number): AtomicWriteIo & { calls: number } {
  const io = {
    calls: 0,
    writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => {
      io.calls++;
      return writeSync(fd, buffer, offset, Math.min(length, maxBytes));
    },
    renameSync,
  };
  return io;
}

describe('writeFileAtomic', () => {
  it('a symlink planted at a predictable temporary name is not followed: the write lands in the target only', () => {
    const dir = freshDir();
    const file = path.join(dir, 'report.json');
    const victim = path.join(freshDir(), 'victim.txt');
    writeFileSync(victim, 'keep me\n');
    // Every name a pid-and-counter scheme would pick for this process's next writes.
    for (let count = 0; count < 50; count++) symlinkSync(victim, path.join(dir, `.report.json.${process.pid}.${count}.tmp`));
    for (let write = 0; write < 5; write++) writeFileAtomic(file, text);
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('writes every byte when each write call takes only 7 bytes', () => {
    const dir = freshDir();
    const file = path.join(dir, 'report.json');
    const io = shortWrites(7);
    writeFileAtomic(file, text, io);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(io.calls).toBe(Math.ceil(Buffer.byteLength(text) / 7));
    expect(readdirSync(dir)).toEqual(['report.json']);
  });

  it('a write that fails midway: a WATTSCOPE_IO error naming the file, the old content kept, no temporary file left', () => {
    const dir = freshDir();
    const file = path.join(dir, 'report.json');
    writeFileSync(file, 'previous\n');
    let calls = 0;
    const io: AtomicWriteIo = {
      writeSync: (fd, buffer, offset, length) => {
        if (++calls > 3) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return writeSync(fd, buffer, offset, Math.min(length, 100));
      },
      renameSync,
    };
    expect(() => writeFileAtomic(file, text, io)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_IO', file, message: expect.stringMatching(/ENOSPC/) }));
    expect(readFileSync(file, 'utf8')).toBe('previous\n');
    expect(readdirSync(dir)).toEqual(['report.json']);
  });

  it('a write that makes no progress is an error, not an endless loop', () => {
    const dir = freshDir();
    const io: AtomicWriteIo = { writeSync: () => 0, renameSync };
    expect(() => writeFileAtomic(path.join(dir, 'a.json'), text, io)).toThrow(/made no progress at byte 0/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a rename that fails (the target is a directory) leaves no temporary file', () => {
    const dir = freshDir();
    const file = path.join(dir, 'results');
    mkdirSync(path.join(file, 'inside'), { recursive: true });
    expect(() => writeFileAtomic(file, text)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_IO', file }));
    expect(readdirSync(dir)).toEqual(['results']);
  });
});
