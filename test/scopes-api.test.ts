/** The scope API: nesting, concurrency through the async context, lifetimes and typed errors. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyMonitor, WattscopeError, timelineToCsv, timelineToJson, type Measurement } from '../src/index.js';
import { packageRoot } from '../src/native/binding.js';
import { configureSim, sleep } from './helpers/sim.js';

let monitor: EnergyMonitor | undefined;
afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
});

describe('concurrency and nesting', () => {
  it('8 concurrent queries: every phase is attributed to its own query and phase', async () => {
    const sim = configureSim({ control: true });
    monitor = await EnergyMonitor.open({ simulate: true });
    const seen: Array<{ query: string; phase: string; startNs: bigint }> = [];
    const records = await Promise.all(
      Array.from({ length: 8 }, (_, q) =>
        monitor!.query(`q${q}`, async (ctx) => {
          await sleep(q * 3);
          for (const phase of ['prefill', 'decode']) {
            await ctx.phase(phase, async () => {
              seen.push({ query: ctx.id, phase, startNs: process.hrtime.bigint() });
              sim.setPower(200 + q * 50);
              await sleep(10 + ((q * 7) % 20));
              // a nested measure() inside the phase keeps the query and parent
              const inner = await monitor!.measure(`inner-${q}-${phase}`, () => sleep(1), { settle: false });
              expect(inner.measurement.queryId).toBe(`q${q}`);
            });
          }
          return q;
        }),
      ),
    );
    for (const [q, rec] of records.entries()) {
      expect(rec.result).toBe(q);
      expect(rec.id).toBe(`q${q}`);
      expect(rec.phases.map((p) => p.phase)).toEqual(['prefill', 'decode']);
      for (const p of rec.phases) {
        expect(p.queryId).toBe(`q${q}`);
        expect(p.parentId).toBe(rec.measurement.id);
        const mine = seen.find((s) => s.query === `q${q}` && s.phase === p.phase)!;
        expect(p.startNs).toBeLessThanOrEqual(mine.startNs);
        expect(p.endNs).toBeGreaterThan(mine.startNs);
      }
    }
  });

  it('a run with overlapping phases shares overlapped energy; parts still add up to the total', async () => {
    const sim = configureSim({ control: true });
    monitor = await EnergyMonitor.open({ simulate: true });
    sim.setPower(400);
    const run = monitor.startRun('concurrent');
    await Promise.all(Array.from({ length: 8 }, (_, q) => monitor!.query(q, (ctx) => ctx.phase('decode', () => sleep(20 + q * 5)))));
    const s = await run.finish();
    expect(s.queries).toBe(8);
    expect(s.phases.decode!.count).toBe(8);
    const parts = s.phases.decode!.energyJ + s.unattributedEnergyJ;
    expect(Math.abs(parts - s.totalEnergyJ)).toBeLessThan(1e-6 * s.totalEnergyJ);
  });

  it("a query's phases are reported once the query has ended, with counts added after the phase", async () => {
    configureSim();
    const seen: Measurement[] = [];
    monitor = await EnergyMonitor.open({ simulate: true, onMeasurement: (m) => m.phase && seen.push(m) });
    let afterCount: unknown = null;
    const rec = await monitor.query('q1', async (q) => {
      await q.phase('prefill', () => sleep(5));
      // Long enough for the prefill's boundaries to settle: its measurement must still wait for the count.
      await monitor!.settle();
      await sleep(150);
      await monitor!.settle();
      expect(seen).toEqual([]);
      q.count('prefill', { tokens: 51 });
      return () => q.count('prefill', { tokens: 1 });
    });
    try {
      rec.result!();
    } catch (err) {
      afterCount = err;
    }
    expect(afterCount).toMatchObject({ code: 'WATTSCOPE_INVALID_ARGUMENT', field: 'phase' });
    await monitor.settle();
    await sleep(150);
    await monitor.settle();
    expect(seen.map((m) => [m.phase, m.tokens])).toEqual([['prefill', 51]]);
    expect(rec.phases[0]!.tokens).toBe(51);
  });

  it('measure() wraps sync and async functions; a throw is recorded and rethrown', async () => {
    configureSim();
    const seen: Measurement[] = [];
    monitor = await EnergyMonitor.open({ simulate: true, onMeasurement: (m) => seen.push(m) });
    const sync = await monitor.measure('sync', () => 41 + 1);
    expect(sync.result).toBe(42);
    expect(sync.measurement.outcome).toBe('returned');
    const boom = new Error('boom');
    await expect(
      monitor.measure('async-throw', async () => {
        await sleep(2);
        throw boom;
      }),
    ).rejects.toBe(boom);
    await expect(
      monitor.measure('sync-throw', () => {
        throw new TypeError('bad');
      }),
    ).rejects.toThrow('bad');
    await monitor.settle();
    const thrown = seen.find((m) => m.name === 'async-throw')!;
    expect(thrown.outcome).toBe('threw');
    expect(thrown.error).toMatchObject({ name: 'Error', message: 'boom' });
    expect(thrown.status).toBe('measured');
    expect(seen.find((m) => m.name === 'sync-throw')!.error).toMatchObject({ name: 'TypeError' });
  });

  it('begin/end and `using` scopes; scopes nest through measure()', async () => {
    configureSim();
    monitor = await EnergyMonitor.open({ simulate: true });
    let innerParent: number | null = -1;
    const outer = await monitor.measure('outer', async () => {
      const inner = await monitor!.measure('inner', () => sleep(5));
      innerParent = inner.measurement.parentId;
      {
        using s = monitor!.begin('decode');
        await sleep(3);
        expect(s.ended).toBe(false);
      }
    });
    expect(innerParent).toBe(outer.measurement.id);
  });
});

describe('typed errors and lifetimes', () => {
  it('unknown GPU, scope ended twice, non-function, bad options, use after close', async () => {
    configureSim({ devices: 2 });
    await expect(EnergyMonitor.open({ simulate: true, gpus: [5] })).rejects.toMatchObject({ code: 'WATTSCOPE_UNKNOWN_GPU', field: 'gpus.0' });
    await expect(EnergyMonitor.open({ simulate: true, gpus: ['GPU-nope'] })).rejects.toMatchObject({ code: 'WATTSCOPE_UNKNOWN_GPU' });
    await expect(EnergyMonitor.open({ simulate: true, sampleHz: -1 })).rejects.toMatchObject({ code: 'WATTSCOPE_INVALID_OPTIONS', field: 'sampleHz' });
    await expect(EnergyMonitor.open({ simulate: true, sampleRate: 5 } as never)).rejects.toMatchObject({
      code: 'WATTSCOPE_INVALID_OPTIONS',
      field: 'sampleRate',
    });
    monitor = await EnergyMonitor.open({ simulate: true });
    const s = monitor.begin('x');
    s.end();
    expect(() => s.end()).toThrow(expect.objectContaining({ code: 'WATTSCOPE_SCOPE_ENDED' }));
    await expect(monitor.measure('x', 42 as never)).rejects.toMatchObject({ code: 'WATTSCOPE_INVALID_ARGUMENT', field: 'fn' });
    expect(() => monitor!.begin('')).toThrow(WattscopeError);
    await monitor.close();
    expect(() => monitor!.begin('late')).toThrow(expect.objectContaining({ code: 'WATTSCOPE_CLOSED' }));
    await monitor.close(); // idempotent
  });

  it('a scope still open at close is reported, not dropped', async () => {
    configureSim();
    monitor = await EnergyMonitor.open({ simulate: true });
    monitor.begin('forgotten');
    await sleep(20);
    const open = await monitor.close();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ name: 'forgotten', outcome: 'open-at-close', status: 'measured' });
    expect(open[0]!.energyJ).toBeGreaterThan(0);
  });

  it('await using closes the monitor', async () => {
    configureSim();
    let ref: EnergyMonitor | undefined;
    {
      await using m = await EnergyMonitor.open({ simulate: true });
      ref = m;
      expect(m.closed).toBe(false);
    }
    expect(ref!.closed).toBe(true);
  });

  it('CUDA_VISIBLE_DEVICES: indices as CUDA numbers them; UUIDs; a MIG slice measures its parent', async () => {
    configureSim({ devices: 4, mig: 'MIG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee@3' });
    monitor = await EnergyMonitor.open({ simulate: true, cudaVisibleDevices: '2,0' });
    expect(monitor.gpus.map((g) => [g.index, g.cudaIndex])).toEqual([
      [2, 0],
      [0, 1],
    ]);
    await monitor.close();
    monitor = await EnergyMonitor.open({ simulate: true, cudaVisibleDevices: '2,0', gpus: [1] });
    expect(monitor.gpus.map((g) => g.index)).toEqual([0]);
    await monitor.close();
    monitor = await EnergyMonitor.open({ simulate: true, cudaVisibleDevices: 'MIG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' });
    expect(monitor.gpus).toHaveLength(1);
    expect(monitor.gpus[0]).toMatchObject({ index: 3, migInstance: 'MIG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', cudaIndex: 0 });
    await monitor.close();
    monitor = await EnergyMonitor.open({ simulate: true, gpus: ['GPU-5a1d0000-0001-4000-8000-000000000001'] });
    expect(monitor.gpus[0]!.index).toBe(1);
    await monitor.close();
    await expect(EnergyMonitor.open({ simulate: true, cudaVisibleDevices: '' })).rejects.toMatchObject({ code: 'WATTSCOPE_UNKNOWN_GPU' });
  });

  it('timeline() returns samples exportable as CSV and JSON', async () => {
    const sim = configureSim({ control: true });
    monitor = await EnergyMonitor.open({ simulate: true, sampleHz: 500 });
    sim.setPower(321);
    const from = process.hrtime.bigint();
    await sleep(100);
    const t = monitor.timeline(0, from);
    expect(t.tNs.length).toBeGreaterThan(30);
    expect(t.tNs[0]).toBeGreaterThanOrEqual(from);
    expect(t.powerW[t.powerW.length - 1]).toBe(321);
    const csv = timelineToCsv(t).trim().split('\n');
    expect(csv[0]).toBe('gpu,t_ns,power_w,counter_j');
    expect(csv).toHaveLength(t.tNs.length + 1);
    const json = timelineToJson(t);
    expect(json.tNs[0]).toBe(t.tNs[0]!.toString());
    expect(() => monitor!.timeline(7)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_UNKNOWN_GPU' }));
  });

  it('never keeps the process alive, and works in a worker thread', () => {
    configureSim();
    const dist = path.join(packageRoot, 'dist', 'index.js');
    const code = `
      import { Worker } from 'node:worker_threads';
      import { EnergyMonitor } from ${JSON.stringify(dist)};
      const m = await EnergyMonitor.open({ simulate: true });
      const r = await m.measure('x', () => new Promise((r) => setTimeout(r, 150)));
      console.log('main', r.measurement.status);
      const w = new Worker(\`
        import { parentPort } from 'node:worker_threads';
        const { EnergyMonitor } = await import(${JSON.stringify(dist)});
        const m = await EnergyMonitor.open({ simulate: true });
        const r = await m.measure('w', () => new Promise((r) => setTimeout(r, 150)));
        parentPort.postMessage(r.measurement.status);\`, { eval: true });
      w.on('message', (s) => console.log('worker', s));
      // neither monitor is closed: the process must still exit on its own`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: process.env, timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/main measured/);
    expect(r.stdout).toMatch(/worker measured/);
    expect(r.status).toBe(0);
  });
});
