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
import type { Measurement, QueryRecord } from '../monitor/types.js';
import { alonePowers, type AlonePower, type AloneScope } from './isolated-energy.js';
import type { DatasetRow } from './dataset.js';
import type { BenchmarkHandler } from './runner.js';

export interface CalibrationSettings {
  /** Rows calibrated (spread over the dataset). */
  rows: number;
  /** How long each phase is repeated back-to-back, s (at least two counter periods). */
  phaseS: number;
}

/** Calls `fn` at least once and again until `seconds` have passed; the last call's result. */
async function repeatFor<T>(fn: () => T | Promise<T>, seconds: number): Promise<T> {
  const until = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let result = await fn();
  while (process.hrtime.bigint() < until) result = await fn();
  return result;
}

/** How long a phase runs before its calibration scope opens, s: the measured H200's power follows its work 20-30 ms late and takes ~40 ms to fall. */
export const CALIBRATION_LEAD_S = 0.05;

/**
 * A query context in which phase `target` runs its function again and again for `seconds`. The
 * function runs for `leadS` (at least once, in a scope of its own) before its scope opens, so that
 * the scope holds the phase running alone in steady state: a GPU's power follows its work 20-30 ms late, and a scope
 * opened on the first call would hold the previous phase's tail (a 1 ms phase once before it is
 * not enough: the tail of the phase before lasts longer).
 */
export function repeatingPhase(q: QueryContext, target: string, seconds: number, leadS = CALIBRATION_LEAD_S): QueryContext {
  return {
    id: q.id,
    async phase<T>(name: string, fn: () => T | Promise<T>, counts?: ScopeCounts): Promise<T> {
      if (name !== target) return q.phase(name, fn, counts);
      // The lead-in is a scope of the phase too (a coarse sensor's regression must see its time as the
      // phase's, not as a gap), before the one the power alone is taken from: the record's last.
      await q.phase(name, () => repeatFor(fn, leadS), counts);
      return q.phase(name, () => repeatFor(fn, seconds), counts);
    },
    count: (phase, counts) => q.count(phase, counts),
  };
}

/**
 * Runs the calibration pass; returns how many calibration queries ran, how long it took, s, and
 * each phase's power alone (its repeated scopes' energy over their time, once settled).
 */
export async function calibratePhases(
  monitor: EnergyMonitor,
  rows: readonly DatasetRow[],
  handler: BenchmarkHandler,
  phases: readonly string[],
  settings: CalibrationSettings,
  signal: AbortSignal,
): Promise<{ queries: number; durationS: number; alone: Record<string, AlonePower> }> {
  const started = process.hrtime.bigint();
  const picked = Array.from(
    { length: Math.min(settings.rows, rows.length) },
    (_, i) => rows[Math.floor((i * rows.length) / Math.min(settings.rows, rows.length))]!,
  );
  let queries = 0;
  const records: Array<{ phase: string; record: QueryRecord<unknown> }> = [];
  for (const [i, row] of picked.entries()) {
    for (const phase of phases) {
      if (signal.aborted) break;
      const record = await monitor
        .query(`calibration-${phase}-${i}`, (q) => handler(row, repeatingPhase(q, phase, settings.phaseS), { signal }))
        .catch(() => null);
      if (record) records.push({ phase, record });
      queries++;
    }
  }
  await monitor.settle();
  // Each record's last scope of its phase: the steady one, after the lead-in's.
  const scopes = records.flatMap(({ phase, record }) =>
    record.phases
      .filter((m) => m.phase === phase)
      .slice(-1)
      .map((m) => aloneScope(phase, m)),
  );
  return { queries, durationS: Number(process.hrtime.bigint() - started) / 1e9, alone: alonePowers(scopes) };
}

/** A calibration scope as alonePowers takes it (an unmeasured one has no finite energy and is left out). */
export function aloneScope(phase: string, m: Measurement): AloneScope {
  return m.status === 'measured'
    ? { phase, energyJ: m.energyJ, uncertaintyJ: m.uncertaintyJ, durationS: m.durationS, tokens: m.tokens }
    : { phase, energyJ: NaN, uncertaintyJ: NaN, durationS: m.durationS, tokens: m.tokens };
}
