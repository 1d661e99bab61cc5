/**
 * The simulated GPU's own record of the power changes it applied (`<control file>.applied.<pid>`):
 * a change written to the control file takes effect no earlier than the simulator's last read, so
 * the exact truth is what it applied, not what was asked for.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface AppliedChange {
  tNs: bigint;
  /** A GPU index, or '*' for every GPU. */
  target: number | '*';
  watts: number;
}

/** How long a reader waits for a line the simulator's sampling thread is still writing. */
const PARTIAL_LINE_WAIT_MS = 200;

/** The applied-changes file of the process `pid` for a control file. */
export function appliedLogPath(controlFile: string, pid: number = process.pid): string {
  return `${controlFile}.applied.${pid}`;
}

/** Blocks the calling thread for `ms` (the readers of this log are synchronous). */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The file's text up to its last line end. The simulator writes each line whole, but the file may be read
 * between the simulator's write calls: a last line without its newline is waited for (up to
 * PARTIAL_LINE_WAIT_MS), and is an error naming the file if it never completes.
 */
function wholeLines(file: string): string {
  const deadline = Date.now() + PARTIAL_LINE_WAIT_MS;
  for (;;) {
    const text = readFileSync(file, 'utf8');
    if (text === '' || text.endsWith('\n')) return text;
    if (Date.now() >= deadline)
      throw new Error(`${file}: its last line stayed incomplete for ${PARTIAL_LINE_WAIT_MS} ms: "${text.slice(text.lastIndexOf('\n') + 1)}"`);
    blockFor(2);
  }
}

/** Reads the changes the simulator applied; an unreadable line is an error naming it. */
export function readAppliedChanges(file: string): AppliedChange[] {
  if (!existsSync(file)) return [];
  const changes: AppliedChange[] = [];
  wholeLines(file)
    .split('\n')
    .forEach((line, i) => {
      if (line === '') return;
      const [t, target, watts] = line.split(' ');
      const w = Number(watts);
      if (!t || !/^\d+$/.test(t) || target === undefined || !Number.isFinite(w)) throw new Error(`${file}:${i + 1}: not an applied change: "${line}"`);
      changes.push({ tNs: BigInt(t), target: target === '*' ? '*' : Number(target), watts: w });
    });
  return changes;
}
