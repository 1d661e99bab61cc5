// `npm run bench [-- --quick]`: runs each case in a fresh process, prints a table, and writes
// bench/results/latest.json plus a dated copy (quick runs write latest-quick.json only).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = [
  'addon-query',
  'scopes',
  'noop',
  'query-run',
  'query-run-ideal',
  'sampler-cpu',
  'sampler-h200',
  'sampler-rapl',
  'sampler-rate',
  'exporter-scrape',
  'otel-no-sdk',
  'llama-token',
  'event-loop',
  'cold-open',
  'memory-hour',
  'python-anchor',
];
// The benchmarks' own addon (native/bench: C++ baselines), built here and never shipped: the
// production addon carries no benchmark entry points.
// Against this Node's own headers when it has them (offline), as npm's nodedir setting does.
const nodeDir = process.env.npm_config_nodedir ?? path.resolve(process.execPath, '..', '..');
const headers = existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h')) ? [`--nodedir=${nodeDir}`] : [];
const build = spawnSync(
  process.execPath,
  [path.join(here, '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', ...headers, '-C', path.join(here, 'native')],
  { stdio: ['ignore', 2, 2] },
);
if (build.status !== 0) {
  console.error('bench: building the benchmark addon (bench/native) failed');
  process.exit(1);
}
// The overhead cases measure wattscope against the simulated GPU's published H100 model (instant
// counter reads), as their recorded figures were; the library's default is the measured H200, whose
// 3 ms counter read the sampler-h200 case chooses by name.
const caseEnv = { ...process.env, WATTSCOPE_SIM_SENSOR: process.env.WATTSCOPE_SIM_SENSOR ?? 'h100' };
const rows = [];
for (const name of only.length ? only : names) {
  const r = spawnSync(process.execPath, [path.join(here, 'cases.js'), name, ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    timeout: 600_000,
    env: caseEnv,
  });
  if (r.status !== 0) {
    console.error(`bench case ${name} failed:\n${r.stderr}`);
    process.exit(1);
  }
  rows.push(...JSON.parse(r.stdout.trim().split('\n').pop()));
}
const fmt = (v) => (v === null ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
const lines = ['| benchmark | unit | value | baseline | ratio |', '|---|---|---|---|---|'];
for (const r of rows)
  lines.push(
    `| ${r.name} | ${r.unit} | ${fmt(r.value)} | ${fmt(r.baseline)} | ${r.ratio === null ? (r.skipped ? 'skipped: ' + r.skipped : 'n/a') : r.ratio.toFixed(2) + 'x'} |`,
  );
console.log(lines.join('\n'));
const meta = {
  date: new Date().toISOString(),
  quick,
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? null,
  device: `simulated GPU (libwattscope_simgpu), profile ${caseEnv.WATTSCOPE_SIM_SENSOR} unless a case names another`,
};
mkdirSync(path.join(here, 'results'), { recursive: true });
const payload = JSON.stringify(rows, null, 2) + '\n';
if (quick) {
  writeFileSync(path.join(here, 'results', 'latest-quick.json'), payload);
} else {
  writeFileSync(path.join(here, 'results', 'latest.json'), payload);
  writeFileSync(path.join(here, 'results', `${meta.date.slice(0, 10)}.json`), JSON.stringify({ ...meta, results: rows }, null, 2) + '\n');
  writeFileSync(
    path.join(here, 'results', 'latest.md'),
    `Run ${meta.date} on ${meta.cpus} x ${meta.cpuModel}, Node ${meta.node}, ${meta.device}.\n\n${lines.join('\n')}\n`,
  );
}
