/**
 * Test helpers for runs across nodes: `wattscope exporter` child processes standing for other
 * nodes (each its own simulated GPUs, driven through its own control file), and a real Prometheus
 * server (Debian's `prometheus`) scraping them on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCli } from './cli.js';
import { configureSim, type SimControl, type SimSetup } from './sim.js';

/** Debian's Prometheus binary, or null where it is not installed. */
export const PROMETHEUS_BINARY = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p)) ?? null;

/** The URL an exporter child prints once serving. */
export function servingUrl(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      const match = /serving (\S+)/.exec(d.toString());
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`the exporter exited with ${code}`)));
  });
}

/** A simulated node: an exporter child process and the control of its simulated GPUs. */
export interface ExporterNode {
  /** host:port, as Prometheus labels the target (`instance`). */
  instance: string;
  /** How many GPUs it simulates. */
  gpus: number;
  sim: SimControl;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `wattscope exporter --simulate` with its own simulated GPUs (configured as configureSim
 * does, with a control file). It changes this process's simulator environment: configure the
 * local simulator after starting every node.
 */
export async function startExporterNode(setup: SimSetup): Promise<ExporterNode> {
  const sim = configureSim({ ...setup, control: true });
  const child = startCli(['exporter', '--simulate', '--port', '0'], { ...process.env });
  sim.simulatorPid = child.pid!;
  const url = await servingUrl(child);
  return {
    instance: new URL(url).host,
    gpus: setup.devices ?? 1,
    sim,
    child,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A free TCP port on loopback (Prometheus takes no port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningPrometheus {
  url: string;
  /** Resolves once every target has at least `samples` scrapes of the energy counter. */
  scraped(samples: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Prometheus on loopback, scraping `targets` (host:port) every `scrapeIntervalMs`, with its data in a temporary directory. */
export async function startPrometheus(targets: string[], scrapeIntervalMs: number): Promise<RunningPrometheus> {
  if (!PROMETHEUS_BINARY) throw new Error('no prometheus binary');
  const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${scrapeIntervalMs}ms`,
      `  scrape_timeout: ${Math.floor(scrapeIntervalMs * 0.8)}ms`,
      'scrape_configs:',
      '  - job_name: wattscope',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS_BINARY,
    [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const scraped = async (samples: number, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('count_over_time(wattscope_gpu_energy_joules_total[5m])')}`)
        .then((r) => r.json() as Promise<{ data?: { result?: Array<{ metric: { instance: string }; value: [number, string] }> } }>)
        .catch(() => null);
      const ready = targets.every((t) => (counts?.data?.result ?? []).some((r) => r.metric.instance === t && Number(r.value[1]) >= samples));
      if (ready) return;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Prometheus did not scrape ${targets.join(', ')} ${samples} times: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return {
    url,
    scraped,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
