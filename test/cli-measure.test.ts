/** `wattscope measure -- <command>`: energy of a whole command, exit status passed through. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configureSim } from './helpers/sim.js';
import { runCli } from './helpers/cli.js';

describe('wattscope measure', () => {
  it('--json: durationS and per-GPU index, energyJ, avgPowerW, method for a child that drives the GPU', () => {
    const sim = configureSim({ control: true, devices: 2 });
    // A fake workload in another process: 300 W on GPU 0 for 0.4 s, then 600 W for 0.3 s.
    const child = path.join(tmpdir(), `wattscope-load-${process.pid}.cjs`);
    writeFileSync(
      child,
      `
      const fs = require('node:fs');
      const set = (w) => fs.appendFileSync(${JSON.stringify(sim.file)}, process.hrtime.bigint() + ' 0 ' + w + '\\n');
      const wait = (ms) => { const e = Date.now() + ms; while (Date.now() < e) {} };
      set(300); wait(400); set(600); wait(300); set(70);`,
    );
    const r = runCli(['measure', '--simulate', '--json', '--', process.execPath, child]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      durationS: number;
      exitStatus: number;
      gpus: Array<{ index: number; energyJ: number; avgPowerW: number; method: string; driverSamples: { available: boolean; refusal: string | null } }>;
    };
    expect(out.exitStatus).toBe(0);
    expect(out.gpus[0]!.driverSamples).toEqual({ available: true, refusal: null });
    expect(out.gpus.map((g) => g.index)).toEqual([0, 1]);
    const g0 = out.gpus[0]!;
    // 0.4 s x 300 W + 0.3 s x 600 W = 300 J, plus idle 70 W for the rest of the child's life.
    const idleS = out.durationS - 0.7;
    expect(g0.energyJ).toBeGreaterThan(300 + 70 * idleS - 10);
    expect(g0.energyJ).toBeLessThan(300 + 70 * idleS + 10);
    expect(g0.avgPowerW).toBeCloseTo(g0.energyJ / out.durationS, 6);
    expect(out.gpus[1]!.avgPowerW).toBeCloseTo(70, 0);
    expect(['energy-counter', 'counter-interpolated']).toContain(g0.method);
  });

  it("passes the command's exit status through", () => {
    configureSim();
    const r = runCli(['measure', '--simulate', '--', 'sh', '-c', 'exit 7']);
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/GPU 0: .* J/);
  });

  it('--output FILE writes the JSON there and leaves stdout to the command; --gpus measures the GPUs named', () => {
    configureSim({ devices: 3 });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-measure-out-')), 'energy.json');
    const r = runCli(['measure', '--simulate', '--gpus', '0,2', '--output', file, '--json', '--', 'sh', '-c', 'echo from the command']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('from the command\n');
    const out = JSON.parse(readFileSync(file, 'utf8')) as { exitStatus: number; gpus: Array<{ index: number; energyJ: number }> };
    expect(out.exitStatus).toBe(0);
    expect(out.gpus.map((g) => g.index)).toEqual([0, 2]);
    for (const g of out.gpus) expect(g.energyJ).toBeGreaterThan(0);
    const bad = runCli(['measure', '--simulate', '--gpus', '0,,1', '--', 'true']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--gpus takes CUDA indices or UUIDs separated by commas, got "0,,1"/);
  });

  it('without a command: a clear error', () => {
    const r = runCli(['measure', '--simulate']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/give the command after "--"/);
  });
});
