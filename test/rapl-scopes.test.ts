/**
 * CPU package and DRAM energy of scopes and runs, read by the sampler thread from a powercap tree
 * driven at known power (two packages with dram sub-zones, package 1 wrapping every ~0.4 s). On
 * the ideal tree (each read answered with the energy at that instant) and on a tree updated every
 * 1 ms, as a real RAPL counter is, every figure is within the uncertainty it states. The bounds are
 * the code's own: its half-width grows with the gap between the sampler's reads, so a busy machine
 * (reads delayed) widens the interval instead of failing the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnergyMonitor } from '../src/index.js';
import { haveCompiler, startDrivenTree, type DrivenTree } from './helpers/powercap.js';
import { runCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isPackage = (z: { name: string }) => z.name.startsWith('package');
const isDram = (z: { name: string }) => z.name === 'dram';

describe.skipIf(!haveCompiler)('CPU energy of scopes from RAPL (skipped without a C compiler: the tree is driven by a C program)', () => {
  let ideal: DrivenTree;
  beforeAll(async () => {
    configureSim();
    ideal = await startDrivenTree();
  });
  afterAll(() => ideal?.stop());

  it('scopes of 10 ms to 5 s are within the uncertainty they state, package 1 wrapping around meanwhile', async () => {
    const monitor = await EnergyMonitor.open({ simulate: true, cpu: true, powercapRoot: ideal.root });
    try {
      await sleep(50);
      const lengthsMs = [10, 10, 25, 50, 100, 250, 500, 1000, 5000];
      for (const ms of lengthsMs) {
        const { measurement } = await monitor.measure(`sleep ${ms}`, () => sleep(ms));
        const cpu = measurement.cpu!;
        expect(cpu.reason).toBeNull();
        const packageTruthJ = ideal.truthJ(measurement.startNs, measurement.endNs, isPackage);
        const dramTruthJ = ideal.truthJ(measurement.startNs, measurement.endNs, isDram);
        expect(Math.abs(cpu.packageEnergyJ! - packageTruthJ), `${ms} ms: ${cpu.packageEnergyJ} J, truth ${packageTruthJ} J`).toBeLessThanOrEqual(
          cpu.packageUncertaintyJ!,
        );
        expect(Math.abs(cpu.dramEnergyJ! - dramTruthJ), `${ms} ms DRAM: ${cpu.dramEnergyJ} J, truth ${dramTruthJ} J`).toBeLessThanOrEqual(
          cpu.dramUncertaintyJ!,
        );
        expect(cpu.method).toBe('rapl-counter');
      }
      expect(monitor.cpuStatus()!.zones).toEqual(['intel-rapl:0', 'intel-rapl:0:0', 'intel-rapl:1', 'intel-rapl:1:0']);
    } finally {
      await monitor.close();
    }
  }, 30_000);

  it('on a counter updated every 1 ms (as a real RAPL counter), every scope is within the uncertainty it states', async () => {
    const realistic = await startDrivenTree({ updateUs: 1000 });
    const monitor = await EnergyMonitor.open({ simulate: true, cpu: true, powercapRoot: realistic.root });
    try {
      for (let i = 0; i < 40; i++) {
        const { measurement } = await monitor.measure(`scope ${i}`, () => sleep(3 + (i % 7) * 4));
        const cpu = measurement.cpu!;
        const packageTruthJ = realistic.truthJ(measurement.startNs, measurement.endNs, isPackage);
        const dramTruthJ = realistic.truthJ(measurement.startNs, measurement.endNs, isDram);
        expect(Math.abs(cpu.packageEnergyJ! - packageTruthJ), `scope ${i}`).toBeLessThanOrEqual(cpu.packageUncertaintyJ!);
        expect(Math.abs(cpu.dramEnergyJ! - dramTruthJ), `scope ${i} DRAM`).toBeLessThanOrEqual(cpu.dramUncertaintyJ!);
      }
    } finally {
      await monitor.close();
      realistic.stop();
    }
  }, 30_000);

  it("a run's phases and gaps add up to the run's CPU energy, each phase near its share of the trace", async () => {
    const monitor = await EnergyMonitor.open({ simulate: true, cpu: true, powercapRoot: ideal.root });
    try {
      const run = monitor.startRun('pass');
      const spans: Record<string, Array<[bigint, bigint]>> = { prefill: [], decode: [] };
      for (let q = 0; q < 5; q++) {
        const record = await monitor.query(q, async (query) => {
          await query.phase('prefill', () => sleep(15));
          await sleep(5);
          await query.phase('decode', () => sleep(40));
        });
        for (const phase of record.phases) spans[phase.phase!]!.push([phase.startNs, phase.endNs]);
      }
      const summary = await run.finish();
      const phasesJ = Object.values(summary.phases).reduce((sum, p) => sum + p.cpu!.packageEnergyJ!, 0);
      expect(phasesJ + summary.unattributedCpu!.packageEnergyJ!).toBeCloseTo(summary.cpu!.packageEnergyJ!, 9);
      expect(summary.cpu!.packageEnergyJ! / ideal.truthJ(summary.startNs, summary.endNs, isPackage)).toBeCloseTo(1, 2);
      for (const [phase, list] of Object.entries(spans)) {
        const truthJ = list.reduce((sum, [a, b]) => sum + ideal.truthJ(a, b, isPackage), 0);
        expect(Math.abs(summary.phases[phase]!.cpu!.packageEnergyJ! - truthJ), phase).toBeLessThanOrEqual(summary.phases[phase]!.cpu!.packageUncertaintyJ!);
        expect(summary.phases[phase]!.cpu!.dramEnergyJ).toBeGreaterThan(0);
      }
    } finally {
      await monitor.close();
    }
  }, 30_000);

  it("watch shows the CPU packages' and DRAM power over each interval", () => {
    const watch = runCli(['watch', '--simulate', '--json', '--count', '3', '--interval', '0.4'], { ...process.env, WATTSCOPE_POWERCAP_ROOT: ideal.root });
    expect(watch.status).toBe(0);
    const cpuLines = watch.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { cpu?: { packageW: number | null; dramW: number | null; reason: string | null } })
      .filter((line) => line.cpu);
    expect(cpuLines).toHaveLength(3);
    for (const { cpu } of cpuLines) {
      // A figure is missing only with its reason (seen with two busy loops and the suite beside it:
      // a DRAM zone not read twice in the interval); every figure given is right.
      if (cpu!.packageW === null || cpu!.dramW === null) expect(cpu!.reason).toMatch(/not read twice in the last 0\.4 s/);
      else expect(cpu!.reason).toBeNull();
      // Packages: 30 W plus 20 or 80 W; DRAM: 8 W plus 4 or 6 W.
      if (cpu!.packageW !== null) expect(cpu!.packageW).toBeGreaterThan(49);
      if (cpu!.packageW !== null) expect(cpu!.packageW).toBeLessThan(111);
      if (cpu!.dramW !== null) expect(cpu!.dramW).toBeGreaterThan(11.9);
      if (cpu!.dramW !== null) expect(cpu!.dramW).toBeLessThan(14.1);
    }
  });
});
