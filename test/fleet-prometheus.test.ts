/**
 * Runs across nodes through a real Prometheus server (Debian's `prometheus`, which .ci/run installs):
 * two `wattscope exporter` processes stand for two other nodes (1 and 2 simulated H100s), scraped
 * every 100 ms on loopback. Prometheus's own increase() over a known power trace matches each
 * simulator's truth, and a benchmark with `nodes` reports each node's share and the total within
 * 2% of the truth (and within their stated uncertainty), apportions the remote energy to the
 * phases, and flags a node that stops being scraped.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnergyMonitor } from '../src/index.js';
import { WattscopeReportSchema } from '../src/formats/report-schema.js';
import type { RunRecord } from '../src/formats/report-types.js';
import type { BenchmarkHandler } from '../src/runner/benchmark-types.js';
import { runBenchmark } from '../src/runner/runner.js';
import { syntheticDataset } from '../src/runner/synthetic.js';
import { PROMETHEUS_BINARY, startExporterNode, startPrometheus, type ExporterNode, type RunningPrometheus } from './helpers/prometheus.js';
import { configureSim, sleep, type SimControl } from './helpers/sim.js';

const SCRAPE_INTERVAL_MS = 100;
const ENERGY_METRIC = 'wattscope_gpu_energy_joules_total';

/** A monotonic instant as Unix ms by this process's clock (as the runner converts its windows). */
const wallMsOf = (monotonicNs: bigint) => Date.now() - Number(process.hrtime.bigint() - monotonicNs) / 1e6;
/** Unix ms (this process's clock) as a monotonic instant. */
const monotonicNsOf = (wallMs: number) => process.hrtime.bigint() - BigInt(Math.round((Date.now() - wallMs) * 1e6));

/** The simulator's exact energy over every GPU of a node between two Unix ms instants, J. */
function nodeTruthJ(sim: SimControl, gpus: number, startMs: number, endMs: number): number {
  const [fromNs, toNs] = [monotonicNsOf(startMs), monotonicNsOf(endMs)];
  return Array.from({ length: gpus }, (_, gpu) => sim.energyJ(gpu, fromNs, toNs)).reduce((a, b) => a + b, 0);
}

async function instantQuery(
  prometheus: RunningPrometheus,
  query: string,
  atMs: number,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${(atMs / 1000).toFixed(3)}`;
  const body = (await (await fetch(url)).json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  expect(body.status).toBe('success');
  return body.data.result;
}

describe.skipIf(!PROMETHEUS_BINARY)(
  `runs across nodes through a real Prometheus${PROMETHEUS_BINARY ? '' : " (skipped: Debian's prometheus is not installed at /usr/bin/prometheus; .ci/run installs it)"}`,
  () => {
    let nodeA: ExporterNode;
    let nodeB: ExporterNode;
    let nodeC: ExporterNode;
    let prometheus: RunningPrometheus;

    beforeAll(async () => {
      nodeA = await startExporterNode({ devices: 1, idleW: 300 });
      nodeB = await startExporterNode({ devices: 2, idleW: 300 });
      nodeC = await startExporterNode({ devices: 1, idleW: 200 });
      prometheus = await startPrometheus([nodeA.instance, nodeB.instance, nodeC.instance], SCRAPE_INTERVAL_MS);
      await prometheus.scraped(3);
    }, 60_000);

    afterAll(async () => {
      await prometheus?.stop();
      await Promise.all([nodeA, nodeB, nodeC].map((node) => node?.stop()));
    });

    it("Prometheus's increase() of each node's counters over a known power trace matches the truth within 2%", async () => {
      // The power steps once Prometheus scrapes every node (a busy machine has taken 12 s to get
      // there, so they are not a trace from the nodes' start), each node at 300 W at both edges of the
      // window checked, so that the counter's 100 ms steps do not tilt the increase.
      await sleep(1000);
      const firstChangeNs = nodeA.sim.setPower(500);
      for (const [node, watts] of [
        [nodeB, 650],
        [nodeA, 150],
        [nodeB, 150],
        [nodeA, 300],
      ] as const) {
        await sleep(node === nodeB ? 500 : 1000);
        node.sim.setPower(watts);
      }
      await sleep(500);
      const lastChangeNs = nodeB.sim.setPower(300);
      const windowEndNs = lastChangeNs + 1_500_000_000n;
      const windowMs = Math.round(Number(windowEndNs - (firstChangeNs - 1_000_000_000n)) / 1e6);
      // Wait for the window's end, and a scrape beyond it.
      while (process.hrtime.bigint() < windowEndNs + 300_000_000n) await sleep(100);
      const endMs = wallMsOf(windowEndNs);
      const series = await instantQuery(prometheus, `increase(${ENERGY_METRIC}[${windowMs}ms])`, endMs);
      const startMs = endMs - windowMs;
      for (const node of [nodeA, nodeB]) {
        const mine = series.filter((s) => s.metric.instance === node.instance);
        expect(mine).toHaveLength(node.gpus);
        for (const s of mine) {
          const truthJ = node.sim.energyJ(Number(s.metric.gpu), monotonicNsOf(startMs), monotonicNsOf(endMs));
          const increaseJ = Number(s.value[1]);
          expect(Math.abs(increaseJ - truthJ) / truthJ, `${node.instance} gpu ${s.metric.gpu}: increase ${increaseJ} J, truth ${truthJ} J`).toBeLessThan(0.02);
        }
      }
    }, 60_000);

    it('a benchmark with nodes reports each node and the total within 2% of the truth, and apportions the remote energy to the phases', async () => {
      const local = configureSim({ control: true, devices: 1 });
      // Every node runs the query: this node at the phase's power, node A at 90% of it, node B's GPUs at 70%.
      const setAll = (watts: number) => {
        local.setPower(watts);
        nodeA.sim.setPower(watts * 0.9);
        nodeB.sim.setPower(watts * 0.7);
      };
      const handler: BenchmarkHandler = async (_row, q) => {
        await q.phase('prefill', () => (setAll(520), sleep(40)), { tokens: 20 });
        await q.phase('decode', () => (setAll(360), sleep(110)), { tokens: 10 });
        setAll(90);
      };
      const monitor = await EnergyMonitor.open({ simulate: true, sampleHz: 1000 });
      const outDir = mkdtempSync(path.join(tmpdir(), 'wattscope-nodes-'));
      const report = await runBenchmark({
        dataset: syntheticDataset(50),
        handler,
        phases: ['prefill', 'decode'],
        runs: 2,
        warmup: 2,
        idleMeasureS: 0.3,
        randomDelayMaxS: 0.2,
        outDir,
        monitor,
        nodes: { prometheus: prometheus.url, exporters: [nodeA.instance, nodeB.instance] },
      }).finally(() => monitor.close());
      expect(report.status).toBe('complete');
      expect(WattscopeReportSchema.parse(JSON.parse(readFileSync(path.join(outDir, 'wattscope-report.json'), 'utf8'))).runs[0]!.nodes).toBeTruthy();
      expect(report.settings.nodes).toMatchObject({
        prometheus: prometheus.url,
        exporters: [nodeA.instance, nodeB.instance],
        clockSkewMs: 50,
        counterLagMs: 50,
      });
      expect(report.notes.join('\n')).toMatch(/Clock-skew assumption: this node's clock and the Prometheus server's agree within 50 ms/);
      for (const run of report.runs) checkRunAgainstTruth(run, local, [nodeA, nodeB]);
      // The AI Energy Score figures count every node's GPUs: the phases scaled by the known total over the local one.
      const run = report.runs[0]!;
      const factor = run.nodes!.totalEnergyJ / run.totalEnergyJ;
      expect(factor).toBeGreaterThan(2.5);
      for (const phase of ['prefill', 'decode']) {
        expect(run.phaseWhPer1000[phase]).toBeCloseTo((((run.phases[phase]!.energyJ * 1000) / run.queries) * factor) / 3600, 9);
      }
      const aiEnergyBenchmarks = JSON.parse(readFileSync(path.join(outDir, 'ai_energy_benchmarks', 'benchmark_report.json'), 'utf8')) as {
        energy: { gpu_energy_wh: number };
      };
      // The mean is over the runs the report includes (a busy machine can leave one out as unstable).
      const included = report.runs.filter((r) => r.included);
      expect(included.length).toBeGreaterThan(0);
      const meanTotalJ = included.reduce((sum, r) => sum + r.nodes!.totalEnergyJ, 0) / included.length;
      expect(aiEnergyBenchmarks.energy.gpu_energy_wh).toBeCloseTo(meanTotalJ / 3600, 9);
    }, 120_000);

    it('flags a node that stops being scraped during a run, and leaves that run out of the means', async () => {
      const local = configureSim({ control: true, devices: 1 });
      let queries = 0;
      const handler: BenchmarkHandler = async (_row, q) => {
        await q.phase('decode', () => (local.setPower(300), sleep(50)), { tokens: 10 });
        // Node C's exporter stops in the middle of the second run (warm-up: 1 query, runs: 25 each).
        if (++queries === 1 + 25 + 12) await nodeC.stop();
      };
      const report = await runBenchmark({
        dataset: syntheticDataset(25),
        handler,
        phases: ['decode'],
        runs: 2,
        warmup: 1,
        idleMeasureS: 0,
        randomDelayMaxS: 0,
        monitor: { simulate: true },
        nodes: { prometheus: prometheus.url, exporters: [nodeC.instance], waitS: 1 },
      });
      const [first, second] = report.runs as [RunRecord, RunRecord];
      expect(first.flags).not.toContain('node-counter-missing');
      expect(first.nodes!.complete).toBe(true);
      expect(second.flags).toContain('node-counter-missing');
      expect(second.nodes!.complete).toBe(false);
      const share = second.nodes!.shares.find((s) => s.node === nodeC.instance)!;
      expect(share.energyJ).toBeNull();
      expect(share.reason).toMatch(/gpu 0: no scrape after the window's end/);
      expect(second.included).toBe(false);
      // Among the run's anomalies (a busy machine may add sampling-gap before it).
      expect(second.unstable.join(' ')).toMatch(/counter-anomaly: (\S+, )*node-counter-missing/);
      expect(report.aggregate!.includedRuns).toEqual([0]);
    }, 60_000);

    it('refuses to start when Prometheus does not scrape a named exporter', async () => {
      configureSim({ devices: 1 });
      await expect(
        runBenchmark({
          dataset: syntheticDataset(2),
          handler: () => undefined,
          runs: 1,
          monitor: { simulate: true },
          nodes: { prometheus: prometheus.url, exporters: ['127.0.0.1:1'], waitS: 0 },
        }),
      ).rejects.toMatchObject({ code: 'WATTSCOPE_NODE_NOT_SCRAPED', field: 'nodes.exporters.0' });
    });
  },
);

/** Each node's share, and the total, against the simulators' truth over the run's window. */
function checkRunAgainstTruth(run: RunRecord, local: SimControl, remote: ExporterNode[]): void {
  const nodes = run.nodes!;
  expect(nodes.complete).toBe(true);
  expect(run.flags.filter((f) => f.startsWith('node-'))).toEqual([]);
  expect(nodes.shares.map((s) => s.node)).toEqual(['local', ...remote.map((n) => n.instance)]);
  const truths = [
    nodeTruthJ(local, 1, nodes.windowStartMs, nodes.windowEndMs),
    ...remote.map((n) => nodeTruthJ(n.sim, n.gpus, nodes.windowStartMs, nodes.windowEndMs)),
  ];
  for (const [i, share] of nodes.shares.entries()) {
    const where = `run ${run.index} ${share.node}: ${share.energyJ} J +- ${share.uncertaintyJ}, truth ${truths[i]} J`;
    expect(Math.abs(share.energyJ! - truths[i]!) / truths[i]!, where).toBeLessThan(0.02);
    expect(Math.abs(share.energyJ! - truths[i]!), where).toBeLessThanOrEqual(share.uncertaintyJ!);
  }
  expect(nodes.shares[2]!.gpus.map((g) => g.gpu).sort()).toEqual(['0', '1']);
  const truthTotalJ = truths.reduce((a, b) => a + b, 0);
  expect(Math.abs(nodes.totalEnergyJ - truthTotalJ) / truthTotalJ).toBeLessThan(0.02);
  expect(nodes.totalEnergyJ).toBeCloseTo(
    nodes.shares.reduce((sum, s) => sum + s.energyJ!, 0),
    9,
  );
}
