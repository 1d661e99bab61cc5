/**
 * The README runs as written. Every code block marked `js runnable` or `sh runnable` is run, as a
 * user would run it, in a fresh consumer project that installed the packed tarball (`npm pack`) with npm's
 * default install-script policy: npm 11 skips wattscope's install script, so the addon must load
 * from the shipped prebuild. Where no prebuild matches, the error must say how to get a build.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFakeServer } from '../src/server/fake-server.js';

const root = path.resolve(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const platformDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);

/** The README's code blocks whose info string is `js runnable` (or `sh runnable`), with their line numbers. */
export function runnableBlocks(markdown: string, language: 'js' | 'sh' = 'js'): Array<{ line: number; code: string }> {
  const blocks: Array<{ line: number; code: string }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```' + language + ' runnable') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

function newestNativeSourceMs(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const full = path.join(dir, entry.name);
    const ms = entry.isDirectory() ? newestNativeSourceMs(full) : statSync(full).mtimeMs;
    return Math.max(newest, ms);
  }, 0);
}

/** Builds the shipped prebuild when it is missing or older than the native sources. */
function ensureFreshPrebuild(): void {
  const addon = path.join(platformDir, 'wattscope.node');
  const sourcesMs = Math.max(newestNativeSourceMs(path.join(root, 'native')), statSync(path.join(root, 'binding.gyp')).mtimeMs);
  if (existsSync(addon) && statSync(addon).mtimeMs >= sourcesMs) return;
  execFileSync(npm, ['run', 'prebuild'], { cwd: root, stdio: 'ignore' });
}

let consumer = '';

/** Runs a shell block with bash -e in `cwd`; stdout and stderr together (the fake server answers in this process meanwhile). */
function runShell(code: string, cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', code], { cwd, env: { ...process.env, NODE_PATH: '' }, timeout: 150_000 });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}
let installLog = '';

describe('the README, run as written against the packed package', () => {
  beforeAll(() => {
    ensureFreshPrebuild();
    const work = mkdtempSync(path.join(tmpdir(), 'wattscope-readme-'));
    // dist/ is compiled by the global setup; --ignore-scripts keeps npm pack from compiling again.
    const packed = execFileSync(npm, ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' })
      .trim()
      .split('\n')
      .at(-1)!;
    consumer = path.join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'readme-consumer', private: true, type: 'module' }));
    // node-llama-cpp too, as a user of wattscope/llama has it (an optional peer dependency; from npm's cache).
    const llamaCpp = `node-llama-cpp@${(JSON.parse(readFileSync(path.join(root, 'node_modules', 'node-llama-cpp', 'package.json'), 'utf8')) as { version: string }).version}`;
    installLog = execFileSync(npm, ['install', path.join(work, packed), llamaCpp, '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: consumer,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }, 600_000);

  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = runnableBlocks(readme);
  const shellBlocks = runnableBlocks(readme, 'sh');

  it("the README's first 40 lines take a new user from install to a measured command, a benchmarked endpoint and a wrapped function", () => {
    const firstScreen = readme.split('\n').slice(0, 40).join('\n');
    expect(firstScreen).toContain('npm install wattscope');
    const recipes = [...runnableBlocks(firstScreen, 'sh'), ...runnableBlocks(firstScreen)].map((b) => b.code);
    expect(recipes.some((code) => /npx wattscope measure .*-- /.test(code))).toBe(true);
    expect(recipes.some((code) => /npx wattscope run --endpoint http/.test(code))).toBe(true);
    expect(recipes.some((code) => code.includes('monitor.measure('))).toBe(true);
    // Each block closes within the 40 lines (a block cut off by line 40 would not be found closed).
    expect(firstScreen.split('\n').filter((l) => l.startsWith('```')).length % 2).toBe(0);
  });

  for (const [i, block] of shellBlocks.entries()) {
    it(`README shell recipe ${i + 1} (line ${block.line}) runs as written, against a fake server where it names an endpoint`, async () => {
      const dir = mkdtempSync(path.join(consumer, `recipe-${i + 1}-`));
      const endpointPort = /--endpoint http:\/\/127\.0\.0\.1:(\d+)\//.exec(block.code)?.[1];
      const server = endpointPort === undefined ? null : await startFakeServer({ port: Number(endpointPort) });
      try {
        const r = await runShell(block.code, dir);
        expect(r.status, r.output).toBe(0);
        expect(r.output).toMatch(/\d J|Wh/);
        expect(r.output).not.toMatch(/\bNaN\b|\bundefined\b/);
        const outDir = /--out (\S+)/.exec(block.code)?.[1];
        if (outDir !== undefined) expect(existsSync(path.join(dir, outDir, 'GPU_ENERGY_WH.txt'))).toBe(true);
        if (server) expect(server.requests).toBeGreaterThan(0);
      } finally {
        await server?.close();
      }
    }, 180_000);
  }

  it('the README has runnable examples for scopes and the runner', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(blocks.some((b) => b.code.includes('EnergyMonitor.open'))).toBe(true);
    expect(blocks.some((b) => b.code.includes('runBenchmark'))).toBe(true);
    // Nothing that plain JavaScript on Node 20 and 22 cannot parse.
    for (const b of blocks) expect(b.code).not.toMatch(/\bawait using\b|\busing \w+ =/);
  });

  it('installs with the default script policy: the addon comes from the prebuild, not a compile', () => {
    expect(existsSync(path.join(consumer, 'node_modules', 'wattscope', 'prebuilds', `${process.platform}-${process.arch}`, 'wattscope.node'))).toBe(true);
    expect(existsSync(path.join(consumer, 'node_modules', 'wattscope', 'build', 'Release', 'wattscope.node'))).toBe(false);
    expect(installLog).not.toMatch(/ERR!/);
  });

  for (const [i, block] of blocks.entries()) {
    it(`README example ${i + 1} (line ${block.line}) runs as written on Node ${process.versions.node}`, () => {
      const dir = mkdtempSync(path.join(consumer, `example-${i + 1}-`));
      const file = path.join(dir, 'example.mjs');
      writeFileSync(file, block.code);
      const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_PATH: '' } });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).not.toBe('');
      expect(r.stdout).not.toMatch(/\bNaN\b|\bundefined\b/);
    }, 180_000);
  }

  it('with no prebuild and nothing compiled, opening a monitor names the platform and how to get a build', () => {
    const broken = mkdtempSync(path.join(tmpdir(), 'wattscope-noaddon-'));
    execFileSync('cp', ['-r', path.join(consumer, 'node_modules'), path.join(consumer, 'package.json'), broken]);
    rmSync(path.join(broken, 'node_modules', 'wattscope', 'prebuilds'), { recursive: true, force: true });
    for (const [options, code] of [
      ['{}', 'WATTSCOPE_NATIVE_MISSING'],
      ['{ simulate: true }', 'WATTSCOPE_SIM_MISSING'],
    ] as const) {
      const program = `import { EnergyMonitor } from 'wattscope'; try { await EnergyMonitor.open(${options}); } catch (e) { console.log(e.code + ': ' + e.message); }`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], { cwd: broken, encoding: 'utf8' });
      expect(r.stdout).toMatch(new RegExp(`^${code}: .*${process.platform}-${process.arch}`));
      expect(r.stdout).toMatch(/npm install-scripts approve wattscope/);
      expect(r.stdout).toMatch(/npm rebuild wattscope/);
    }
  });

  it('each subpath exports exactly its public names, to ESM and to CommonJS (through import()); internals are not reachable', () => {
    const program = (load: string) =>
      `${load}(async () => { const out = {}; for (const s of ${JSON.stringify(Object.keys(PUBLIC_EXPORTS))}) out[s] = Object.keys(await import(s)).sort(); ` +
      `try { await import('wattscope/dist/monitor/monitor.js'); out.deep = 'reachable'; } catch (e) { out.deep = e.code; } console.log(JSON.stringify(out)); })();`;
    writeFileSync(path.join(consumer, 'exports.mjs'), program(''));
    writeFileSync(path.join(consumer, 'exports.cjs'), program(''));
    for (const file of ['exports.mjs', 'exports.cjs']) {
      const r = spawnSync(process.execPath, [file], { cwd: consumer, encoding: 'utf8' });
      expect(r.stderr, file).toBe('');
      expect(JSON.parse(r.stdout), file).toEqual({ ...PUBLIC_EXPORTS, deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    }
  });

  it("the published types check under TypeScript moduleResolution node16 and bundler, without zod's types", () => {
    const code = [
      "import { EnergyMonitor, type Measurement, type MeasurementFlag, type MonitorOptions } from 'wattscope';",
      "import { runBenchmark, type BenchmarkOptions, type WattscopeReport } from 'wattscope/runner';",
      "import { starRating, estimateImpact, type ImpactOptions } from 'wattscope/scoring';",
      "import { writeReportPage } from 'wattscope/report';",
      "import { endpointHandler, servingRunStats } from 'wattscope/server';",
      "import { simulatedNvmlPath, SimPowerControl } from 'wattscope/testing';",
      'const options: MonitorOptions = { simulate: true, ifUnavailable: "noop" };',
      'export async function main(): Promise<number> {',
      '  const monitor = await EnergyMonitor.open(options);',
      '  const { measurement } = await monitor.measure("x", () => 1);',
      '  const energy: number | null = (measurement as Measurement).energyJ;',
      '  const flag: MeasurementFlag | undefined = measurement.flags[0];',
      '  // @ts-expect-error a flag that does not exist',
      '  const wrong: MeasurementFlag = "coarse";',
      '  void [flag, wrong];',
      '  const bench: BenchmarkOptions = { dataset: { path: "d.jsonl" }, handler: () => undefined, runStats: servingRunStats };',
      '  const report: WattscopeReport = await runBenchmark(bench);',
      '  const impact: ImpactOptions = { gpuWhPer1000: report.aiEnergyScore?.gpuEnergyWh ?? 1, region: "eea" };',
      '  writeReportPage("out");',
      '  void [starRating, estimateImpact(impact), endpointHandler, simulatedNvmlPath, SimPowerControl];',
      '  return energy ?? 0;',
      '}',
    ].join('\n');
    writeFileSync(path.join(consumer, 'consumer.mts'), code);
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    // zod is wattscope's implementation detail: its types must not be needed, so it is hidden while the types are checked.
    const zodDir = path.join(consumer, 'node_modules', 'zod');
    const hidden = path.join(consumer, 'node_modules', '.zod-hidden');
    renameSync(zodDir, hidden);
    try {
      for (const [module, resolution] of [
        ['node16', 'node16'],
        ['esnext', 'bundler'],
      ]) {
        const compilerOptions = {
          module,
          moduleResolution: resolution,
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [path.join(root, 'node_modules', '@types')],
        };
        writeFileSync(path.join(consumer, `tsconfig.${resolution}.json`), JSON.stringify({ compilerOptions, files: ['consumer.mts'] }));
        const r = spawnSync(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], { cwd: consumer, encoding: 'utf8' });
        expect(r.stdout + r.stderr, `moduleResolution ${resolution}`).toBe('');
        expect(r.status).toBe(0);
      }
    } finally {
      renameSync(hidden, zodDir);
    }
  }, 120_000);
});

/** The runtime names each subpath exports: the public API (types aside). */
const PUBLIC_EXPORTS: Record<string, string[]> = {
  wattscope: ['EnergyMonitor', 'NvmlError', 'NvmlSession', 'Scope', 'WattscopeError', 'listDevices', 'listRaplZones', 'timelineToCsv', 'timelineToJson'],
  'wattscope/runner': [
    'PassEnd',
    'TASK_INPUT_COLUMNS',
    'diffusionBatch',
    'loadDataset',
    'readResult',
    'reportJsonSchema',
    'runBenchmark',
    'summarizeBenchmarkReport',
    'syntheticDataset',
    'syntheticHandler',
    'syntheticPhasePlan',
    'toBenchmarkReport',
  ],
  'wattscope/scoring': [
    'BYTES_PER_PARAMETER',
    'IMPACT_DEFAULTS',
    'LABEL_HEIGHT_PX',
    'LABEL_WIDTH_PX',
    'REGION_FACTORS',
    'bandEdges',
    'estimateImpact',
    'labelPng',
    'labelSvg',
    'modelClass',
    'modelMemoryGb',
    'parseLeaderboard',
    'placeResult',
    'rate',
    'readLeaderboard',
    'starRating',
  ],
  'wattscope/llama': ['TINY_MODEL_SHAPE', 'endOfGenerationBan', 'llamaHandler', 'measureChatPrompt', 'measureSequenceGeneration', 'writeTinyGguf'],
  'wattscope/report': ['buildReportHtml', 'writeReportPage'],
  'wattscope/server': ['OpenAIStreamClient', 'RequestError', 'endpointHandler', 'servingRunStats', 'servingStats'],
  'wattscope/testing': ['SimPowerControl', 'simulatedNvmlPath', 'startFakeServer'],
};

describe('npm pack', () => {
  it('ships the build, the prebuild, the native sources and the schema; no sources, tests or benchmarks', () => {
    const listing = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as Array<{
      files: Array<{ path: string }>;
    }>;
    const files = listing[0]!.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'README.md',
      'binding.gyp',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'schema/wattscope-report.schema.json',
      'native/addon/addon.cc',
    ]) {
      expect(files, needed).toContain(needed);
    }
    for (const entry of ['runner', 'scoring', 'report', 'server', 'llama', 'testing']) expect(files).toContain(`dist/public/${entry}.d.ts`);
    // The prebuild (built by the README tests above when missing) ships for this platform.
    expect(files).toContain(`prebuilds/${process.platform}-${process.arch}/wattscope.node`);
    expect(files.filter((f) => /^(src|test|bench|scripts|\.ci)\//.test(f))).toEqual([]);
  });
});
