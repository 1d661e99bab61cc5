/** `wattscope devices` and `wattscope watch` as a user runs them. */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ESTIMATE_TOLERANCE_S } from '../src/metrics/gpu-reading.js';
import { configureSim } from './helpers/sim.js';
import { runCli, startCli } from './helpers/cli.js';

describe('wattscope devices', () => {
  it('--json prints index, name, uuid and totalEnergyJ for each simulated GPU', () => {
    configureSim({ devices: 2 });
    const r = runCli(['devices', '--simulate', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const devices = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(devices).toHaveLength(2);
    expect(devices[1]).toMatchObject({ index: 1, name: 'NVIDIA H100 80GB HBM3', architecture: 'Hopper' });
    expect(devices[0]!.uuid).toMatch(/^GPU-/);
    // The counter starts at 123456789 mJ at the epoch and grows at the 70 W idle power since.
    const sinceEpochS = Number(process.hrtime.bigint() - BigInt(process.env.WATTSCOPE_SIM_EPOCH_NS!)) / 1e9;
    expect(devices[0]!.totalEnergyJ).toBeGreaterThanOrEqual(123456.789);
    expect(devices[0]!.totalEnergyJ).toBeLessThanOrEqual(123456.789 + 70 * sinceEpochS);
  });

  it('prints a table', () => {
    configureSim();
    const r = runCli(['devices', '--simulate']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/simulated GPU/);
    expect(r.stdout).toMatch(/0\s+NVIDIA H100 80GB HBM3\s+GPU-/);
  });

  it("--sensor tells each GPU's power sensor from a short sampling: the H100 profile's 100 ms refresh", () => {
    configureSim({ sensor: 'h100', noiseW: 2 });
    const json = runCli(['devices', '--simulate', '--sensor', '--sensor-ms', '1200', '--json']);
    expect(json.status).toBe(0);
    const [device] = JSON.parse(json.stdout) as Array<{ sensor: { kind: string; refreshPeriodMs: number } }>;
    expect(device!.sensor.kind).toBe('periodic');
    expect(Math.abs(device!.sensor.refreshPeriodMs - 100)).toBeLessThan(5);
    // A reading that stays flat (the simulator's idle GPU without noise) is unknown, never assumed instant.
    configureSim({ sensor: 'h100' });
    const text = runCli(['devices', '--simulate', '--sensor', '--sensor-ms', '600']);
    expect(text.stdout).toMatch(/^GPU 0 power sensor: unknown after 0 reading changes \(treated as coarse\)$/m);
    // The sampler line says the driver's own power samples' rate (the simulated driver keeps one every 100 ms here).
    expect(text.stdout).toMatch(/^GPU 0 sampler: .*, driver power samples \d+\/s; the sampler thread used/m);
  });

  it('without NVML: exit 1 and one clear sentence on stderr, no stack trace', () => {
    const env = { ...process.env, WATTSCOPE_NVML_LIBRARY: '/nonexistent/libnvidia-ml.so.1' };
    const r = runCli(['devices'], env);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^wattscope: NVML was not found/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('bad flags are a clear error', () => {
    const r = runCli(['devices', '--nope']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown option --nope; wattscope devices --help lists its options/);
  });
});

describe('wattscope watch', () => {
  it('prints power and energy once per interval, energy growing with the trace, and the CPU line (here: why it is not measured)', () => {
    configureSim({ trace: '0:200' });
    const absent = path.join(tmpdir(), 'no-powercap-here');
    const r = runCli(['watch', '--simulate', '--json', '--interval', '0.25', '--count', '3'], { ...process.env, WATTSCOPE_POWERCAP_ROOT: absent });
    expect(r.status).toBe(0);
    const all = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { gpu?: number; powerW: number; energyJ: number; cpu?: { packageW: number | null; reason: string | null } });
    const lines = all.filter((l) => l.gpu !== undefined);
    const cpu = all.filter((l) => l.cpu !== undefined);
    expect(cpu).toHaveLength(3);
    expect(cpu[0]!.cpu).toEqual({ packageW: null, dramW: null, reason: expect.stringContaining(`no RAPL package zone under ${absent}`) });
    expect(lines).toHaveLength(3);
    expect(lines[2]!.powerW).toBe(200);
    expect(lines[2]!.energyJ).toBeGreaterThan(lines[0]!.energyJ);
  });

  it("on profile h200 (a counter read spins 3 ms) takes each GPU's counter from the sampler once it is learnt: energy never falls and matches the power over the run", () => {
    configureSim({ devices: 2, sensor: 'h200', trace: '0:300' });
    const r = runCli(['watch', '--simulate', '--json', '--interval', '0.5', '--count', '12']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { gpu?: number; elapsedS: number; powerW: number; energyJ: number })
      .filter((l) => l.gpu !== undefined);
    for (const gpu of [0, 1]) {
      const mine = lines.filter((l) => l.gpu === gpu);
      expect(mine).toHaveLength(12);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.energyJ, `GPU ${gpu} line ${i}`).toBeGreaterThanOrEqual(mine[i - 1]!.energyJ);
      // A steady 300 W: the energy since start is 300 W x the elapsed time, within 2% and what the
      // two ends may be off: the start read (up to 0.1 s behind) and the last value (the sampler's
      // within 0.25 s of the power, ESTIMATE_TOLERANCE_S; a read within 0.1 s).
      const last = mine[mine.length - 1]!;
      const truthJ = 300 * last.elapsedS;
      expect(Math.abs(last.energyJ - truthJ), `GPU ${gpu}: ${last.energyJ} J over ${last.elapsedS} s`).toBeLessThan(
        0.02 * truthJ + 300 * (0.1 + ESTIMATE_TOLERANCE_S),
      );
    }
  }, 30_000);

  it('Ctrl-C (SIGINT) exits cleanly with status 0', async () => {
    configureSim();
    const child = startCli(['watch', '--simulate', '--interval', '0.1']);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => {
      const check = () => (out.includes('GPU 0') ? resolve() : setTimeout(check, 20));
      check();
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out).toMatch(/stopped/);
  });
});
