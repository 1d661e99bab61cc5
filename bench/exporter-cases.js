// The Prometheus exporter's scrape: the whole /metrics text for 8 simulated H200s (profile h200,
// whose counter read spins 3 ms), against reading each GPU's status with its counter; and a
// scope's begin + end with OpenTelemetry registered but no SDK installed, against a monitor
// without it. Part of bench/cases.js.
import path from 'node:path';

/** The cases, given cases.js's helpers. */
export function exporterCases({ root, quick, timeSync, row }) {
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
      // Profile h200: a counter read spins ~3 ms, as a real H200's driver does. A scrape reads each
      // GPU's status; the counter comes from the sampler once it has learnt the GPU's steps.
      process.env.WATTSCOPE_SIM_DEVICES = '8';
      process.env.WATTSCOPE_SIM_SENSOR = 'h200';
      const { startExporter } = await import(path.join(root, 'dist', 'metrics', 'exporter-server.js'));
      const { NvmlSession } = await import(path.join(root, 'dist', 'index.js'));
      const session = NvmlSession.open({ simulate: true });
      const exporter = await startExporter({ simulate: true, port: 0 });
      // Readings younger than 50 ms are reused, so each timed scrape comes 60 ms after the last.
      const scrapeMs = async () => {
        await new Promise((r) => setTimeout(r, 60));
        const t0 = process.hrtime.bigint();
        await exporter.registry.metrics();
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      const readsMs = () => {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 8; i++) session.status(i);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      // Warm-up: until five scrapes in a row take less than one GPU's status read with its counter
      // (they read no counter then; one may also reuse the exporter's own refresh), or 30 s.
      const oneReadMs = readsMs() / 8;
      const warmStart = process.hrtime.bigint();
      for (let fast = 0; fast < 5 && process.hrtime.bigint() - warmStart < 30_000_000_000n;) {
        fast = (await scrapeMs()) < oneReadMs ? fast + 1 : 0;
      }
      const warmUpS = Number(process.hrtime.bigint() - warmStart) / 1e9;
      const iterations = quick ? 20 : 100;
      const scrapes = [];
      const reads = [];
      for (let i = 0; i < iterations; i++) {
        scrapes.push(await scrapeMs());
        reads.push(readsMs());
      }
      session.close();
      await exporter.close();
      const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
      const name = `exporter on profile h200: one scrape's metrics text, 8 GPUs, median after a ${warmUpS.toFixed(1)} s warm-up (vs reading their 8 statuses with the counter, as a scrape did before)`;
      return [row(name, 'ns', median(scrapes) * 1e6, median(reads) * 1e6)];
    },
  };
}
