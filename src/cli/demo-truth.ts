/**
 * The demo's ground truth: the simulator's exact energy of every counted phase scope, computed
 * from the power changes the simulator applied (its applied-changes log: a change takes effect no
 * earlier than its last read), so that the console and report.html show each estimate beside
 * the truth (and the sensor profile that made it hard). On profile h200 the truth is the energy the
 * GPU drew while each phase ran (src/sim/drawn-power.ts: the work's power through the measured
 * response), since that is what the counter integrates and what any in-situ figure can be.
 */
import type { Measurement } from '../monitor/types.js';
import type { WattscopeReport } from '../formats/report-types.js';
import { appliedLogPath, readAppliedChanges } from '../sim/applied-log.js';
import { PowerHistory } from '../sim/power-history.js';
import { DrawnPower, responseParamsFromEnv } from '../sim/drawn-power.js';

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
    const energyJ = sensorProfile === 'h200' ? this.#drawnEnergy(history) : (a: bigint, b: bigint) => history.energyJ(a, b);
    const phaseJ = new Map<string, number>();
    for (const s of this.#spans) phaseJ.set(s.phase, (phaseJ.get(s.phase) ?? 0) + energyJ(s.startNs, s.endNs));
    const queriesPerRun = report.benchmark.dataset.rows;
    const perRunPer1000 = (j: number) => ((j / runsMeasured) * (1000 / queriesPerRun)) / 3600;
    const phaseWhPer1000 = Object.fromEntries([...phaseJ].map(([p, j]) => [p, perRunPer1000(j)]));
    const totalWhPer1000 = Object.values(phaseWhPer1000).reduce((s, wh) => s + wh, 0);
    return { sensorProfile, counter, phaseWhPer1000, totalWhPer1000 };
  }

  /** The drawn power's energy function over the spans (the work idle before its first change). */
  #drawnEnergy(work: PowerHistory): (startNs: bigint, endNs: bigint) => number {
    if (this.#spans.length === 0) return () => 0;
    let fromNs = this.#spans[0]!.startNs;
    let toNs = this.#spans[0]!.endNs;
    for (const s of this.#spans) {
      if (s.startNs < fromNs) fromNs = s.startNs;
      if (s.endNs > toNs) toNs = s.endNs;
    }
    const firstChangeNs = work.firstChangeNs();
    if (firstChangeNs !== null && firstChangeNs < fromNs) fromNs = firstChangeNs;
    const drawn = new DrawnPower(work, responseParamsFromEnv(), fromNs, toNs);
    return (startNs, endNs) => drawn.energyJ(startNs, endNs);
  }
}
