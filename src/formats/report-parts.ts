/**
 * Plain types of two parts of wattscope's report (no zod: the published types do not need it): a
 * run's figures by the AI Energy Score's separate passes, and the simulated GPU's truth. Their zod
 * schemas (separate-passes-schema.ts, simulated-truth-schema.ts) are checked against them.
 */

/** The AI Energy Score's figures of one run by separate passes (absent or null where that method did not run). */
export interface SeparatePassesRecord {
  /** Each pass in phase order, the last being the run itself: it ends each query after `endsAfter`; its energy over the whole pass, J, ±95%. */
  passes: Array<{ endsAfter: string; energyJ: number; uncertaintyJ: number; durationS: number; queries: number }>;
  /** Each phase: its pass less the pass before, J, ±95% (the two passes' half-widths added). */
  phases: Record<string, { energyJ: number; uncertaintyJ: number }>;
  /** Each phase, Wh per 1,000 queries. */
  phaseWhPer1000: Record<string, number>;
}

/** Which figures the AI Energy Score files hold: each run's in-situ phases, or its separate passes. */
export type ScoreMethod = 'in-situ' | 'separate-passes';

/** One run's truth, J as measured (not normalized). */
export interface SimulatedRunTruth {
  index: number;
  /** Each phase's exact in-situ energy: the GPU's energy while the phase's scopes ran. */
  phaseJ: Record<string, number>;
  /**
   * Each phase alone: the energy its work asked for while its scopes ran (the power the workload
   * set, before the GPU's response), what the phase draws run by itself in steady state.
   */
  isolatedJ?: Record<string, number>;
  /** Each phase by the separate passes (each pass's exact energy less the pass before); absent where they did not run. */
  separatePassesJ?: Record<string, number>;
}

export interface SimulatedTruth {
  sensorProfile: string;
  counter: string;
  /** Each phase's exact in-situ energy, Wh per 1,000 queries, mean over the included runs (all of them where none is). */
  phaseWhPer1000: Record<string, number>;
  totalWhPer1000: number;
  /** Each phase alone (the runs' isolatedJ), Wh per 1,000 queries, mean over the same runs (absent in reports of older versions). */
  isolatedWhPer1000?: Record<string, number>;
  /** Each phase by the separate passes, Wh per 1,000 queries, mean over the same runs (absent where they did not run). */
  separatePassesWhPer1000?: Record<string, number>;
  /** Run by run (absent in reports of older versions). */
  runs?: SimulatedRunTruth[];
}
