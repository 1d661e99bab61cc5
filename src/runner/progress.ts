/** Where a benchmark stands, handed to `onProgress` (the CLI draws it as a progress bar). */
export interface ProgressState {
  /** Runs completed (0-based index of the run in progress). */
  run: number;
  runs: number;
  /** Queries started in the run in progress. */
  query: number;
  queries: number;
  /** The latest sampled power, summed over the measured GPUs, W. */
  powerW: number;
  /** `pass`: a separate pass before a run (scoreMethod 'separate-passes'). */
  phase: 'idle' | 'warmup' | 'cooldown' | 'delay' | 'pass' | 'run' | 'done';
}
