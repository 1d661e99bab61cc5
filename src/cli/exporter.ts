/** `wattscope exporter`: a Prometheus exporter of GPU (and RAPL) energy and power, until SIGTERM or Ctrl-C. */
import { DEFAULT_EXPORTER_PORT } from '../metrics/exporter-port.js';
import { WattscopeError } from '../util/errors.js';
import { requirePeer } from '../util/peer.js';
import { nvmlFlags, nvmlOptionsFrom, parse, str } from './common.js';

export const exporterHelp = `wattscope exporter [--port 9402] [--host 127.0.0.1] [--simulate | --nvml-library PATH]
  Serves Prometheus metrics at /metrics: per GPU, energy (counter, J), power, temperature and the power
  sensor's refresh period; per RAPL zone, CPU energy. Stops cleanly on SIGTERM or Ctrl-C.`;

/** A TCP port: an integer from 0 (any free port) to 65535. */
function portFrom(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_EXPORTER_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--port must be an integer from 0 to 65535, got "${raw}"`, { field: 'port' });
  }
  return port;
}

export async function exporterCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...nvmlFlags, port: { type: 'string' }, host: { type: 'string' } });
  if (values.help) {
    process.stdout.write(exporterHelp + '\n');
    return 0;
  }
  const port = portFrom(str(values, 'port'));
  // Loaded here: prom-client, an optional peer, is needed by this command only.
  requirePeer('prom-client', 'wattscope exporter');
  const { startExporter } = await import('../metrics/exporter-server.js');
  const exporter = await startExporter({ ...nvmlOptionsFrom(values), port, host: str(values, 'host') ?? '127.0.0.1' });
  process.stderr.write(`wattscope exporter: serving ${exporter.url}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  await exporter.close();
  process.stderr.write(`wattscope exporter: stopped (${signal})\n`);
  return 0;
}
