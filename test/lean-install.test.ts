/**
 * The package as a user installs it: packed, installed into an empty project with npm's defaults
 * (optional peers are not installed, a dependency's install script waits for approval), measured,
 * and used there. Needs the npm registry (or npm's cache) for the dependencies, as `npm ci` does.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native/binding.js';

/** The install budget the issue sets: 12 MB of node_modules (sum of file sizes, bytes). */
const MAX_INSTALL_BYTES = 12e6;
const NATIVE_FILES = ['wattscope.node', 'libwattscope_simgpu.so', 'libwattscope_simgpu_legacy.so'];
const npm = (args: string[], cwd: string): SpawnSyncReturns<string> =>
  spawnSync('npm', [...args, '--no-audit', '--no-fund'], { cwd, encoding: 'utf8', timeout: 300_000 });

/** Bytes of every file under `dir` (links counted as themselves, not followed). */
function treeBytes(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const st = lstatSync(full);
    bytes += st.isDirectory() ? treeBytes(full) : st.size;
  }
  return bytes;
}

/**
 * `npm pack` of this checkout, with the linux-x64 prebuilds the release ships: taken from
 * prebuilds/ where `npm run prebuild` made them, else from the node-gyp build, stripped as
 * prebuildify --strip strips them.
 */
function packedTarball(workDir: string): string {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], { cwd: packageRoot, encoding: 'utf8' }),
  ) as Array<{
    filename: string;
  }>;
  const stage = path.join(workDir, 'stage');
  mkdirSync(stage);
  execFileSync('tar', ['-xzf', path.join(workDir, packed[0]!.filename), '-C', stage]);
  const prebuilds = path.join(stage, 'package', 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(prebuilds, { recursive: true });
  for (const file of NATIVE_FILES) {
    const target = path.join(prebuilds, file);
    if (existsSync(target)) continue;
    copyFileSync(path.join(packageRoot, 'build', 'Release', file), target);
    execFileSync('strip', ['--strip-unneeded', target]);
  }
  const tarball = path.join(workDir, 'wattscope-packed.tgz');
  execFileSync('tar', ['-czf', tarball, '-C', stage, 'package']);
  return tarball;
}

let workDir: string | undefined;
afterEach(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
});

describe('the lean package', () => {
  it('installs into an empty project within 12 MB; measures there; the PNG label names its peers, then works once they are added', () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'wattscope-lean-'));
    const tarball = packedTarball(workDir);
    const app = path.join(workDir, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const install = npm(['install', tarball], app);
    expect(install.status, install.stderr).toBe(0);

    const modules = path.join(app, 'node_modules');
    const bytes = treeBytes(modules);
    expect(bytes, `node_modules holds ${(bytes / 1e6).toFixed(2)} MB`).toBeLessThanOrEqual(MAX_INSTALL_BYTES);
    for (const peer of ['prom-client', '@resvg/resvg-js', 'dejavu-fonts-ttf']) expect(existsSync(path.join(modules, peer)), peer).toBe(false);

    // EnergyMonitor measures there, from the shipped prebuilds (no build/ in the installed package).
    writeFileSync(
      path.join(app, 'measure.js'),
      `import { EnergyMonitor } from 'wattscope';
const monitor = await EnergyMonitor.open({ simulate: true });
const { measurement } = await monitor.measure('sleep', () => new Promise((r) => setTimeout(r, 300)));
const peerErrors = [];
for (const register of [() => monitor.registerOpenTelemetry(), () => monitor.registerMetrics({ registerMetric() {} })]) {
  try { register(); peerErrors.push(null); } catch (e) { peerErrors.push(e.code + ': ' + e.message); }
}
await monitor.close();
console.log(JSON.stringify({ energyJ: measurement.energyJ, uncertaintyJ: measurement.uncertaintyJ, status: measurement.status, peerErrors }));`,
    );
    const measured = spawnSync(process.execPath, ['measure.js'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect(measured.status, measured.stderr).toBe(0);
    const m = JSON.parse(measured.stdout) as { energyJ: number; uncertaintyJ: number; status: string; peerErrors: Array<string | null> };
    expect(m.status).toBe('measured');
    // 300 ms of the simulated H200 at idle (79-123 W): tens of joules.
    expect(m.energyJ).toBeGreaterThan(10);
    expect(m.energyJ).toBeLessThan(60);
    // The integrations whose peers are absent say what to install.
    expect(m.peerErrors).toEqual([
      'WATTSCOPE_MISSING_PEER: monitor.registerOpenTelemetry needs @opentelemetry/api, an optional peer dependency of wattscope that is not installed: npm install @opentelemetry/api (and an OpenTelemetry SDK to export anything)',
      'WATTSCOPE_MISSING_PEER: monitor.registerMetrics needs prom-client, an optional peer dependency of wattscope that is not installed: npm install prom-client',
    ]);

    const result = path.join(app, 'result');
    mkdirSync(result);
    writeFileSync(path.join(result, 'GPU_ENERGY_WH.txt'), '2.50\n');
    const cli = path.join(modules, 'wattscope', 'dist', 'cli', 'main.js');
    const label = () =>
      spawnSync(process.execPath, [cli, 'label', result, '--model', 'me/m', '--task', 'summarization', '--stars', '3', '--out', 'x.png'], {
        cwd: app,
        encoding: 'utf8',
      });
    let r = label();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PNG label needs @resvg\/resvg-js, an optional peer dependency .*: npm install @resvg\/resvg-js dejavu-fonts-ttf/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // one sentence, no stack trace
    expect(existsSync(path.join(app, 'x.png'))).toBe(false);

    const added = npm(['install', '@resvg/resvg-js', 'dejavu-fonts-ttf'], app);
    expect(added.status, added.stderr).toBe(0);
    r = label();
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(app, 'x.png')).subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
  }, 600_000);
});
