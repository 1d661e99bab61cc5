/** Atomic file writes: write a temporary file beside the target, fsync, rename, fsync the directory. */
import { closeSync, fsyncSync, openSync, renameSync, writeSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { WattscopeError } from './errors.js';

let counter = 0;

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    try {
      const dfd = openSync(dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // Directories cannot be fsynced on some platforms; the rename is still atomic.
    }
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_IO', `cannot write ${file}: ${(err as Error).message}`, { file, cause: err });
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}
