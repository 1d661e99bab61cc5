/**
 * One writer per output directory: `wattscope.lock` holds the writing process's pid, host and a
 * random token. The lock appears with its content in one step (written to a temporary file, then
 * hard-linked to the lock's name, which fails if the name exists), so no one ever reads it half
 * written. A second live process is refused with a clear error; an unreadable lock younger than a
 * few seconds counts as live; the lock of a process that is gone (killed, crashed) is taken over by
 * renaming it aside and checking that what was renamed is still the lock judged stale.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unguessableSibling } from '../util/atomic.js';
import { WattscopeError } from '../util/errors.js';

export const LOCK_FILE = 'wattscope.lock';

/** An unreadable lock younger than this is taken as being written by a live process, ms. */
export const UNREADABLE_LOCK_GRACE_MS = 5000;

interface LockContent {
  pid: number;
  hostname: string;
  startedAt: string;
  /** Random: tells this holding of the lock from any other, by the same pid too. */
  token: string;
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

/** The lock's content, or null when it cannot be read as one. Throws ENOENT when there is no lock. */
function readLock(file: string): LockContent | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    return null;
  }
  try {
    const content = JSON.parse(text) as Partial<LockContent>;
    if (typeof content.pid !== 'number' || !Number.isInteger(content.pid) || typeof content.hostname !== 'string') return null;
    return { pid: content.pid, hostname: content.hostname, startedAt: String(content.startedAt ?? ''), token: String(content.token ?? '') };
  } catch {
    return null;
  }
}

/** Creates the lock with its content in one step; false when it exists. */
function createLock(file: string, content: LockContent): boolean {
  const temporary = unguessableSibling(file, 'lock');
  try {
    const fd = openSync(temporary, 'wx', 0o644);
    try {
      writeSync(fd, JSON.stringify(content) + '\n');
    } finally {
      closeSync(fd);
    }
    linkSync(temporary, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new WattscopeError('WATTSCOPE_IO', `cannot create ${file}: ${(err as Error).message}`, { file, cause: err });
  } finally {
    rmSync(temporary, { force: true });
  }
}

function sameLock(a: LockContent | null, b: LockContent | null): boolean {
  return a !== null && b !== null && a.pid === b.pid && a.hostname === b.hostname && a.startedAt === b.startedAt && a.token === b.token;
}

/**
 * Removes a lock judged stale (`judged`, null: unreadable) if it is still that lock: it is renamed
 * aside (one process wins the rename), then read again; a lock that changed meanwhile (another
 * process took over and linked its own) is linked back. True when the stale lock is gone.
 */
function removeStaleLock(file: string, judged: LockContent | null): boolean {
  const aside = unguessableSibling(file, 'stale');
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true; // someone else removed it
    throw err;
  }
  let renamed: LockContent | null = null;
  try {
    renamed = readLock(aside);
  } catch {
    renamed = null;
  }
  const stillJudged = judged === null ? renamed === null : sameLock(renamed, judged);
  if (!stillJudged) {
    try {
      linkSync(aside, file); // not the lock we judged: put the live holder's lock back
    } catch {
      // another lock took its place already: that holder and this one are both refused below or hold it
    }
  }
  rmSync(aside, { force: true });
  return stillJudged;
}

/** A held lock: release() removes it (if still ours). */
export interface OutputLock {
  release(): void;
}

/** The error for a lock that is live, or null when `holder` (null: unreadable) may be taken over. */
function liveHolderError(outDir: string, file: string, holder: LockContent | null): WattscopeError | null {
  if (holder === null) {
    let ageMs = Infinity;
    try {
      ageMs = Date.now() - statSync(file).mtimeMs;
    } catch {
      return null;
    }
    if (ageMs >= UNREADABLE_LOCK_GRACE_MS) return null;
    return new WattscopeError(
      'WATTSCOPE_LOCKED',
      `${outDir} is being locked by another process (its lock file ${file} is being written): try again in a few seconds`,
      { file },
    );
  }
  if (holder.pid === process.pid && holder.hostname === os.hostname()) {
    return new WattscopeError('WATTSCOPE_LOCKED', `${outDir} is being written by another benchmark in this process`, { file });
  }
  if (holder.hostname !== os.hostname()) {
    return new WattscopeError(
      'WATTSCOPE_LOCKED',
      `${outDir} is being written by process ${holder.pid} on ${holder.hostname} (since ${holder.startedAt}); if it is gone, delete ${file}`,
      { file },
    );
  }
  if (processAlive(holder.pid)) {
    return new WattscopeError(
      'WATTSCOPE_LOCKED',
      `${outDir} is being written by another wattscope process (pid ${holder.pid}, since ${holder.startedAt}): wait for it or stop it`,
      { file },
    );
  }
  return null;
}

/**
 * Takes `outDir`'s lock. Throws WATTSCOPE_LOCKED when another live process on this machine holds
 * it, a process on another machine does (its liveness cannot be checked from here), or its lock
 * file is unreadable and younger than {@link UNREADABLE_LOCK_GRACE_MS}.
 */
export function lockOutputDir(outDir: string, log: (line: string) => void): OutputLock {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, LOCK_FILE);
  const mine: LockContent = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  for (let attempt = 0; !createLock(file, mine); attempt++) {
    let holder: LockContent | null;
    try {
      holder = readLock(file);
    } catch {
      continue; // removed meanwhile: try again
    }
    const live = liveHolderError(outDir, file, holder);
    if (live) throw live;
    if (attempt >= 3) throw new WattscopeError('WATTSCOPE_LOCKED', `cannot take the lock ${file}`, { file });
    if (removeStaleLock(file, holder)) {
      log(holder ? `taking over the lock of process ${holder.pid}, which is gone` : `replacing an unreadable lock file ${file}`);
    }
  }
  return {
    release: () => {
      try {
        if (sameLock(readLock(file), mine)) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
