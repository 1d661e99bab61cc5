/**
 * A powercap tree driven at known power (test/powercap-driver/powercap_driver.c): two packages,
 * each with a dram sub-zone, whose energy_uj files answer each read with the energy of a known
 * power trace at that instant (or at the last 1 ms update, as a real RAPL counter). The trace's
 * integral over any span of the monotonic clock is the truth a measurement is held to.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, renameSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One zone's trace: `lowW` for the first half of each `periodMs` from the driver's origin, `highW` for the second. */
export interface ZoneTrace {
  /** Relative to the root: `intel-rapl:0` or `intel-rapl:0/intel-rapl:0:0`. */
  dir: string;
  name: string;
  lowW: number;
  highW: number;
  /** 0: `lowW` throughout. */
  periodMs: number;
  /** Where the counter wraps to 0, µJ. */
  rangeUj: number;
  /** The counter's value at the origin, µJ. */
  offsetUj: number;
}

/** The default: packages at 30 W and 20/80 W (the second wrapping every ~0.4 s), DRAM at 8 W and 4/6 W. */
export const DEFAULT_ZONES: ZoneTrace[] = [
  { dir: 'intel-rapl:0', name: 'package-0', lowW: 30, highW: 30, periodMs: 0, rangeUj: 262143328850, offsetUj: 123456789 },
  { dir: 'intel-rapl:0/intel-rapl:0:0', name: 'dram', lowW: 8, highW: 8, periodMs: 0, rangeUj: 65712999613, offsetUj: 42 },
  { dir: 'intel-rapl:1', name: 'package-1', lowW: 20, highW: 80, periodMs: 700, rangeUj: 20e6, offsetUj: 19.5e6 },
  { dir: 'intel-rapl:1/intel-rapl:1:0', name: 'dram', lowW: 4, highW: 6, periodMs: 300, rangeUj: 65712999613, offsetUj: 0 },
];

/** Energy of a trace from its origin to `s` seconds after it, J. */
export function traceEnergyJ(zone: ZoneTrace, s: number): number {
  if (s <= 0) return 0;
  if (zone.periodMs <= 0) return zone.lowW * s;
  const periodS = zone.periodMs / 1000;
  const half = periodS / 2;
  const periods = Math.floor(s / periodS);
  const rest = s - periods * periodS;
  const partial = rest <= half ? zone.lowW * rest : zone.lowW * half + zone.highW * (rest - half);
  return periods * (zone.lowW + zone.highW) * half + partial;
}

const source = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'powercap-driver', 'powercap_driver.c');

/** True when a C compiler is on PATH (the driver is compiled for each test run). */
export const haveCompiler = spawnSync('cc', ['--version']).status === 0;

let compiled: string | null = null;
function driverBinary(): string {
  if (compiled && existsSync(compiled)) return compiled;
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-powercap-driver-')), 'powercap_driver');
  const build = spawnSync('cc', ['-std=c11', '-D_DEFAULT_SOURCE', '-Wall', '-Wextra', '-Werror', '-pthread', '-o', out, source, '-lm'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`cannot compile the powercap driver: ${build.stderr}`);
  return (compiled = out);
}

export interface DrivenTree {
  root: string;
  zones: ZoneTrace[];
  /** The trace's energy between two monotonic instants (process.hrtime.bigint()), J, over the zones `select` keeps. */
  truthJ(startNs: bigint, endNs: bigint, select: (zone: ZoneTrace) => boolean): number;
  /** Stops the driver and leaves plain files behind (so that no reader can block on a FIFO). */
  stop(): void;
}

/** Builds the tree (laid out as /sys/class/powercap, sub-zones also linked at the root) and starts its driver. */
export async function startDrivenTree(options: { zones?: ZoneTrace[]; updateUs?: number } = {}): Promise<DrivenTree> {
  const zones = options.zones ?? DEFAULT_ZONES;
  const root = mkdtempSync(path.join(tmpdir(), 'wattscope-powercap-'));
  chmodSync(root, 0o755);
  for (const zone of zones) {
    const dir = path.join(root, zone.dir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'name'), `${zone.name}\n`);
    writeFileSync(path.join(dir, 'max_energy_range_uj'), `${zone.rangeUj}\n`);
    if (zone.dir.includes('/')) symlinkSync(dir, path.join(root, path.basename(zone.dir)));
  }
  const originNs = process.hrtime.bigint();
  const args = [
    String(originNs),
    String(options.updateUs ?? 0),
    ...zones.map((z) => [path.join(root, z.dir), z.lowW, z.highW, z.periodMs, z.rangeUj, z.offsetUj].join(',')),
  ];
  const child: ChildProcess = spawn(driverBinary(), args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the powercap driver exited with ${code}`)));
  });
  return {
    root,
    zones,
    truthJ: (startNs, endNs, select) =>
      zones.filter(select).reduce((sum, z) => sum + traceEnergyJ(z, Number(endNs - originNs) / 1e9) - traceEnergyJ(z, Number(startNs - originNs) / 1e9), 0),
    stop: () => {
      child.kill('SIGKILL');
      for (const zone of zones) {
        const fifo = path.join(root, zone.dir, 'energy_uj');
        // Releases a reader waiting on the FIFO (it reads nothing), then puts a plain file in its place.
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // No reader was waiting.
        }
        writeFileSync(`${fifo}.plain`, '0\n');
        renameSync(`${fifo}.plain`, fifo);
      }
    },
  };
}
