/**
 * The demo's ground truth: the simulator's exact energy of every counted phase scope, from the
 * power the synthetic workload set, so that the console and report.html show each estimate
 * beside the truth (and the sensor profile that made it hard).
 */
import type { Measurement } from '../measure/types.js';
import type { WattscopeReport } from '../runner/report-schema.js';
import { PowerHistory } from '../sim/power-history.js';

/** Query ids the runner uses for queries that no run counts. */
const UNCOUNTED = /^(warmup|calibration)-/;

export class DemoTruth {
  readonly history: PowerHistory;
  readonly #phaseJ = new Map<string, number>();

  constructor(idleW: number) {
    this.history = new PowerHistory(idleW);
  }

  /** For EnergyMonitor's onMeasurement: adds each counted phase scope's true energy. */
  readonly onMeasurement = (m: Measurement): void => {
    if (!m.phase || UNCOUNTED.test(String(m.queryId))) return;
    this.#phaseJ.set(m.phase, (this.#phaseJ.get(m.phase) ?? 0) + this.history.energyJ(m.startNs, m.endNs));
  };

  /** The truth per phase, Wh per 1,000 queries, mean over the runs this process measured. */
  summarize(report: WattscopeReport, runsMeasured: number, sensorProfile: string, counter: string): NonNullable<WattscopeReport['simulatedTruth']> {
    const queriesPerRun = report.benchmark.dataset.rows;
    const perRunPer1000 = (j: number) => (j / runsMeasured) * (1000 / queriesPerRun) / 3600;
    const phaseWhPer1000 = Object.fromEntries([...this.#phaseJ].map(([p, j]) => [p, perRunPer1000(j)]));
    const totalWhPer1000 = Object.values(phaseWhPer1000).reduce((s, wh) => s + wh, 0);
    return { sensorProfile, counter, phaseWhPer1000, totalWhPer1000 };
  }
}
