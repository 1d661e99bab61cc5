/** `wattscope demo` and `wattscope run <config>` as processes: outputs, crash safety, resume, config errors. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WattscopeReportSchema } from '../src/formats/report-schema.js';
import { packageRoot } from '../src/native/binding.js';
import { readAppliedChanges } from '../src/sim/applied-log.js';
import { configureSim, sleep } from './helpers/sim.js';
import { runCli, startCli } from './helpers/cli.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'wattscope-cli-'));
const readReport = (dir: string) => WattscopeReportSchema.parse(JSON.parse(readFileSync(path.join(dir, 'wattscope-report.json'), 'utf8')));

describe('wattscope demo', () => {
  it('writes every output; a SIGKILL mid-run loses no completed run; the next start resumes and says so', async () => {
    configureSim();
    const out = tmp();
    const args = ['demo', '--out', out, '--runs', '4', '--queries', '150', '--idle', '0.2'];
    const child = startCli(args);
    const runsDir = path.join(out, 'runs');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(existsSync(runsDir) && readdirSync(runsDir).filter((f) => f.endsWith('.json')).length >= 2)) await sleep(20);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    // What was completed is readable. Each run file is written first (the source of truth that
    // resume reads), then the report: a kill between the two leaves the report one run behind.
    const files = readdirSync(runsDir).filter((f) => /^run-\d+\.json$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files.length).toBeLessThan(4);
    for (const f of files) expect(JSON.parse(readFileSync(path.join(runsDir, f), 'utf8')).totalEnergyJ).toBeGreaterThan(0);
    const partial = readReport(out);
    expect(partial.status).toBe('running');
    expect(partial.runs.length).toBeGreaterThanOrEqual(files.length - 1);
    expect(partial.runs.length).toBeLessThanOrEqual(files.length);
    const state = JSON.parse(readFileSync(path.join(out, 'wattscope-state.json'), 'utf8'));
    // The state file is written last: a kill just before it leaves it one run behind the report.
    expect(state.status).toBe('running');
    expect(state.runsCompleted).toBeGreaterThanOrEqual(partial.runs.length - 1);
    expect(state.runsCompleted).toBeLessThanOrEqual(partial.runs.length);
    expect(readFileSync(path.join(out, 'GPU_ENERGY_WH.txt'), 'utf8')).toMatch(/^\d+\.\d\d\n$/);
    // A kill in the middle of an atomic write can orphan its temporary file (here planted, as a
    // killed process with another pid would leave it); the next start removes it, and nothing else.
    const orphans = [path.join(out, '.wattscope-report.json.999999.7.tmp'), path.join(runsDir, '.run-002.json.999999.8.tmp')];
    for (const f of orphans) writeFileSync(f, '{"trunc');
    writeFileSync(path.join(out, 'notes.tmp'), 'mine');
    // Run again: it resumes.
    const again = runCli(args);
    expect(again.status).toBe(0);
    // The console output ends by saying where the report page is.
    expect(again.stdout.trim().split('\n').at(-1)).toBe(`report page: ${path.resolve(out, 'report.html')} (open it in a browser; it works offline)`);
    expect(again.stderr).toMatch(new RegExp(`resuming an interrupted benchmark in .*: ${files.length} of 4 runs already complete`));
    const full = readReport(out);
    expect(full.status).toBe('complete');
    expect(full.runs.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(full.runs[0]!.startedAt).toBe(partial.runs[0]!.startedAt);
    for (const f of ['GPU_ENERGY_WH.txt', 'GPU_ENERGY_SUMMARY.json', 'benchmark_report.json']) expect(existsSync(path.join(out, f))).toBe(true);
    for (const f of orphans) expect(existsSync(f)).toBe(false);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual(['notes.tmp']);
    expect(readdirSync(runsDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // --fresh starts clean and says so.
    const fresh = runCli([...args.slice(0, 3), '--runs', '1', '--queries', '50', '--idle', '0.1', '--fresh']);
    expect(fresh.status).toBe(0);
    expect(fresh.stderr).toMatch(/starting clean/);
    expect(readReport(out).runs).toHaveLength(1);
  }, 120_000);
});

describe('stopping a benchmark', () => {
  it("SIGTERM (systemd's stop) stops it as Ctrl-C does: what was measured is written, the state says interrupted, exit 143", async () => {
    configureSim();
    const out = tmp();
    const child = startCli(['demo', '--out', out, '--runs', '6', '--queries', '150', '--idle', '0.2']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const runsDir = path.join(out, 'runs');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(existsSync(runsDir) && readdirSync(runsDir).some((f) => /^run-\d+\.json$/.test(f)))) await sleep(20);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(143);
    expect(JSON.parse(readFileSync(path.join(out, 'wattscope-state.json'), 'utf8')).status).toBe('interrupted');
    const report = readReport(out);
    expect(report.status).toBe('interrupted');
    expect(report.runs.length).toBeGreaterThanOrEqual(1);
  }, 90_000);
});

describe('wattscope run <config>', () => {
  const dist = path.join(packageRoot, 'dist', 'public', 'testing.js');

  it('runs a user handler module over a JSONL dataset, paths relative to the config', () => {
    const sim = configureSim({ control: true });
    const dir = tmp();
    writeFileSync(path.join(dir, 'data.jsonl'), Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `q${i}`, text: `question ${i}` })).join('\n'));
    writeFileSync(
      path.join(dir, 'handler.mjs'),
      `
      import { SimPowerControl } from ${JSON.stringify(dist)};
      const gpu = new SimPowerControl(process.env.WATTSCOPE_SIM_CONTROL);
      const spin = (ms) => { const e = performance.now() + ms; while (performance.now() < e) {} };
      export default async function handle(row, q) {
        await q.phase('prefill', () => { gpu.set(600); spin(4); }, { tokens: row.text.length });
        await q.phase('decode', () => { gpu.set(300); spin(6); }, { tokens: 10 });
        gpu.set(70);
      }`,
    );
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        dataset: { path: 'data.jsonl', task: 'text-generation' },
        handler: { module: 'handler.mjs' },
        outDir: 'out',
        runs: 2,
        warmup: 2,
        phases: ['prefill', 'decode'],
        simulate: true,
        idleMeasureS: 0.2,
        randomDelayMaxS: 0.1,
        sampleHz: 2000,
        model: 'me/model',
      }),
    );
    const r = runCli(['run', path.join(dir, 'config.json'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = readReport(path.join(dir, 'out'));
    expect(report.benchmark).toMatchObject({ model: 'me/model', runsCompleted: 2, phases: ['prefill', 'decode'] });
    // The GPU draws 600 W through each prefill (set as it starts), so each run's prefill is 600 W x
    // the prefill time the run itself measured, normalized to 1,000 queries (about 0.67 Wh on a
    // quiet machine; longer phases on a busy one). The 70 W before the set and the file write at
    // the phase's start may take a few percent.
    for (const run of report.runs) {
      const expectedWh = (600 * run.phases.prefill!.durationS * (1000 / run.queries)) / 3600;
      expect(run.phaseWhPer1000.prefill! / expectedWh).toBeGreaterThan(0.85);
      expect(run.phaseWhPer1000.prefill! / expectedWh).toBeLessThan(1.02);
    }
    // The handler drove the simulated GPU: the simulator in the CLI's process applied its changes,
    // one prefill (600 W) and one decode (300 W) per query: 2 warm-up queries + 2 runs x 40.
    const appliedLogs = readdirSync(path.dirname(sim.file!)).filter((f) => f.startsWith('control.log.applied.'));
    expect(appliedLogs).toHaveLength(1);
    const applied = readAppliedChanges(path.join(path.dirname(sim.file!), appliedLogs[0]!));
    expect(applied.filter((c) => c.watts === 600)).toHaveLength(82);
    expect(applied.filter((c) => c.watts === 300)).toHaveLength(82);
  }, 60_000);

  it('a bad config field is an error naming the field and the file', () => {
    const dir = tmp();
    const cfg = path.join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ dataset: { path: 'x.jsonl' }, handler: { synthetic: true }, outDir: 'o', runs: 0 }));
    let r = runCli(['run', cfg]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/invalid config at "runs" in .*bad\.json/);
    writeFileSync(cfg, JSON.stringify({ dataset: { path: 'x.jsonl', colums: ['text'] }, handler: { synthetic: true }, outDir: 'o' }));
    r = runCli(['run', cfg]);
    expect(r.stderr).toMatch(/at "dataset.colums"/);
    r = runCli(['run', path.join(dir, 'missing.json')]);
    expect(r.stderr).toMatch(/missing\.json: cannot read the config \(no such file\)/);
  });

  it('a bad dataset row stops the run with the file, line and field', () => {
    configureSim();
    const dir = tmp();
    writeFileSync(path.join(dir, 'data.jsonl'), '{"text":"ok"}\n{"text":""}\n');
    writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ dataset: { path: 'data.jsonl' }, handler: { synthetic: true }, outDir: 'o', simulate: true }));
    const r = runCli(['run', path.join(dir, 'c.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/data\.jsonl:2: line 2, field "text": empty text/);
  });
});
