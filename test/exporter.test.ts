/**
 * `wattscope exporter`: Prometheus metrics of the simulated GPUs, scraped over HTTP. The energy
 * counter's increase between two scrapes matches the simulator's truth; concurrent scrapes all
 * answer the same metrics; SIGTERM stops it with status 0. The counter bridge is tested on
 * synthetic readings.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CounterBridge } from '../src/metrics/counter-bridge.js';
import { ESTIMATE_TOLERANCE_S } from '../src/metrics/gpu-reading.js';
import { startCli } from './helpers/cli.js';
import { servingUrl } from './helpers/prometheus.js';
import { configureSim } from './helpers/sim.js';

/** The value of `metric` with label gpu="<gpu>" in a Prometheus text exposition, or null when absent. */
function sampleOf(text: string, metric: string, gpu: number): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{gpu="${gpu}"`));
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('counter bridge', () => {
  it('keeps the total growing across a driver reload (the counter restarting from 0)', () => {
    const bridge = new CounterBridge();
    expect(bridge.totalJ).toBeNull();
    expect(bridge.update(1000)).toBe(1000);
    expect(bridge.update(1500)).toBe(1500);
    expect(bridge.update(20)).toBe(1520); // reloaded: 1,500 J kept, 20 J since
    expect(bridge.update(50)).toBe(1550);
    expect(bridge.resets).toBe(1);
  });
});

describe('wattscope exporter', () => {
  it('serves each GPU energy counter, power and temperature; increase() over a window matches the truth within 2%', async () => {
    // Two GPUs at 150 W, then 300 W from 1.5 s on (inside the window), the counter updating every 10 ms.
    const sim = configureSim({ devices: 2, trace: '0:150,1.5:300', periodMs: 10 });
    const child = startCli(['exporter', '--simulate', '--port', '0']);
    try {
      const url = await servingUrl(child);
      const scrape = async () => {
        const startNs = process.hrtime.bigint();
        const response = await fetch(url);
        const endNs = process.hrtime.bigint();
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        return { text: await response.text(), startNs, endNs };
      };
      const first = await scrape();
      await new Promise((r) => setTimeout(r, 2000));
      const second = await scrape();
      for (const gpu of [0, 1]) {
        const increaseJ = sampleOf(second.text, 'wattscope_gpu_energy_joules_total', gpu)! - sampleOf(first.text, 'wattscope_gpu_energy_joules_total', gpu)!;
        // Each scrape's counter is the sampler's at its latest sample (a counter read at every sample
        // on this profile), and the counter (every 10 ms) was then up to 10 ms old: the truth over
        // the narrowest and the widest window those timings allow, each within 2%. The scrapes' round trips are measured here: a busy machine that
        // stretches them (seen: 4.5% off a window taken between their midpoints) widens the bounds.
        const counterPeriodNs = 10_000_000n;
        const narrowestJ = sim.energyJ(gpu, first.endNs, second.startNs - counterPeriodNs);
        const widestJ = sim.energyJ(gpu, first.startNs - counterPeriodNs, second.endNs);
        const where = `GPU ${gpu}: ${increaseJ} J, truth ${narrowestJ}-${widestJ} J`;
        expect(increaseJ, where).toBeGreaterThan(0.98 * narrowestJ);
        expect(increaseJ, where).toBeLessThan(1.02 * widestJ);
        expect(sampleOf(second.text, 'wattscope_gpu_power_watts', gpu)).toBe(300);
        expect(sampleOf(second.text, 'wattscope_gpu_temperature_celsius', gpu)).toBeGreaterThan(0);
      }
      // dcgm-exporter's label names, so that its dashboards' joins find these series.
      expect(second.text).toMatch(
        new RegExp(`wattscope_gpu_energy_joules_total\\{gpu="1",UUID="GPU-[0-9a-f-]+",modelName="NVIDIA H100 80GB HBM3",Hostname="${hostname()}"\\}`),
      );
      // The instant reading and the 1 s average are two series, each saying which it is.
      expect(second.text).toMatch(/# HELP wattscope_gpu_power_watts GPU power, W: the driver's instant reading/);
      expect(sampleOf(second.text, 'wattscope_gpu_power_average_watts', 0)).toBeGreaterThan(0);
      // Concurrent scrapes: every one answers, with every GPU's counter.
      const all = await Promise.all(Array.from({ length: 20 }, () => fetch(url).then((r) => r.text())));
      for (const text of all) expect([0, 1].map((gpu) => sampleOf(text, 'wattscope_gpu_energy_joules_total', gpu))).not.toContain(null);
      expect((await fetch(url.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  }, 30_000);

  it('on profile h200 (a counter read spins 3 ms): increase() over a window matches the truth within 2% of the windows its stated tolerance allows', async () => {
    // Two GPUs at 150 W, then 300 W from 1 s on; the window opens 3 s in, once the sampler has
    // learnt each GPU's counter steps (before that a scrape reads the counter: unit-exporter-reading).
    const sim = configureSim({ devices: 2, sensor: 'h200', trace: '0:150,1:300' });
    const child = startCli(['exporter', '--simulate', '--port', '0']);
    try {
      const url = await servingUrl(child);
      const scrape = async () => {
        const startNs = process.hrtime.bigint();
        const text = await (await fetch(url)).text();
        return { text, startNs, endNs: process.hrtime.bigint() };
      };
      const sinceEpochMs = () => Number(process.hrtime.bigint() - sim.epochNs) / 1e6;
      await new Promise((r) => setTimeout(r, Math.max(0, 3000 - sinceEpochMs())));
      const first = await scrape();
      await new Promise((r) => setTimeout(r, 3000));
      const second = await scrape();
      for (const gpu of [0, 1]) {
        const increaseJ = sampleOf(second.text, 'wattscope_gpu_energy_joules_total', gpu)! - sampleOf(first.text, 'wattscope_gpu_energy_joules_total', gpu)!;
        // The exporter uses the sampler's counter only where it states it within 0.25 s of the power
        // (ESTIMATE_TOLERANCE_S), a read being up to 0.1 s old: the truth over the narrowest and
        // widest windows that allows, with the scrapes' measured round trips (a busy machine
        // stretches them), each within 2%.
        const toleranceNs = BigInt(ESTIMATE_TOLERANCE_S * 1e9);
        const narrowestJ = sim.energyJ(gpu, first.endNs, second.startNs - toleranceNs);
        const widestJ = sim.energyJ(gpu, first.startNs - toleranceNs, second.endNs);
        const where = `GPU ${gpu}: ${increaseJ} J, truth ${narrowestJ}-${widestJ} J`;
        expect(increaseJ, where).toBeGreaterThan(0.98 * narrowestJ);
        expect(increaseJ, where).toBeLessThan(1.02 * widestJ);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise<number | null>((resolve) => child.on('exit', resolve))).toBe(0);
  }, 30_000);

  it('keeps serving for 10 s after a GPU is lost: that GPU is wattscope_gpu_up 0 with its other series dropped, the other GPU goes on', async () => {
    // GPU 1 is lost 5 s after the simulated driver's epoch: an exporter starting beside two busy
    // loops has been seen to take 2 s before it serves, and the first scrape must see GPU 1 up.
    const sim = configureSim({ devices: 2, trace: '0:200', faults: 'gpu_lost_after=5@1' });
    const lossNs = sim.epochNs + 5_000_000_000n;
    const child = startCli(['exporter', '--simulate', '--port', '0']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const url = await servingUrl(child);
      const before = await (await fetch(url)).text();
      const untilLossMs = Number(lossNs - process.hrtime.bigint()) / 1e6;
      expect(untilLossMs, 'the exporter served its first scrape before GPU 1 was lost').toBeGreaterThan(0);
      expect(sampleOf(before, 'wattscope_gpu_up', 1)).toBe(1);
      expect(sampleOf(before, 'wattscope_gpu_energy_joules_total', 1)).not.toBeNull();
      let lastEnergyJ = 0;
      let scrapes = 0;
      // Up to the loss, then 10 s past it: every scrape answers 200 with GPU 0's series.
      while (process.hrtime.bigint() < lossNs + 10_000_000_000n) {
        const response = await fetch(url);
        expect(response.status, stderr).toBe(200);
        const text = await response.text();
        expect(sampleOf(text, 'wattscope_gpu_up', 0)).toBe(1);
        const energyJ = sampleOf(text, 'wattscope_gpu_energy_joules_total', 0)!;
        expect(energyJ).toBeGreaterThanOrEqual(lastEnergyJ);
        lastEnergyJ = energyJ;
        scrapes++;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(scrapes).toBeGreaterThan(20);
      const after = await (await fetch(url)).text();
      expect(sampleOf(after, 'wattscope_gpu_up', 1)).toBe(0);
      for (const metric of ['wattscope_gpu_energy_joules_total', 'wattscope_gpu_power_watts', 'wattscope_gpu_temperature_celsius']) {
        expect(sampleOf(after, metric, 1), metric).toBeNull();
        expect(sampleOf(after, metric, 0), metric).not.toBeNull();
      }
      expect(stderr).toMatch(/GPU 1 stopped answering \(NVML_ERROR_GPU_IS_LOST\)/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise<number | null>((resolve) => child.on('exit', resolve))).toBe(0);
  }, 45_000);

  it('answers in OpenMetrics when asked: each family named once, every GPU series labelled as dcgm-exporter labels its own', async () => {
    configureSim({ devices: 2, trace: '0:180' });
    const child = startCli(['exporter', '--simulate', '--port', '0']);
    try {
      const url = await servingUrl(child);
      const response = await fetch(url, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
      expect(response.headers.get('content-type')).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
      const text = await response.text();
      expect(text.trimEnd().endsWith('# EOF')).toBe(true);
      const families = [...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!);
      expect(families).toEqual(expect.arrayContaining(['wattscope_gpu_energy_joules', 'wattscope_gpu_power_watts', 'wattscope_gpu_power_average_watts']));
      expect(new Set(families).size).toBe(families.length);
      const gpuSeries = text.split('\n').filter((line) => line.startsWith('wattscope_gpu_'));
      expect(gpuSeries.length).toBeGreaterThanOrEqual(8);
      for (const line of gpuSeries) {
        const labelNames = [...line.slice(line.indexOf('{') + 1, line.indexOf('}')).matchAll(/(\w+)="/g)].map((m) => m[1]);
        expect(labelNames, line).toEqual(['gpu', 'UUID', 'modelName', 'Hostname']);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise<number | null>((resolve) => child.on('exit', resolve))).toBe(0);
  }, 30_000);

  it("exports the power sensor's measured refresh period (an H100's: 0.1 s) and the CPU's RAPL zones where readable", async () => {
    configureSim({ sensor: 'h100', noiseW: 5 });
    const root = mkdtempSync(path.join(tmpdir(), 'wattscope-exporter-powercap-'));
    mkdirSync(path.join(root, 'intel-rapl:0'));
    writeFileSync(path.join(root, 'intel-rapl:0', 'name'), 'package-0\n');
    writeFileSync(path.join(root, 'intel-rapl:0', 'energy_uj'), '5000000\n');
    writeFileSync(path.join(root, 'intel-rapl:0', 'max_energy_range_uj'), '262143328850\n');
    const child = startCli(['exporter', '--simulate', '--port', '0'], { ...process.env, WATTSCOPE_POWERCAP_ROOT: root });
    try {
      const url = await servingUrl(child);
      await new Promise((r) => setTimeout(r, 2500));
      const text = await (await fetch(url)).text();
      expect(sampleOf(text, 'wattscope_gpu_power_sensor_refresh_seconds', 0)).toBeCloseTo(0.1, 2);
      expect(text).toMatch(/^wattscope_cpu_energy_joules_total\{zone="intel-rapl:0"\} 0$/m);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise<number | null>((resolve) => child.on('exit', resolve))).toBe(0);
  }, 30_000);
});
