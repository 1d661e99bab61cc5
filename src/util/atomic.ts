/**
 * Atomic file writes: write a temporary file beside the target (every byte, however many calls the
 * kernel takes), fsync, rename, fsync the directory. On any failure the temporary file is removed
 * and the target is left as it was.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { WattscopeError } from './errors.js';

/** The file-system calls a write goes through (replaceable in tests, to force short writes and failures). */
export interface AtomicWriteIo {
  writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => number;
  renameSync: (from: string, to: string) => void;
}

const NODE_IO: AtomicWriteIo = { writeSync, renameSync };

/**
 * A temporary name beside `file` that no one can guess ahead (random suffix): it is opened with
 * `wx`, so a file or symlink planted at that name makes the write fail rather than follow it.
 */
export function unguessableSibling(file: string, purpose = 'tmp'): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(8).toString('hex')}.${purpose}`);
}

/** Writes all of `bytes` to `fd`, calling again after a short write. */
function writeAll(io: AtomicWriteIo, fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    const written = io.writeSync(fd, bytes, offset, bytes.length - offset);
    if (!(written > 0)) throw new Error(`write made no progress at byte ${offset} of ${bytes.length}`);
    offset += written;
  }
}

function fsyncDirectory(dir: string): void {
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Directories cannot be fsynced on some platforms; the rename is still atomic.
  }
}

/** Replaces `file` with `data` atomically; a failure is a WATTSCOPE_IO error naming the file. */
export function writeFileAtomic(file: string, data: string | Uint8Array, io: AtomicWriteIo = NODE_IO): void {
  const dir = path.dirname(file);
  const temporary = unguessableSibling(file);
  let created = false;
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(temporary, 'wx', 0o644);
    created = true;
    try {
      writeAll(io, fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    io.renameSync(temporary, file);
  } catch (err) {
    if (created) rmSync(temporary, { force: true });
    throw new WattscopeError('WATTSCOPE_IO', `cannot write ${file}: ${(err as Error).message}`, { file, cause: err });
  }
  fsyncDirectory(dir);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}
