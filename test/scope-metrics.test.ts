/**
 * monitor.registerMetrics(registry): settled scopes' energy on an application's own prom-client
 * registry, by scope (phase, query, scope name), against the measurements themselves.
 */
import { Registry, type OpenMetricsContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { EnergyMonitor, type Measurement } from '../src/index.js';
import { configureSim } from './helpers/sim.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('monitor.registerMetrics', () => {
  it('counts each settled scope under its phase, "query" or its name, and observes it in the histogram', async () => {
    configureSim();
    const settled: Measurement[] = [];
    const monitor = await EnergyMonitor.open({ simulate: true, onMeasurement: (m) => settled.push(m) });
    const registry = new Registry();
    monitor.registerMetrics(registry);
    try {
      for (const id of ['a', 'b']) {
        await monitor.query(id, async (q) => {
          await q.phase('prefill', () => sleep(5));
          await q.phase('decode', () => sleep(10));
        });
      }
      await monitor.measure('generate', () => sleep(10));
      await monitor.settle();
    } finally {
      await monitor.close();
    }
    const metrics = await registry.getMetricsAsJSON();
    const total = metrics.find((m) => m.name === 'wattscope_scope_energy_joules_total')!;
    const valueOf = (scope: string) => total.values.find((v) => v.labels.scope === scope)?.value;
    const sumOf = (select: (m: Measurement) => boolean) => settled.filter(select).reduce((sum, m) => sum + (m.energyJ ?? 0), 0);
    expect(settled.length).toBe(7);
    expect(valueOf('prefill')).toBeCloseTo(
      sumOf((m) => m.phase === 'prefill'),
      9,
    );
    expect(valueOf('decode')).toBeCloseTo(
      sumOf((m) => m.phase === 'decode'),
      9,
    );
    expect(valueOf('query')).toBeCloseTo(
      sumOf((m) => m.name.startsWith('query:')),
      9,
    );
    expect(valueOf('generate')).toBeCloseTo(
      sumOf((m) => m.name === 'generate'),
      9,
    );
    expect(valueOf('prefill')).toBeGreaterThan(0);
    const histogram = metrics.find((m) => m.name === 'wattscope_scope_energy_per_scope_joules')!;
    const count = histogram.values.find(
      (v) => (v as { metricName?: string }).metricName === 'wattscope_scope_energy_per_scope_joules_count' && v.labels.scope === 'decode',
    );
    expect(count?.value).toBe(2);
    const unmeasured = metrics.find((m) => m.name === 'wattscope_scope_unmeasured_total')!;
    expect(unmeasured.values).toEqual([]);
  });

  it("under OpenMetrics, where a counter's family drops _total, no two of its metrics share a family", async () => {
    configureSim();
    const monitor = await EnergyMonitor.open({ simulate: true });
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    monitor.registerMetrics(registry);
    try {
      await monitor.measure('generate', () => sleep(5));
      await monitor.settle();
    } finally {
      await monitor.close();
    }
    const families = [...(await registry.metrics()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(families.sort()).toEqual([
      'wattscope_scope_energy_joules counter',
      'wattscope_scope_energy_per_scope_joules histogram',
      'wattscope_scope_unmeasured counter',
    ]);
  });
});
