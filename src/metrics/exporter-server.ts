/**
 * The Prometheus exporter: an HTTP server whose /metrics reads every GPU through NVML at scrape
 * time (prom-client's text format), with a low-rate monitor for what needs samples (the power
 * sensor's refresh period, the CPU's RAPL zones). Scrapes may run concurrently: each is one
 * synchronous read of the registry's collectors. Memory is bounded by the monitor's retention.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, type OpenMetricsContentType } from 'prom-client';
import { EnergyMonitor } from '../monitor/monitor.js';
import { NvmlSession, type NvmlOptions } from '../nvml/session.js';
import { DEFAULT_EXPORTER_PORT } from './exporter-port.js';
import { registerGpuMetrics } from './gpu-metrics.js';
import { WattscopeError } from '../util/errors.js';

export interface ExporterOptions extends NvmlOptions {
  /** TCP port (0: any free port; default 9402, beside dcgm-exporter's 9400 rather than on it). */
  port?: number;
  /** Address to listen on (default 127.0.0.1; 0.0.0.0 to be scraped from other hosts). */
  host?: string;
  /** Where a GPU that stops answering is reported, one line per outage (default: stderr). */
  log?: (line: string) => void;
}

export interface RunningExporter {
  /** The metrics URL, e.g. http://127.0.0.1:9402/metrics. */
  url: string;
  registry: Registry;
  /** Stops serving, then closes the monitor and NVML. */
  close(): Promise<void>;
}

/** How often every energy counter is read between scrapes, so that a driver reload is bridged closely, ms. */
const REFRESH_MS = 1000;

/** Opens NVML, registers the metrics and starts serving them. */
export async function startExporter(options: ExporterOptions = {}): Promise<RunningExporter> {
  const nvml: NvmlOptions = {
    ...(options.simulate !== undefined ? { simulate: options.simulate } : {}),
    ...(options.library ? { library: options.library } : {}),
  };
  const session = NvmlSession.open(nvml);
  const all = Array.from({ length: session.deviceCount() }, (_, i) => i).join(',');
  // Every GPU NVML sees (as dcgm-exporter), whatever CUDA_VISIBLE_DEVICES says; 200 Hz tells a 100 ms sensor.
  const monitor = await EnergyMonitor.open({
    ...nvml,
    sampleHz: 200,
    // The sampler serves each scrape's counter (its last update plus the power sampled since) and
    // the sensor's refresh: a scrape reads no counter, which a real H200's driver takes 3 ms to
    // read. 'auto': read sparsely where reads are that slow and the driver keeps its 20 ms samples.
    counterReads: 'auto',
    retentionS: 5,
    cudaVisibleDevices: all,
    cudaDeviceOrder: 'PCI_BUS_ID',
    ifUnavailable: 'noop',
  });
  // The same metrics in Prometheus's text format and in OpenMetrics, as the scraper's Accept asks.
  const registry = new Registry();
  const openMetrics = new Registry<OpenMetricsContentType>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const { refresh } = registerGpuMetrics([registry, openMetrics], session, monitor, (gpu, reason) =>
    (options.log ?? ((line: string) => process.stderr.write(line + '\n')))(
      `wattscope exporter: GPU ${gpu} stopped answering (${reason}); exported as wattscope_gpu_up 0`,
    ),
  );
  refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  timer.unref();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('wattscope exporter: GET /metrics\n');
      return;
    }
    const served = (req.headers.accept ?? '').includes('application/openmetrics-text') ? openMetrics : registry;
    served.metrics().then(
      (body) => res.writeHead(200, { 'content-type': served.contentType }).end(body),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  const port = options.port ?? DEFAULT_EXPORTER_PORT;
  const host = options.host ?? '127.0.0.1';
  try {
    await listen(server, port, host);
  } catch (err) {
    clearInterval(timer);
    await monitor.close();
    session.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      const why = code === 'EADDRINUSE' ? 'is in use (by another exporter?)' : code === 'EACCES' ? 'needs privileges' : 'is not an address of this machine';
      throw new WattscopeError('WATTSCOPE_PORT_UNAVAILABLE', `cannot listen on ${host}:${port}: it ${why}; choose another with --port or --host`, {
        field: 'port',
        cause: err,
      });
    }
    throw err;
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/metrics`,
    registry,
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await monitor.close();
      session.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
