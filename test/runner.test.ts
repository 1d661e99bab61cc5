/** The benchmark runner against the simulated GPU with a workload of known power. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnergyMonitor, type Measurement } from '../src/index.js';
import { summarizeBenchmarkReport, pyRound2 } from '../src/formats/ai-energy-score.js';
import { loadDataset } from '../src/runner/dataset.js';
import { WattscopeReportSchema } from '../src/formats/report-schema.js';
import { runBenchmark } from '../src/runner/runner.js';
import { unscoredReason } from '../src/runner/analysis.js';
import { tQuantile975 } from '../src/runner/stats.js';
import { syntheticDataset, syntheticHandler } from '../src/runner/synthetic.js';
import { configureSim } from './helpers/sim.js';
import { unresolvedIntervalsJ } from './helpers/unresolved.js';

const optimumReport = path.resolve(import.meta.dirname, 'fixtures', 'optimum-benchmark-report-example', 'benchmark_report.json');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'wattscope-run-'));

describe('AI Energy Score arithmetic', () => {
  it('reproduces the summarizer on the real optimum-benchmark report (test/fixtures)', () => {
    const { gpuEnergyWhText, summary } = summarizeBenchmarkReport(JSON.parse(readFileSync(optimumReport, 'utf8')));
    expect(gpuEnergyWhText).toBe('133.71\n');
    expect(summary).toEqual({ units: 'Wh', total: 133.71, preprocess_wh: 0.16, prefill_wh: 72.01, decode_wh: 61.54 });
  });

  it("rounds like Python's round(x, 2), ties to even", () => {
    expect(pyRound2(0.125)).toBe(0.12);
    expect(pyRound2(0.375)).toBe(0.38);
    expect(pyRound2(2.675)).toBe(2.67); // 2.67499999... in binary
    expect(pyRound2(1.005)).toBe(1); // 1.00499999...
    expect(pyRound2(72.0086028)).toBe(72.01);
  });

  it('a report that is not optimum-benchmark shaped is a typed error naming the field', () => {
    expect(() => summarizeBenchmarkReport({ prefill: { energy: { gpu: 'x' } } }, 'r.json')).toThrow(
      expect.objectContaining({ code: 'WATTSCOPE_BAD_REPORT', field: 'prefill.energy.gpu' }),
    );
  });
});

describe('runBenchmark on the simulated H100', () => {
  it('per-phase values, totals, means and intervals match the truth; outputs agree with the summarizer', async () => {
    const sim = configureSim({ control: true });
    const phases: Measurement[] = [];
    const unresolvedJ = new Map<Measurement, Map<bigint, number>>();
    const monitor: EnergyMonitor = await EnergyMonitor.open({
      simulate: true,
      sampleHz: 5000,
      onMeasurement: (m) => {
        if (!m.phase) return;
        phases.push(m);
        const windowNs: [bigint, bigint] = [m.startNs - 50_000_000n, m.endNs + 50_000_000n];
        unresolvedJ.set(m, unresolvedIntervalsJ(monitor.timeline(0, ...windowNs), windowNs, [m.startNs, m.endNs], sim));
      },
    });
    const outDir = tmp();
    const queries = 300;
    const report = await runBenchmark({
      dataset: syntheticDataset(queries),
      handler: syntheticHandler(sim),
      runs: 3,
      warmup: 5,
      outDir,
      monitor,
      idleMeasureS: 0.5,
      randomDelayMaxS: 0.2,
    });
    await monitor.close();
    expect(report.status).toBe('complete');
    expect(WattscopeReportSchema.safeParse(report).success).toBe(true);
    // The idle power is the simulator's 70 W.
    expect(report.idle!.powerW).toBeGreaterThan(69);
    expect(report.idle!.powerW).toBeLessThan(71);
    // Truth per run and phase, from the simulator's exact integral over each phase scope.
    const counted = phases.filter((m) => !String(m.queryId).startsWith('warmup')).sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
    expect(counted).toHaveLength(3 * queries * 3);
    const scale = 1000 / queries;
    const totals: Record<string, { estimateJ: number; truthJ: number; ambiguousJ: number }> = {
      preprocess: { estimateJ: 0, truthJ: 0, ambiguousJ: 0 },
      prefill: { estimateJ: 0, truthJ: 0, ambiguousJ: 0 },
      decode: { estimateJ: 0, truthJ: 0, ambiguousJ: 0 },
    };
    for (let r = 0; r < 3; r++) {
      const inRun = counted.slice(r * queries * 3, (r + 1) * queries * 3);
      for (const p of ['preprocess', 'prefill', 'decode']) {
        const truthJ = inRun.filter((m) => m.phase === p).reduce((s, m) => s + sim.energyJ(0, m.startNs, m.endNs), 0);
        const run = report.runs[r]!;
        // Phases of 1-2.4 ms at 5 kHz (ideal sensor): each run's phase within its stated uncertainty,
        // and within 3% of the truth plus the energy of the sample intervals in which it could not
        // resolve the steps (measured here: they grow when the sampler thread runs late, as on a busy
        // machine; a quiet run of this test had 18-57 J of them per run and phase, and errors of
        // 0.02-0.6%). Over the three runs, within 1.5% plus the same (below). Seen failing with a fixed
        // 3% when two busy loops and the suite's other files shared the two cores: run 0's preprocess 4.3%.
        const ambiguousJ = inRun.filter((m) => m.phase === p).reduce((sum, m) => sum + [...unresolvedJ.get(m)!.values()].reduce((a, b) => a + b, 0), 0);
        const where = `run ${r} ${p}: estimate ${run.phases[p]!.energyJ.toFixed(3)} J +- ${run.phases[p]!.uncertaintyJ.toFixed(3)}, truth ${truthJ.toFixed(3)} J, unresolved ${ambiguousJ.toFixed(3)} J, method ${run.method}, flags ${run.flags.join(',')}`;
        expect(Math.abs(run.phases[p]!.energyJ - truthJ), where).toBeLessThanOrEqual(run.phases[p]!.uncertaintyJ);
        expect(Math.abs(run.phases[p]!.energyJ - truthJ), where).toBeLessThan(0.03 * truthJ + ambiguousJ);
        totals[p]!.estimateJ += run.phases[p]!.energyJ;
        totals[p]!.truthJ += truthJ;
        totals[p]!.ambiguousJ += ambiguousJ;
        expect(run.phaseWhPer1000[p]).toBeCloseTo((run.phases[p]!.energyJ * scale) / 3600, 12);
      }
      expect(report.runs[r]!.phases.decode!.tokens).toBe(queries * 10);
      // The run's total is the counter delta: it matches the simulator's integral tightly.
      const first = inRun[0]!;
      const last = inRun[inRun.length - 1]!;
      const truthSpan = sim.energyJ(0, first.startNs, last.endNs);
      const attributed = Object.values(report.runs[r]!.phases).reduce((a, x) => a + x.energyJ, 0);
      expect(attributed).toBeLessThan(report.runs[r]!.totalEnergyJ);
      expect(truthSpan).toBeLessThan(report.runs[r]!.totalEnergyJ * 1.001);
    }
    for (const [p, t] of Object.entries(totals)) {
      expect(Math.abs(t.estimateJ - t.truthJ), `${p} over the three runs, unresolved ${t.ambiguousJ.toFixed(3)} J`).toBeLessThan(
        0.015 * t.truthJ + t.ambiguousJ,
      );
    }
    // Means and Student-t intervals over runs.
    // Over the included runs: a run whose conditions were unstable (seen with busy loops beside the
    // suite) is left out of the means, and says why.
    const agg = report.aggregate!;
    const included = report.runs.filter((r) => r.included);
    for (const r of report.runs) if (!r.included) expect(r.unstable.length, `run ${r.index} left out without a reason`).toBeGreaterThan(0);
    expect(agg.includedRuns).toEqual(included.map((r) => r.index));
    for (const p of ['preprocess', 'prefill', 'decode']) {
      const xs = included.map((r) => r.phaseWhPer1000[p]!);
      const n = xs.length;
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      expect(agg.phaseWhPer1000[p]!.mean).toBeCloseTo(mean, 12);
      if (n < 2) continue;
      const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
      expect(agg.phaseWhPer1000[p]!.ci95[1] - mean).toBeCloseTo((tQuantile975(n - 1) * sd) / Math.sqrt(n), 9);
    }
    expect(tQuantile975(2)).toBe(4.303);
    // Files: GPU_ENERGY_WH.txt and the summary follow the summarizer applied to benchmark_report.json.
    const bench = JSON.parse(readFileSync(path.join(outDir, 'benchmark_report.json'), 'utf8'));
    const expected = summarizeBenchmarkReport(bench);
    expect(readFileSync(path.join(outDir, 'GPU_ENERGY_WH.txt'), 'utf8')).toBe(expected.gpuEnergyWhText);
    // The summarizer's figures, and which method made them (runBenchmark's default: each phase in situ).
    expect(JSON.parse(readFileSync(path.join(outDir, 'GPU_ENERGY_SUMMARY.json'), 'utf8'))).toEqual({ ...expected.summary, method: 'in-situ' });
    expect(bench.prefill.measures).toHaveLength(included.length);
    expect(bench.prefill.energy.unit).toBe('kWh');
    expect(bench.prefill.energy.gpu).toBeCloseTo(agg.phaseWhPer1000.prefill!.mean / 1000, 12);
    expect(bench.prefill.efficiency.unit).toBe('tokens/kWh');
    expect(bench.preprocess.efficiency.unit).toBe('samples/kWh');
    expect(report.notes.join(' ')).toMatch(/300 queries, not 1,000/);
    const onDisk = WattscopeReportSchema.parse(JSON.parse(readFileSync(path.join(outDir, 'wattscope-report.json'), 'utf8')));
    expect(onDisk.runs).toHaveLength(3);
  }, 120_000);

  it("failed queries: 1 of 20 (the methodology's 5%) still scores; 2 of 20 leave the run out, and no fallback puts it back", async () => {
    const sim = configureSim({ control: true });
    const monitor = await EnergyMonitor.open({ simulate: true });
    const base = syntheticHandler(sim);
    let calls = 0;
    const failing = new Set([8, 28, 29]); // run 0: one query; run 1: two
    const report = await runBenchmark({
      dataset: syntheticDataset(20),
      runs: 2,
      warmup: 0,
      monitor,
      idleMeasureS: 0,
      randomDelayMaxS: 0,
      handler: async (row, q, ctx) => {
        if (failing.has(++calls)) throw new Error('model crashed');
        await base(row, q, ctx);
      },
    });
    await monitor.close();
    expect(report.runs.map((r) => r.failedQueries)).toEqual([1, 2]);
    expect(report.runs[0]!.unstable.join()).toMatch(/failed-queries-within-limit: 1 of 20/);
    expect(report.runs[1]!.unstable.join()).toMatch(/failed-queries: 2 of 20 queries threw, over the 5% allowed/);
    expect(report.runs.map((r) => r.included)).toEqual([true, false]);
    expect(report.aggregate!.includedRuns).toEqual([0]);

    // Every run failing beyond the limit: none is included, there is no score.
    const allFail = await runBenchmark({
      dataset: syntheticDataset(20),
      runs: 2,
      warmup: 0,
      monitor: { simulate: true },
      idleMeasureS: 0,
      randomDelayMaxS: 0,
      handler: async (row) => {
        if (row.index % 4 === 0) throw new Error('model crashed');
      },
    });
    expect(allFail.runs.map((r) => r.included)).toEqual([false, false]);
    expect(allFail.aiEnergyScore).toBeNull();
    expect(unscoredReason(allFail.runs)).toMatch(/^no run can be scored, so no GPU_ENERGY_WH\.txt was written \(run 0: failed-queries: 5 of 20/);
  }, 60_000);
});

describe('bad input names the place', () => {
  it('a bad dataset row names the file, the line and the field (JSONL, CSV, Parquet)', async () => {
    const dir = tmp();
    const jsonl = path.join(dir, 'd.jsonl');
    writeFileSync(jsonl, '{"text":"a"}\n{"text":"b"}\n{"txt":"c"}\n');
    await expect(loadDataset({ path: jsonl })).rejects.toMatchObject({ code: 'WATTSCOPE_BAD_DATASET', file: jsonl, line: 3, field: 'text' });
    writeFileSync(jsonl, '{"text":"a"}\n{"text": \n');
    await expect(loadDataset({ path: jsonl })).rejects.toMatchObject({ line: 2, message: expect.stringMatching(/not valid JSON/) });
    const csv = path.join(dir, 'd.csv');
    writeFileSync(csv, 'id,question,context\n1,"What, if anything?","multi\nline"\n2,,ctx\n');
    await expect(loadDataset({ path: csv, task: 'question-answering' })).rejects.toMatchObject({ file: csv, line: 4, field: 'question' });
    writeFileSync(csv, 'id,question,context\n1,"What, if anything?","multi\nline ""quoted"""\n');
    const ok = await loadDataset({ path: csv, task: 'question-answering' });
    expect(ok.rows[0]!.inputs).toEqual({ question: 'What, if anything?', context: 'multi\nline "quoted"' });
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const pq = path.join(dir, 'd.parquet');
    writeFileSync(pq, Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['one', 'two', ''], type: 'STRING' }] })));
    await expect(loadDataset({ path: pq })).rejects.toMatchObject({ file: pq, line: 3, field: 'text', message: expect.stringMatching(/row 3/) });
    writeFileSync(pq, Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['one', 'two'], type: 'STRING' }] })));
    expect((await loadDataset({ path: pq })).rows.map((r) => r.text)).toEqual(['one', 'two']);
  });

  it("a UTF-8 byte order mark (a spreadsheet's CSV export) is not part of the first column's name", async () => {
    const dir = tmp();
    const csv = path.join(dir, 'bom.csv');
    writeFileSync(csv, '\uFEFFtext,id\nhello,1\nworld,2\n');
    const loaded = await loadDataset({ path: csv });
    expect(loaded.columns).toEqual(['text']);
    expect(loaded.rows.map((r) => r.text)).toEqual(['hello', 'world']);
    const jsonl = path.join(dir, 'bom.jsonl');
    writeFileSync(jsonl, '\uFEFF{"text":"a"}\n{"text":"b"}\n');
    expect((await loadDataset({ path: jsonl })).rows.map((r) => r.text)).toEqual(['a', 'b']);
  });
});

describe('runner options', () => {
  it('cooldown waits for temperature and power to return near idle; subtractIdle removes idle W x duration, flagged in the notes', async () => {
    const sim = configureSim({ control: true });
    const monitor = await EnergyMonitor.open({ simulate: true, sampleHz: 2000 });
    // Each run heats the simulated GPU (its temperature follows the last second's power).
    const report = await runBenchmark({
      dataset: syntheticDataset(300),
      runs: 2,
      warmup: 0,
      monitor,
      idleMeasureS: 0.3,
      randomDelayMaxS: 0,
      cooldown: { enabled: true, maxWaitS: 5, temperatureMarginC: 2, powerMarginW: 10 },
      subtractIdle: true,
      handler: syntheticHandler(sim),
    });
    // A GPU that cannot cool down (held at 500 W after run 0) times out before run 1, and the run says so.
    const stuck = await runBenchmark({
      dataset: syntheticDataset(20),
      runs: 2,
      warmup: 0,
      monitor,
      idleMeasureS: 0.2,
      randomDelayMaxS: 0,
      cooldown: { enabled: true, maxWaitS: 0.5, temperatureMarginC: 2, powerMarginW: 10 },
      handler: async (row, q, ctx) => {
        await syntheticHandler(sim)(row, q, ctx);
        sim.setPower(500);
      },
    });
    await monitor.close();
    expect(stuck.runs[0]!.flags).not.toContain('cooldown-timeout');
    expect(stuck.runs[1]!.flags).toContain('cooldown-timeout');
    expect(stuck.runs[1]!.unstable.join()).toMatch(/cooldown-timeout/);
    // subtractIdle without an idle measurement is refused, not silently a subtraction of 0 W.
    await expect(
      runBenchmark({
        dataset: syntheticDataset(5),
        runs: 1,
        warmup: 0,
        monitor: { simulate: true },
        idleMeasureS: 0,
        subtractIdle: true,
        handler: () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'WATTSCOPE_INVALID_OPTIONS', field: 'subtractIdle' });
    expect(report.runs[0]!.cooldownS).toBeLessThan(0.5);
    expect(report.runs[1]!.cooldownS).toBeGreaterThan(0.3);
    expect(report.runs[1]!.startTemperatureC).toBeLessThanOrEqual(report.idle!.temperatureC! + 2);
    const run = report.runs[0]!;
    const idleW = report.idle!.powerW;
    const scale = 1000 / 300;
    expect(run.phaseWhPer1000.prefill).toBeCloseTo(((run.phases.prefill!.energyJ - idleW * run.phases.prefill!.durationS) * scale) / 3600, 9);
    expect(report.notes.join(' ')).toMatch(/idle power was subtracted/);
  }, 60_000);
});
