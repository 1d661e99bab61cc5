/** A progress bar over runs x queries with ETA and live watts, on a TTY only. */
export interface ProgressState {
  run: number;
  runs: number;
  query: number;
  queries: number;
  powerW: number;
  phase: 'idle' | 'warmup' | 'cooldown' | 'delay' | 'run' | 'done';
}

export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #startMs = Date.now();
  #lastDraw = 0;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
  }

  update(p: ProgressState, force = false): void {
    const now = Date.now();
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

  finish(): void {
    if (this.#drawn) this.#stream.write('\n');
  }
}
