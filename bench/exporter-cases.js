// The Prometheus exporter's scrape: the whole /metrics text for 8 simulated GPUs, against the
// NVML reads it cannot avoid (each GPU's status read directly); and a scope's begin + end with
// OpenTelemetry registered but no SDK installed, against a monitor without it. Part of bench/cases.js.
import path from 'node:path';

/** The cases, given cases.js's helpers. */
export function exporterCases({ root, quick, timeAsync, timeSync, row }) {
  return {
    async 'otel-no-sdk'() {
      const { EnergyMonitor } = await import(path.join(root, 'dist', 'index.js'));
      const iterations = quick ? 20_000 : 200_000;
      const plain = await EnergyMonitor.open({ simulate: true });
      const withoutNs = timeSync(() => plain.begin('x').end(), iterations);
      await plain.close();
      const instrumented = await EnergyMonitor.open({ simulate: true });
      instrumented.registerOpenTelemetry();
      const withNs = timeSync(() => instrumented.begin('x').end(), iterations);
      await instrumented.close();
      return [row('scope begin + end, OpenTelemetry registered with the API but no SDK (vs not registered)', 'ns', withNs, withoutNs)];
    },
    async 'exporter-scrape'() {
      process.env.WATTSCOPE_SIM_DEVICES = '8';
      const { startExporter } = await import(path.join(root, 'dist', 'metrics', 'exporter-server.js'));
      const { NvmlSession } = await import(path.join(root, 'dist', 'index.js'));
      const exporter = await startExporter({ simulate: true, port: 0 });
      const iterations = quick ? 200 : 2000;
      const scrapeNs = await timeAsync(() => exporter.registry.metrics(), iterations);
      const session = NvmlSession.open({ simulate: true });
      const readsNs = timeSync(() => {
        for (let i = 0; i < 8; i++) session.status(i);
      }, iterations);
      session.close();
      await exporter.close();
      return [row("exporter: one scrape's metrics text, 8 simulated GPUs (vs reading their status through NVML)", 'ns', scrapeNs, readsNs)];
    },
  };
}
