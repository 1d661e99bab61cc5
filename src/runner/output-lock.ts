/**
 * One writer per output directory: `wattscope.lock` holds the writing process's pid and host. A
 * second live process is refused with a clear error; the lock of a process that is gone (killed,
 * crashed) is taken over, and the log says so.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WattscopeError } from '../util/errors.js';

export const LOCK_FILE = 'wattscope.lock';

interface LockContent {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** True when a process with this pid exists on this machine (EPERM: it exists, owned by someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's content, or null when it cannot be read as one (a torn write: treated as stale). */
function readLock(file: string): LockContent | null {
  try {
    const content = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockContent>;
    if (typeof content.pid !== 'number' || !Number.isInteger(content.pid) || typeof content.hostname !== 'string') return null;
    return { pid: content.pid, hostname: content.hostname, startedAt: String(content.startedAt ?? '') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    return null;
  }
}

function createLock(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    try {
      const content: LockContent = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
      writeSync(fd, JSON.stringify(content) + '\n');
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new WattscopeError('WATTSCOPE_IO', `cannot create ${file}: ${(err as Error).message}`, { file, cause: err });
  }
}

/** A held lock: release() removes it (if still ours). */
export interface OutputLock {
  release(): void;
}

/**
 * Takes `outDir`'s lock. Throws WATTSCOPE_LOCKED when another live process on this machine holds
 * it, or a process on another machine does (its liveness cannot be checked from here).
 */
export function lockOutputDir(outDir: string, log: (line: string) => void): OutputLock {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, LOCK_FILE);
  for (let attempt = 0; !createLock(file); attempt++) {
    let holder: LockContent | null;
    try {
      holder = readLock(file);
    } catch {
      continue; // removed meanwhile: try again
    }
    if (holder?.pid === process.pid && holder.hostname === os.hostname()) {
      throw new WattscopeError('WATTSCOPE_LOCKED', `${outDir} is being written by another benchmark in this process`, { file });
    }
    if (holder) {
      if (holder.hostname !== os.hostname()) {
        throw new WattscopeError(
          'WATTSCOPE_LOCKED',
          `${outDir} is being written by process ${holder.pid} on ${holder.hostname} (since ${holder.startedAt}); if it is gone, delete ${file}`,
          { file },
        );
      }
      if (processAlive(holder.pid)) {
        throw new WattscopeError(
          'WATTSCOPE_LOCKED',
          `${outDir} is being written by another wattscope process (pid ${holder.pid}, since ${holder.startedAt}): wait for it or stop it`,
          {
            file,
          },
        );
      }
    }
    if (attempt >= 3) throw new WattscopeError('WATTSCOPE_LOCKED', `cannot take the lock ${file}`, { file });
    log(holder ? `taking over the lock of process ${holder.pid}, which is gone` : `replacing an unreadable lock file ${file}`);
    rmSync(file, { force: true });
  }
  return {
    release: () => {
      try {
        if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
