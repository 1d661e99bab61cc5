/**
 * CPU and RAM energy through to the reports, on a powercap tree driven at known power: the run
 * records, benchmark_report.json's cpu/ram/total (kWh), the ai_energy_benchmarks format's
 * cpu/ram/total Wh, timeline.json, and `impact`, which uses them instead of its fixed ratios. The
 * AI Energy Score files stay GPU-only. Where RAPL cannot be read, the report says why: no zeros.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnergyMonitor, type MonitorOptions } from '../src/index.js';
import { runBenchmark } from '../src/runner/runner.js';
import { syntheticDataset, syntheticHandler } from '../src/runner/synthetic.js';
import { runCli } from './helpers/cli.js';
import { haveCompiler, startDrivenTree, type DrivenTree } from './helpers/powercap.js';
import { configureSim } from './helpers/sim.js';

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The synthetic workload on the simulated H100, with a monitor opened with `options`, written to `outDir`. */
async function syntheticBenchmark(options: MonitorOptions, outDir: string, queries: number, runs: number) {
  const sim = configureSim({ control: true });
  const monitor = await EnergyMonitor.open({ simulate: true, ...options });
  try {
    const handler = syntheticHandler(sim);
    return await runBenchmark({ dataset: syntheticDataset(queries), handler, runs, warmup: 0, outDir, monitor, idleMeasureS: 0, randomDelayMaxS: 0 });
  } finally {
    await monitor.close();
  }
}

describe.skipIf(!haveCompiler)('CPU and RAM energy in the reports (skipped without a C compiler: the tree is driven by a C program)', () => {
  let tree: DrivenTree;
  beforeAll(async () => {
    tree = await startDrivenTree();
  });
  afterAll(() => tree?.stop());

  it('fills benchmark_report cpu/ram/total, the ai_energy_benchmarks figures, timeline.json and impact; GPU_ENERGY files stay GPU-only', async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'wattscope-rapl-report-'));
    const report = await syntheticBenchmark({ cpu: true, powercapRoot: tree.root }, outDir, 20, 2);
    expect(report.status).toBe('complete');
    for (const run of report.runs) {
      expect(run.cpu!.reason).toBeNull();
      // The packages run at 50 to 110 W and the DRAM at 12 to 14 W on the driven tree.
      expect(run.cpu!.packageEnergyJ! / run.durationS).toBeGreaterThan(49);
      expect(run.cpu!.packageEnergyJ! / run.durationS).toBeLessThan(111);
      expect(run.cpu!.dramEnergyJ! / run.durationS).toBeGreaterThan(11.9);
      expect(run.cpu!.dramEnergyJ! / run.durationS).toBeLessThan(14.1);
      for (const phase of Object.values(run.phases)) expect(phase.cpu!.packageEnergyJ).toBeGreaterThan(0);
    }
    expect(report.notes.join('\n')).toMatch(/cpu and ram are RAPL's CPU packages and DRAM \(intel-rapl:0, intel-rapl:0:0, intel-rapl:1, intel-rapl:1:0\)/);

    // benchmark_report.json: per phase, the mean of the runs per 1,000 queries, kWh; total = gpu + cpu + ram.
    const optimum = readJson(path.join(outDir, 'benchmark_report.json'));
    const scale = 1000 / 20;
    // A phase boundary whose zone read failed (the driven tree's files caught mid-write, seen with
    // busy loops beside the suite) leaves that phase's figure null with the read's reason, never 0,
    // and the mean over runs null: the report holds what every run measured, or nothing.
    // The mean is over the runs the report includes (a busy machine can leave one out as unstable).
    const included = report.runs.filter((r) => r.included);
    const meanPhaseKwh = (phase: string, figure: 'packageEnergyJ' | 'dramEnergyJ') => {
      const values = included.map((r) => r.phases[phase]!.cpu!);
      for (const cpu of values) if (cpu[figure] === null) expect(cpu.reason, `${phase} ${figure}`).toMatch(/\S/);
      if (values.some((cpu) => cpu[figure] === null)) return null;
      return (values.reduce((sum, cpu) => sum + cpu[figure]!, 0) / values.length) * (scale / 3.6e6);
    };
    for (const phase of ['prefill', 'decode']) {
      const energy = optimum[phase].energy;
      for (const [figure, field] of [
        ['packageEnergyJ', 'cpu'],
        ['dramEnergyJ', 'ram'],
      ] as const) {
        const expected = meanPhaseKwh(phase, figure);
        if (expected === null) expect(energy[field]).toBeNull();
        else expect(energy[field]).toBeCloseTo(expected, 12);
      }
      if (energy.cpu !== null && energy.ram !== null) expect(energy.total).toBeCloseTo(energy.gpu + energy.cpu + energy.ram, 15);
    }
    // The AI Energy Score files: GPU only.
    const summary = readJson(path.join(outDir, 'GPU_ENERGY_SUMMARY.json'));
    expect(summary.total).toBeCloseTo(
      ['preprocess', 'prefill', 'decode'].reduce((s, p) => s + (optimum[p].energy?.gpu ?? 0) * 1000, 0),
      2,
    );

    // ai_energy_benchmarks: the pass's cpu and ram Wh, and the total.
    const pass = readJson(path.join(outDir, 'ai_energy_benchmarks', 'benchmark_report.json'));
    const meanRunWh = (figure: 'packageEnergyJ' | 'dramEnergyJ') => report.runs.reduce((sum, r) => sum + r.cpu![figure]!, 0) / report.runs.length / 3600;
    expect(pass.energy.cpu_energy_wh).toBeCloseTo(meanRunWh('packageEnergyJ'), 12);
    expect(pass.energy.ram_energy_wh).toBeCloseTo(meanRunWh('dramEnergyJ'), 12);
    expect(pass.energy.total_energy_wh).toBeCloseTo(pass.energy.gpu_energy_wh + pass.energy.cpu_energy_wh + pass.energy.ram_energy_wh, 12);

    // timeline.json: each run's CPU energy and its phases'.
    const timeline = readJson(path.join(outDir, 'timeline.json'));
    expect(timeline.runs.map((r: { cpu: { packageEnergyJ: number } }) => r.cpu.packageEnergyJ)).toEqual(report.runs.map((r) => r.cpu!.packageEnergyJ));
    expect(timeline.runs[0].cpu.phases.decode.packageEnergyJ).toBe(report.runs[0]!.phases.decode!.cpu!.packageEnergyJ);

    // impact: measured CPU and RAM (per 1,000 queries), not the fixed ratios.
    const impact = runCli(['impact', outDir, '--json']);
    expect(impact.status).toBe(0);
    const est = JSON.parse(impact.stdout) as { cpuRamSource: string; inputs: { cpuWhPer1000: number; ramWhPer1000: number } };
    expect(est.cpuRamSource).toMatch(/from the result \(measured: RAPL/);
    expect(est.inputs.cpuWhPer1000).toBeCloseTo(meanRunWh('packageEnergyJ') * scale, 9);
    expect(est.inputs.ramWhPer1000).toBeCloseTo(meanRunWh('dramEnergyJ') * scale, 9);
    expect(Object.keys((est as unknown as { defaulted: object }).defaulted)).not.toContain('cpuFractionOfGpu');
  }, 60_000);

  it('without RAPL, the runs, notes and formats say why and carry no zero; impact falls back to its ratios and says so', async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), 'wattscope-rapl-none-'));
    const absent = path.join(tree.root, 'absent');
    const report = await syntheticBenchmark({ powercapRoot: absent }, outDir, 10, 1);
    const run = report.runs[0]!;
    expect(run.cpu).toMatchObject({ packageEnergyJ: null, dramEnergyJ: null, reason: expect.stringContaining(`no RAPL package zone under ${absent}`) });
    expect(report.notes.join('\n')).toMatch(/cpu and ram are null where not read \(no RAPL package zone/);
    const optimum = readJson(path.join(outDir, 'benchmark_report.json'));
    expect(optimum.decode.energy).toMatchObject({ cpu: null, ram: null });
    expect(optimum.decode.energy.total).toBe(optimum.decode.energy.gpu);
    const pass = readJson(path.join(outDir, 'ai_energy_benchmarks', 'benchmark_report.json'));
    expect(pass.energy).toMatchObject({ cpu_energy_wh: null, ram_energy_wh: null, total_energy_wh: null });
    const impact = JSON.parse(runCli(['impact', outDir, '--json']).stdout) as { cpuRamSource: string; defaulted: Record<string, string> };
    expect(impact.cpuRamSource).toMatch(/not in the result: fixed ratios/);
    expect(Object.keys(impact.defaulted)).toEqual(expect.arrayContaining(['cpuFractionOfGpu', 'ramFractionOfGpu']));
  }, 60_000);
});
