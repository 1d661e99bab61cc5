/** The CLI's progress bar over runs x queries with ETA and live watts (on a TTY only). */
import type { ProgressState } from '../runner/progress.js';
import { ProgressLines } from './progress-lines.js';

export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #startMs = Date.now();
  #lastDraw = 0;
  #lastPhase: ProgressState['phase'] | null = null;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
  }

  /** Draws `p`: at most every 100 ms, and at once when the benchmark's phase changes. */
  update(p: ProgressState): void {
    const now = Date.now();
    const force = p.phase !== this.#lastPhase;
    this.#lastPhase = p.phase;
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const done = p.run * p.queries + p.query;
    const total = p.runs * p.queries;
    const frac = total > 0 ? done / total : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const elapsedS = (now - this.#startMs) / 1000;
    const eta = frac > 0.01 ? (elapsedS / frac) * (1 - frac) : NaN;
    const etaText = Number.isFinite(eta) ? `${Math.floor(eta / 60)}m${String(Math.round(eta % 60)).padStart(2, '0')}s` : '--';
    const label = p.phase === 'run' ? `run ${Math.min(p.run + 1, p.runs)}/${p.runs}` : p.phase;
    const line = `${label.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.query}/${p.queries} queries  ETA ${etaText}  ${p.powerW.toFixed(0)} W`;
    this.#stream.write(`\r${line}\x1b[K`);
    this.#drawn = true;
  }

  /** Ends the bar's line (once). */
  finish(): void {
    if (this.#drawn) this.#stream.write('\n');
    this.#drawn = false;
  }
}

/**
 * Progress as `runBenchmark` hooks when `enabled`: a bar on stderr when it is a terminal, plain
 * lines when it is not (a CI log, a file: one per run and stage, at most one every 30 s in a run).
 */
export function progressHooks(enabled: boolean): { onProgress?: (p: ProgressState) => void; finish: () => void } {
  if (!enabled) return { finish: () => undefined };
  if (!process.stderr.isTTY) {
    const lines = new ProgressLines((line) => process.stderr.write(line + '\n'));
    return { onProgress: (p) => lines.update(p), finish: () => undefined };
  }
  const bar = new ProgressBar(process.stderr);
  return { onProgress: (p) => bar.update(p), finish: () => bar.finish() };
}
