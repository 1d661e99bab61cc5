/**
 * Progress as plain lines, for a stderr that is not a terminal (CI logs, files, pipes): one line as
 * each measured run starts, and during a long run at most one every `intervalMs` (30 s), so that a
 * 10-run benchmark is never silent until it ends and a log never fills with redraws. The stages
 * before the runs (idle, warm-up) print nothing: a benchmark that fails there says one sentence.
 */
import type { ProgressState } from '../runner/progress.js';

/** The longest a run goes without a line, ms. */
export const PROGRESS_LINE_INTERVAL_MS = 30_000;

export class ProgressLines {
  readonly #write: (line: string) => void;
  readonly #nowMs: () => number;
  readonly #intervalMs: number;
  readonly #startMs: number;
  #lastLineMs = -Infinity;
  #lastKey: string | null = null;

  constructor(write: (line: string) => void, nowMs: () => number = Date.now, intervalMs = PROGRESS_LINE_INTERVAL_MS) {
    this.#write = write;
    this.#nowMs = nowMs;
    this.#intervalMs = intervalMs;
    this.#startMs = nowMs();
  }

  /** Writes a line when a run starts, else when `intervalMs` has passed in it since the last line. */
  update(p: ProgressState): void {
    if (p.phase !== 'run') return;
    const now = this.#nowMs();
    const key = `run ${p.run}`;
    if (key === this.#lastKey && now - this.#lastLineMs < this.#intervalMs) return;
    this.#lastKey = key;
    this.#lastLineMs = now;
    this.#write(lineOf(p, (now - this.#startMs) / 1000));
  }
}

/** One progress line: what the benchmark is doing, how far it is, and the GPU's power now. */
export function lineOf(p: ProgressState, elapsedS: number): string {
  const elapsed = `${Math.floor(elapsedS / 60)}m${String(Math.floor(elapsedS % 60)).padStart(2, '0')}s`;
  return `wattscope: ${elapsed} run ${Math.min(p.run + 1, p.runs)}/${p.runs}: ${p.query}/${p.queries} queries, ${p.powerW.toFixed(0)} W`;
}
