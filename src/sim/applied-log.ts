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

/** The applied-changes file of the process `pid` for a control file. */
export function appliedLogPath(controlFile: string, pid: number = process.pid): string {
  return `${controlFile}.applied.${pid}`;
}

/** Reads the changes the simulator applied; an unreadable line is an error naming it. */
export function readAppliedChanges(file: string): AppliedChange[] {
  if (!existsSync(file)) return [];
  const changes: AppliedChange[] = [];
  readFileSync(file, 'utf8')
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
