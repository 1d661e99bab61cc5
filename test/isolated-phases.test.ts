/**
 * Each phase alone and what interleaving costs, end to end on profile h200 (the measured H200's
 * power response: it follows the work ~9 ms late and settles over a few ms more): a benchmark with a
 * calibration pass reports, per run, each phase's isolated figure (its power where it ran by itself
 * times its time) against the simulator's own (the phase's power level times its time), and the
 * interleaving overhead (the run less its gaps and the phases alone) against the simulator's exact
 * energy of the phases in situ less the same.
 */
import { describe, expect, it } from 'vitest';
import { EnergyMonitor, type Measurement } from '../src/index.js';
import { runBenchmark, syntheticDataset } from '../src/public/runner.js';
import type { BenchmarkHandler } from '../src/runner/benchmark-types.js';
import { configureSim, spin } from './helpers/sim.js';

const LEVELS_W = { prefill: 520, decode: 360 } as const;
const QUERIES = 30;

describe('phases alone on profile h200 (calibration on)', () => {
  it("each run's isolated figure of each phase within 3% of the simulator's and within its interval; the overhead within its interval of the truth", async () => {
    const sim = configureSim({ control: true, sensor: 'h200', seed: 11 });
    const handler: BenchmarkHandler = async (_row, q) => {
      await q.phase('prefill', () => (sim.setPower(LEVELS_W.prefill), spin(40)), { tokens: 20 });
      await q.phase('decode', () => (sim.setPower(LEVELS_W.decode), spin(110)), { tokens: 10 });
      sim.setPower(150);
      spin(15);
    };
    const measured: Measurement[] = [];
    const monitor = await EnergyMonitor.open({ simulate: true, onMeasurement: (m) => m.phase && measured.push(m) });
    const report = await runBenchmark({
      dataset: syntheticDataset(QUERIES),
      handler,
      phases: ['prefill', 'decode'],
      runs: 2,
      warmup: 2,
      idleMeasureS: 0.3,
      calibration: { rows: 2, phaseS: 0.5 },
      monitor,
    }).finally(() => monitor.close());
    expect(report.notes.join('\n')).toMatch(/calibration: .*each phase's power alone/);
    const counted = measured.filter((m) => !/^(warmup|calibration)-/.test(String(m.queryId))).sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
    report.runs.forEach((run, r) => {
      const inRun = counted.slice(r * QUERIES * 2, (r + 1) * QUERIES * 2);
      let inSituTruthJ = 0;
      let aloneTruthJ = 0;
      for (const phase of ['prefill', 'decode'] as const) {
        const figures = run.phases[phase]!;
        const truthJ = LEVELS_W[phase] * figures.durationS;
        const isolatedJ = figures.isolatedEnergyJ!;

        expect(Math.abs(isolatedJ - truthJ) / truthJ, `run ${r} ${phase}: ${isolatedJ} J alone, truth ${truthJ} J`).toBeLessThan(0.03);
        expect(Math.abs(isolatedJ - truthJ), `run ${r} ${phase}`).toBeLessThanOrEqual(figures.isolatedUncertaintyJ!);
        inSituTruthJ += inRun.filter((m) => m.phase === phase).reduce((s, m) => s + sim.energyJ(0, m.startNs, m.endNs), 0);
        aloneTruthJ += truthJ;
      }
      const overheadTruthJ = inSituTruthJ - aloneTruthJ;
      expect(
        Math.abs(run.interleavingOverheadJ! - overheadTruthJ),
        `run ${r}: overhead ${run.interleavingOverheadJ} J, truth ${overheadTruthJ} J`,
      ).toBeLessThanOrEqual(run.interleavingOverheadUncertaintyJ!);
    });
  }, 120_000);

  it('calibrates on an instant sensor too (the alone figures need it); without a pass the notes say why each phase alone is null', async () => {
    const sim = configureSim({ control: true, sensor: 'ideal', seed: 12 });
    const handler: BenchmarkHandler = async (_row, q) => {
      await q.phase('prefill', () => (sim.setPower(LEVELS_W.prefill), spin(20)));
      await q.phase('decode', () => (sim.setPower(LEVELS_W.decode), spin(30)));
      sim.setPower(150);
    };
    const monitor = await EnergyMonitor.open({ simulate: true });
    const bench = (calibration: { rows: number; phaseS: number } | false | undefined) =>
      runBenchmark({
        dataset: syntheticDataset(6),
        handler,
        phases: ['prefill', 'decode'],
        runs: 1,
        warmup: 1,
        idleMeasureS: 0.2,
        ...(calibration === undefined ? {} : { calibration }),
        monitor,
      });
    try {
      const calibrated = await bench({ rows: 1, phaseS: 0.3 });
      const run = calibrated.runs[0]!;
      for (const phase of ['prefill', 'decode'] as const) {
        const truthJ = LEVELS_W[phase] * run.phases[phase]!.durationS;
        expect(Math.abs(run.phases[phase]!.isolatedEnergyJ! - truthJ), phase).toBeLessThanOrEqual(run.phases[phase]!.isolatedUncertaintyJ!);
      }
      expect(run.interleavingOverheadJ).not.toBeNull();
      const refused = await bench(false);
      expect(refused.runs[0]!.phases.prefill!.isolatedEnergyJ ?? null).toBeNull();
      expect(refused.notes).toContain(
        "no calibration pass: the handler's phases cannot be called again (calibration: false); each phase alone (isolatedEnergyJ) and the runs' interleaving overhead are not estimated (null)",
      );
      const unasked = await bench(undefined);
      expect(unasked.runs[0]!.interleavingOverheadJ ?? null).toBeNull();
      expect(unasked.notes.join('\n')).toMatch(/no calibration pass: the calibration option was not given \(give calibration: \{\}/);
    } finally {
      await monitor.close();
    }
  }, 120_000);
});
