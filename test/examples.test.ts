/**
 * The operators' examples (examples/) stay valid and in step with what wattscope exports: the
 * DaemonSet runs the exporter on the port Prometheus scrapes, and every metric the Prometheus
 * config or the Grafana dashboard names is one the exporter or monitor.registerMetrics serves.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startExporter } from '../src/metrics/exporter-server.js';
import { scopeMetricsRecorder } from '../src/monitor/scope-metrics.js';
import { configureSim } from './helpers/sim.js';

const examples = path.resolve(import.meta.dirname, '..', 'examples');
const read = (file: string) => readFileSync(path.join(examples, file), 'utf8');
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every metric name wattscope serves: the exporter's, and those registerMetrics adds (with a histogram's series). */
async function servedMetricNames(): Promise<Set<string>> {
  configureSim();
  const exporter = await startExporter({ simulate: true, port: 0 });
  const names = new Set((await exporter.registry.getMetricsAsJSON()).map((m) => m.name));
  await exporter.close();
  const registry = new Registry();
  scopeMetricsRecorder(registry);
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const suffix of ['_sum', '_count', '_bucket']) names.add(m.name + suffix);
  }
  return names;
}

describe('examples for operators', () => {
  it('the DaemonSet runs the exporter on 9402 and is annotated for scraping there', () => {
    const daemonSet = parse(read('kubernetes/wattscope-exporter-daemonset.yaml')) as Json;
    expect(daemonSet).toMatchObject({ apiVersion: 'apps/v1', kind: 'DaemonSet' });
    const pod = daemonSet.spec.template;
    expect(daemonSet.spec.selector.matchLabels).toEqual(pod.metadata.labels);
    const container = pod.spec.containers[0];
    expect(container.command.join(' ')).toMatch(/^wattscope exporter --host 0\.0\.0\.0 --port 9402$/);
    // Nothing installed at pod start, nothing run as root: the image is built from the Dockerfile, at a pinned version.
    expect(container.command.join(' ')).not.toMatch(/npm|install/);
    expect(container.image).toMatch(/:\d+\.\d+\.\d+$/);
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
    const dockerfile = read('kubernetes/Dockerfile');
    const version = (JSON.parse(readFileSync(path.join(examples, '..', 'package.json'), 'utf8')) as { version: string }).version;
    expect(dockerfile).toMatch(/^FROM node:\d+\.\d+-[a-z]+-slim$/m);
    expect(dockerfile).toContain(`wattscope@${version}`);
    expect(container.image.endsWith(`:${version}`)).toBe(true);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(container.ports[0].containerPort).toBe(9402);
    expect(pod.metadata.annotations['prometheus.io/port']).toBe('9402');
    expect(container.volumeMounts[0].mountPath).toBe(container.env.find((e: Json) => e.name === 'WATTSCOPE_POWERCAP_ROOT').value);
  });

  it('the Prometheus config scrapes /metrics on 9402 and keeps the DaemonSet pods', () => {
    const config = parse(read('prometheus/prometheus.yml')) as Json;
    const [staticJob, podsJob] = config.scrape_configs;
    expect(staticJob.metrics_path).toBe('/metrics');
    for (const target of staticJob.static_configs[0].targets) expect(target).toMatch(/:9402$/);
    const keep = podsJob.relabel_configs.find((r: Json) => r.action === 'keep');
    const daemonSet = parse(read('kubernetes/wattscope-exporter-daemonset.yaml')) as Json;
    expect(keep.regex).toBe(daemonSet.spec.template.metadata.labels['app.kubernetes.io/name']);
  });

  it('every metric the Grafana dashboard queries is one wattscope serves', async () => {
    const dashboard = JSON.parse(read('grafana/wattscope-dashboard.json')) as Json;
    const exprs: string[] = dashboard.panels.flatMap((p: Json) => p.targets.map((t: Json) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(4);
    const served = await servedMetricNames();
    const queried = new Set(exprs.flatMap((e) => e.match(/wattscope_[a-z_]+/g) ?? []));
    expect(queried.size).toBeGreaterThanOrEqual(4);
    for (const name of queried) expect(served, name).toContain(name);
  });
});
