/**
 * Progress where stderr is not a terminal (src/cli/progress-lines.ts): one line as each run starts,
 * at most one every 30 s inside a run, nothing before the runs. A synthetic clock: no waiting.
 */
import { describe, expect, it } from 'vitest';
import { ProgressLines } from '../src/cli/progress-lines.js';
import type { ProgressState } from '../src/runner/progress.js';

const state = (phase: ProgressState['phase'], run: number, query: number): ProgressState => ({ phase, run, runs: 3, query, queries: 1000, powerW: 412.4 });

describe('ProgressLines', () => {
  it('a line per run start, one per 30 s inside a long run, none for idle or warm-up', () => {
    let nowMs = 0;
    const lines: string[] = [];
    const progress = new ProgressLines(
      (line) => lines.push(line),
      () => nowMs,
    );
    progress.update(state('idle', 0, 0));
    progress.update(state('warmup', 0, 5));
    expect(lines).toEqual([]);
    // Run 1: updates every 100 ms for 65 s give its start line and two more (30 s and 60 s in).
    for (let step = 0; step <= 650; step++) {
      nowMs = 1000 + step * 100;
      progress.update(state('run', 0, step));
    }
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('wattscope: 0m01s run 1/3: 0/1000 queries, 412 W');
    expect(lines[1]).toBe('wattscope: 0m31s run 1/3: 300/1000 queries, 412 W');
    expect(lines[2]).toMatch(/^wattscope: 1m01s run 1\/3: 600\/1000 queries/);
    // Run 2 starts 1 s after the last line: its line comes at once.
    nowMs += 1000;
    progress.update(state('run', 1, 0));
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/run 2\/3: 0\/1000 queries/);
    progress.update(state('cooldown', 1, 1000));
    progress.update(state('done', 3, 0));
    expect(lines).toHaveLength(4);
  });
});
