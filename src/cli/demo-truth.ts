/**
 * The demo's ground truth: the simulator's exact energy of every counted phase scope, computed
 * from the power changes the simulator applied (its applied-changes log: a change takes effect no
 * earlier than its last read), so that the console and report.html show each estimate beside
 * the truth (and the sensor profile that made it hard).
 */
import type { Measurement } from '../measure/types.js';
import type { WattscopeReport } from '../formats/report-types.js';
import { appliedLogPath, readAppliedChanges } from '../sim/applied-log.js';
import { PowerHistory } from '../sim/power-history.js';

/** Query ids the runner uses for queries that no run counts. */
const UNCOUNTED = /^(warmup|calibration)-/;

export class DemoTruth {
  readonly #idleW: number;
  readonly #spans: Array<{ phase: string; startNs: bigint; endNs: bigint }> = [];

  constructor(idleW: number) {
    this.#idleW = idleW;
  }

  /** For EnergyMonitor's onMeasurement: keeps each counted phase scope's span. */
  readonly onMeasurement = (m: Measurement): void => {
    if (!m.phase || UNCOUNTED.test(String(m.queryId))) return;
    this.#spans.push({ phase: m.phase, startNs: m.startNs, endNs: m.endNs });
  };

  /** The truth per phase, Wh per 1,000 queries, mean over the runs this process measured. */
  summarize(
    report: WattscopeReport,
    runsMeasured: number,
    controlFile: string,
    sensorProfile: string,
    counter: string,
  ): NonNullable<WattscopeReport['simulatedTruth']> {
    const history = new PowerHistory(this.#idleW);
    for (const change of readAppliedChanges(appliedLogPath(controlFile))) history.record(change.tNs, change.watts);
    const phaseJ = new Map<string, number>();
    for (const s of this.#spans) phaseJ.set(s.phase, (phaseJ.get(s.phase) ?? 0) + history.energyJ(s.startNs, s.endNs));
    const queriesPerRun = report.benchmark.dataset.rows;
    const perRunPer1000 = (j: number) => ((j / runsMeasured) * (1000 / queriesPerRun)) / 3600;
    const phaseWhPer1000 = Object.fromEntries([...phaseJ].map(([p, j]) => [p, perRunPer1000(j)]));
    const totalWhPer1000 = Object.values(phaseWhPer1000).reduce((s, wh) => s + wh, 0);
    return { sensorProfile, counter, phaseWhPer1000, totalWhPer1000 };
  }
}
