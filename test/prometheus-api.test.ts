/**
 * What the runner does with answers a Prometheus server should not give (a stand-in HTTP server
 * here; the real one is in fleet-prometheus.test.ts): an error status, a body that is not JSON, a
 * result of another type, a value that is not a finite number, or no server at all is a typed error
 * naming the query, never an empty result; a node whose counter the server lacks is missing from
 * the run, not zero.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { queryRangeVector } from '../src/fleet/prometheus-api.js';
import { NodesOptionSchema, RemoteNodes } from '../src/fleet/remote-nodes.js';
import { loadRunConfig, RunConfigSchema } from '../src/runner/config.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let server: Server | null = null;

/** A server answering every request with `status` and `body`; returns its base URL. */
async function answering(status: number, body: string | ((query: string) => string)): Promise<string> {
  server = createServer((req, res) => {
    let form = '';
    req.on('data', (d: Buffer) => (form += d.toString()));
    req.on('end', () => {
      const query = new URLSearchParams(form).get('query') ?? '';
      res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'function' ? body(query) : body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

const matrix = (values: Array<[number, string]>) =>
  JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { gpu: '0', uuid: 'GPU-1' }, values }] } });

describe('the Prometheus query client', () => {
  it('reads a range vector into samples, Unix ms and J', async () => {
    const url = await answering(
      200,
      matrix([
        [1700000000.25, '100.5'],
        [1700000000.5, '110'],
      ]),
    );
    const { series } = await queryRangeVector(url, 'm[1s]', Date.now());
    expect(series).toEqual([
      {
        labels: { gpu: '0', uuid: 'GPU-1' },
        samples: [
          { timeMs: 1700000000250, valueJ: 100.5 },
          { timeMs: 1700000000500, valueJ: 110 },
        ],
      },
    ]);
  });

  it("an error status is WATTSCOPE_PROMETHEUS_QUERY with the server's words", async () => {
    const url = await answering(400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 3' }));
    await expect(queryRangeVector(url, 'm[', Date.now())).rejects.toMatchObject({
      code: 'WATTSCOPE_PROMETHEUS_QUERY',
      message: expect.stringContaining('bad_data: parse error at char 3'),
    });
  });

  it('a body of another shape is WATTSCOPE_PROMETHEUS_RESPONSE naming where', async () => {
    const notJson = await answering(502, '<html>bad gateway</html>');
    await expect(queryRangeVector(notJson, 'm[1s]', Date.now())).rejects.toMatchObject({
      code: 'WATTSCOPE_PROMETHEUS_RESPONSE',
      message: expect.stringContaining('HTTP 502, not JSON'),
    });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const vector = await answering(200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    await expect(queryRangeVector(vector, 'm', Date.now())).rejects.toMatchObject({
      code: 'WATTSCOPE_PROMETHEUS_RESPONSE',
      message: expect.stringContaining('at "data.resultType"'),
    });
  });

  it('a value that is not a finite number is an error naming the sample, never 0', async () => {
    const url = await answering(
      200,
      matrix([
        [1700000000, '5'],
        [1700000001, 'NaN'],
      ]),
    );
    await expect(queryRangeVector(url, 'm[1s]', Date.now())).rejects.toMatchObject({
      code: 'WATTSCOPE_PROMETHEUS_RESPONSE',
      message: expect.stringContaining('at "data.result.0.values.1": "NaN" is not a finite number'),
    });
  });

  it('no server is WATTSCOPE_PROMETHEUS_UNREACHABLE', async () => {
    await expect(queryRangeVector('http://127.0.0.1:1', 'm[1s]', Date.now())).rejects.toMatchObject({
      code: 'WATTSCOPE_PROMETHEUS_UNREACHABLE',
      field: 'nodes.prometheus',
    });
  });
});

describe('remote nodes', () => {
  it('a node whose series vanish from Prometheus after connecting is missing from the run, with the reason', async () => {
    let scraped = true;
    const nowS = Date.now() / 1000;
    const url = await answering(200, () =>
      scraped
        ? matrix([
            [nowS - 1, '100'],
            [nowS - 0.5, '150'],
          ])
        : JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }),
    );
    const nodes = await RemoteNodes.connect(NodesOptionSchema.parse({ prometheus: url, exporters: ['gpu-2:9400'], waitS: 0 }));
    expect(nodes.scrapeIntervalS).toBeCloseTo(0.5, 9);
    scraped = false;
    const [share] = await nodes.shares(Date.now() - 2000, Date.now() - 1000);
    expect(share).toMatchObject({ node: 'gpu-2:9400', energyJ: null, uncertaintyJ: null, flags: ['node-counter-missing'] });
    expect(share!.reason).toMatch(/Prometheus holds no wattscope_gpu_energy_joules_total for instance gpu-2:9400/);
  });

  it("the run config's nodes field is validated, naming the field", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wattscope-nodes-config-'));
    const file = path.join(dir, 'run.json');
    const base = { dataset: { path: 'd.jsonl' }, handler: { synthetic: true }, outDir: 'out' };
    writeFileSync(file, JSON.stringify({ ...base, nodes: { prometheus: 'http://prom:9090', exporters: [] } }));
    expect(() => loadRunConfig(file)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_BAD_CONFIG', field: 'nodes.exporters' }));
    writeFileSync(file, JSON.stringify({ ...base, nodes: { prometheus: 'ftp://prom', exporters: ['a:9400'] } }));
    expect(() => loadRunConfig(file)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_BAD_CONFIG', field: 'nodes.prometheus' }));
    writeFileSync(file, JSON.stringify({ ...base, nodes: { prometheus: 'http://prom:9090', exporters: ['a:9400'] } }));
    expect(loadRunConfig(file).nodes).toEqual({ prometheus: 'http://prom:9090', exporters: ['a:9400'], clockSkewMs: 50 });
  });

  it("the README's config across nodes is a valid run config", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Runs across nodes'));
    const block = /```json\n([\s\S]*?)\n```/.exec(section)![1]!;
    const config = RunConfigSchema.parse(JSON.parse(block));
    expect(config.nodes).toEqual({ prometheus: 'http://prometheus:9090', exporters: ['gpu-node-2:9402', 'gpu-node-3:9402'], clockSkewMs: 50 });
  });
});
