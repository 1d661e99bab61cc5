/**
 * A calibration pass for coarse power sensors. On an H100 the power reading is refreshed only
 * every ~100 ms, and in a benchmark whose phases last milliseconds every counter step holds the
 * same mix of phases, so the steps cannot tell the phases' powers apart. Here each phase of a few
 * rows is repeated back-to-back for at least `phaseS` seconds (several counter steps of that phase
 * alone, as optimum-benchmark's separate prefill run gives), which pins each phase's power in the
 * monitor's regression. Calibration queries are never counted in a run.
 */
import type { EnergyMonitor } from '../monitor/monitor.js';
import type { QueryContext, ScopeCounts } from '../monitor/scope.js';
import type { DatasetRow } from './dataset.js';
import type { BenchmarkHandler } from './runner.js';

export interface CalibrationSettings {
  /** Rows calibrated (spread over the dataset). */
  rows: number;
  /** How long each phase is repeated back-to-back, s (at least two counter periods). */
  phaseS: number;
}

/** A query context in which phase `target` runs its function again and again for `seconds`. */
export function repeatingPhase(q: QueryContext, target: string, seconds: number): QueryContext {
  return {
    id: q.id,
    phase<T>(name: string, fn: () => T | Promise<T>, counts?: ScopeCounts): Promise<T> {
      if (name !== target) return q.phase(name, fn, counts);
      return q.phase(
        name,
        async () => {
          const until = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
          let result = await fn();
          while (process.hrtime.bigint() < until) result = await fn();
          return result;
        },
        counts,
      );
    },
    count: (phase, counts) => q.count(phase, counts),
  };
}

/** Runs the calibration pass; returns how many calibration queries ran and how long it took, s. */
export async function calibratePhases(
  monitor: EnergyMonitor,
  rows: readonly DatasetRow[],
  handler: BenchmarkHandler,
  phases: readonly string[],
  settings: CalibrationSettings,
  signal: AbortSignal,
): Promise<{ queries: number; durationS: number }> {
  const started = process.hrtime.bigint();
  const picked = Array.from(
    { length: Math.min(settings.rows, rows.length) },
    (_, i) => rows[Math.floor((i * rows.length) / Math.min(settings.rows, rows.length))]!,
  );
  let queries = 0;
  for (const [i, row] of picked.entries()) {
    for (const phase of phases) {
      if (signal.aborted) break;
      await monitor.query(`calibration-${phase}-${i}`, (q) => handler(row, repeatingPhase(q, phase, settings.phaseS), { signal })).catch(() => undefined);
      queries++;
    }
  }
  return { queries, durationS: Number(process.hrtime.bigint() - started) / 1e9 };
}
