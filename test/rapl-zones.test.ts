/**
 * The CPU's RAPL zones through a powercap tree the test builds (WATTSCOPE_POWERCAP_ROOT): packages
 * and their sub-zones found once each, and an energy_uj that only root may read (CVE-2020-8694)
 * reported as such, naming the file and the remedy, never as zero.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listRaplZones } from '../src/cpu/rapl-zones.js';
import { EnergyMonitor } from '../src/index.js';
import { packageRoot } from '../src/native/binding.js';
import { runCli, startCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';

/** Two packages, each with a dram sub-zone, laid out as /sys/class/powercap is (sub-zones also linked at the root). */
function powercapTree(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'wattscope-powercap-'));
  chmodSync(root, 0o755);
  for (const n of [0, 1]) {
    const pkg = path.join(root, `intel-rapl:${n}`);
    const dram = path.join(pkg, `intel-rapl:${n}:0`);
    mkdirSync(dram, { recursive: true });
    writeFileSync(path.join(pkg, 'name'), `package-${n}\n`);
    writeFileSync(path.join(pkg, 'energy_uj'), `${1000 + n}\n`);
    writeFileSync(path.join(pkg, 'max_energy_range_uj'), '262143328850\n');
    writeFileSync(path.join(dram, 'name'), 'dram\n');
    writeFileSync(path.join(dram, 'energy_uj'), '77\n');
    writeFileSync(path.join(dram, 'max_energy_range_uj'), '65712999613\n');
    symlinkSync(dram, path.join(root, `intel-rapl:${n}:0`));
  }
  return root;
}

describe('RAPL zones', () => {
  it('finds each package and sub-zone once, with its name and wrap range', () => {
    const zones = listRaplZones(powercapTree());
    expect(zones.map((z) => [z.id, z.name, z.package, z.subzone, z.readable])).toEqual([
      ['intel-rapl:0', 'package-0', 0, null, true],
      ['intel-rapl:0:0', 'dram', 0, 0, true],
      ['intel-rapl:1', 'package-1', 1, null, true],
      ['intel-rapl:1:0', 'dram', 1, 0, true],
    ]);
    expect(zones[1]!.maxEnergyRangeUj).toBe(65712999613);
    expect(listRaplZones(path.join(tmpdir(), 'no-such-powercap'))).toEqual([]);
  });

  it("an energy_uj only root may read: the zone and a monitor's measurement say so, naming the file and the remedy (checked as an unprivileged user)", () => {
    const root = powercapTree();
    const locked = path.join(root, 'intel-rapl:1', 'energy_uj');
    chmodSync(locked, 0o400);
    configureSim();
    // Everything is loaded first (the addon, the simulated NVML through a monitor that stays open,
    // and every module a benchmark run needs, by running one), then privileges are dropped: as
    // root, every file is readable. The package itself may sit where the unprivileged user cannot
    // go (CI's clone is in a 0700 directory): the second monitor names the loaded library's path,
    // which the dynamic loader finds among the objects already loaded.
    const script = `
      const { listRaplZones, EnergyMonitor } = await import(${JSON.stringify(path.join(packageRoot, 'dist', 'index.js'))});
      const { runBenchmark, syntheticDataset } = await import(${JSON.stringify(path.join(packageRoot, 'dist', 'public', 'runner.js'))});
      const handler = (row, q) => q.phase('decode', () => {});
      const bench = (monitor) => runBenchmark({ dataset: syntheticDataset(3), handler, runs: 1, warmup: 0, monitor, idleMeasureS: 0, randomDelayMaxS: 0 });
      const loaded = await EnergyMonitor.open({ simulate: true, cpu: false });
      await bench(loaded);
      if (process.getuid() === 0) { process.setgid(65534); process.setuid(65534); }
      const monitor = await EnergyMonitor.open({ library: loaded.library.path, powercapRoot: ${JSON.stringify(root)} });
      const { measurement } = await monitor.measure('pause', () => new Promise((r) => setTimeout(r, 30)));
      const report = await bench(monitor);
      await monitor.close();
      await loaded.close();
      console.log(JSON.stringify({ zones: listRaplZones(${JSON.stringify(root)}), cpu: measurement.cpu, run: report.runs[0].cpu, notes: report.notes }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    type Cpu = { packageEnergyJ: number | null; dramEnergyJ: number | null; reason: string | null };
    const { zones, cpu, run, notes } = JSON.parse(r.stdout) as {
      zones: Array<{ id: string; readable: boolean; problem: string | null }>;
      cpu: Cpu;
      run: Cpu;
      notes: string[];
    };
    // And in a run's report: the run's CPU figures and the report's notes.
    expect(run.packageEnergyJ).toBeNull();
    expect(run.reason).toContain(`${locked} is readable only by root (since CVE-2020-8694)`);
    expect(notes.join('\n')).toContain(`${locked} is readable only by root`);
    // One package only root may read: the packages' energy is unknown (null, with why), not the other package's alone.
    expect(cpu.packageEnergyJ).toBeNull();
    expect(cpu.reason).toContain(`${locked} is readable only by root (since CVE-2020-8694)`);
    const pkg1 = zones.find((z) => z.id === 'intel-rapl:1')!;
    expect(pkg1.readable).toBe(false);
    expect(pkg1.problem).toContain(`${locked} is readable only by root (since CVE-2020-8694)`);
    expect(pkg1.problem).toMatch(/udev rule .*chmod o\+r/);
    expect(zones.filter((z) => z.readable).map((z) => z.id)).toEqual(['intel-rapl:0', 'intel-rapl:0:0', 'intel-rapl:1:0']);
  });

  it('a counter that reads empty mid-measurement makes the energy unknown, not zero (nor a wraparound)', async () => {
    const root = powercapTree();
    configureSim();
    const monitor = await EnergyMonitor.open({ simulate: true, powercapRoot: root });
    try {
      const { measurement } = await monitor.measure('emptied', async () => {
        await new Promise((r) => setTimeout(r, 20));
        writeFileSync(path.join(root, 'intel-rapl:0', 'intel-rapl:0:0', 'energy_uj'), '');
        await new Promise((r) => setTimeout(r, 20));
      });
      expect(measurement.cpu!.packageEnergyJ).toBe(0);
      expect(measurement.cpu!.dramEnergyJ).toBeNull();
      expect(measurement.cpu!.reason).toMatch(/intel-rapl:0:0\/energy_uj held no energy reading/);
    } finally {
      await monitor.close();
    }
  });

  it('devices lists the zones (--cpu --json), and says when there is no RAPL at all', () => {
    const root = powercapTree();
    const json = runCli(['devices', '--cpu', '--json'], { ...process.env, WATTSCOPE_POWERCAP_ROOT: root });
    expect(json.status).toBe(0);
    expect((JSON.parse(json.stdout) as Array<{ id: string }>).map((z) => z.id)).toEqual(['intel-rapl:0', 'intel-rapl:0:0', 'intel-rapl:1', 'intel-rapl:1:0']);
    const none = runCli(['devices', '--simulate'], { ...process.env, WATTSCOPE_POWERCAP_ROOT: path.join(root, 'absent') });
    expect(none.status).toBe(0);
    expect(none.stdout).toMatch(/CPU energy \(RAPL\): no zone under .*absent .*CPU energy is not measured/);
  });

  it('measure --json: the packages and DRAM energy of a command, within 2% of a driven tree, across wraparounds', async () => {
    const root = powercapTree();
    // Package 1 wraps every 0.4 s (a 20 J range at 50 W); the test advances every counter from known power.
    const powersW: Record<string, number> = { 'intel-rapl:0': 30, 'intel-rapl:0/intel-rapl:0:0': 8, 'intel-rapl:1': 50, 'intel-rapl:1/intel-rapl:1:0': 4 };
    const rangesUj: Record<string, number> = { 'intel-rapl:1': 20e6 };
    for (const [zone, range] of Object.entries(rangesUj)) writeFileSync(path.join(root, zone, 'max_energy_range_uj'), `${range}\n`);
    const started = performance.now();
    const advance = () => {
      const elapsedS = (performance.now() - started) / 1000;
      for (const [zone, watts] of Object.entries(powersW)) {
        const uj = Math.floor(1000 + watts * elapsedS * 1e6) % (rangesUj[zone] ?? 262143328850);
        // Whole, as sysfs answers a read: written beside, then renamed over.
        writeFileSync(path.join(root, zone, 'energy_uj.next'), `${uj}\n`);
        renameSync(path.join(root, zone, 'energy_uj.next'), path.join(root, zone, 'energy_uj'));
      }
    };
    advance();
    const timer = setInterval(advance, 5);
    try {
      configureSim();
      const child = startCli(['measure', '--simulate', '--json', '--', 'sleep', '2'], { ...process.env, WATTSCOPE_POWERCAP_ROOT: root });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
      const out = JSON.parse(stdout) as { durationS: number; cpuEnergyJ: number; dramEnergyJ: number; cpuReason: string | null };
      expect(out.cpuReason).toBeNull();
      expect(Math.abs(out.cpuEnergyJ - 80 * out.durationS) / (80 * out.durationS)).toBeLessThan(0.02);
      expect(Math.abs(out.dramEnergyJ - 12 * out.durationS) / (12 * out.durationS)).toBeLessThan(0.02);
    } finally {
      clearInterval(timer);
    }
    const none = runCli(['measure', '--simulate', '--json', '--', 'true'], { ...process.env, WATTSCOPE_POWERCAP_ROOT: path.join(root, 'absent') });
    expect(JSON.parse(none.stdout)).toMatchObject({
      cpuEnergyJ: null,
      dramEnergyJ: null,
      cpuReason: expect.stringMatching(/no RAPL package zone under .*absent/),
    });
  }, 30_000);

  it("without RAPL, cpuEstimate fills in CodeCarbon's way, flagged estimate with its inputs; off by default; tdpW is required", async () => {
    configureSim();
    const absent = path.join(tmpdir(), 'no-powercap-here');
    const estimating = await EnergyMonitor.open({ simulate: true, powercapRoot: absent, cpuEstimate: { tdpW: 200, ramGb: 16 } });
    const plain = await EnergyMonitor.open({ simulate: true, powercapRoot: absent });
    try {
      const { measurement } = await estimating.measure('pause', () => new Promise((r) => setTimeout(r, 100)));
      const cpu = measurement.cpu!;
      expect(cpu.method).toBe('estimate');
      expect(cpu.flags).toEqual(['estimate']);
      expect(cpu.estimate).toMatchObject({ tdpW: 200, cpuShare: 0.5, cpuW: 100, ramGb: 16, wattsPerGb: 0.375, ramW: 6 });
      // Power x time: 100 W and 6 W over the scope, uncertain by the whole figure.
      expect(cpu.packageEnergyJ).toBeCloseTo(100 * measurement.durationS, 9);
      expect(cpu.dramEnergyJ).toBeCloseTo(6 * measurement.durationS, 9);
      expect(cpu.packageUncertaintyJ).toBe(cpu.packageEnergyJ);
      expect(cpu.reason).toBeNull();
      const { measurement: unestimated } = await plain.measure('pause', () => new Promise((r) => setTimeout(r, 10)));
      expect(unestimated.cpu).toMatchObject({ packageEnergyJ: null, dramEnergyJ: null, flags: [], estimate: null });
    } finally {
      await estimating.close();
      await plain.close();
    }
    await expect(EnergyMonitor.open({ simulate: true, cpuEstimate: { cpuShare: 0.5 } as never })).rejects.toMatchObject({
      code: 'WATTSCOPE_INVALID_OPTIONS',
      field: 'cpuEstimate.tdpW',
    });
    await expect(EnergyMonitor.open({ simulate: true, cpuEstimate: { tdpW: 100, share: 1 } as never })).rejects.toMatchObject({ field: 'cpuEstimate.share' });
  });
});
