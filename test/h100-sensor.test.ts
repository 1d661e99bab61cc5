/**
 * The simulated H100's published sensor (power refreshed every 100 ms, each value a 25 ms mean;
 * the counter either the true integral or only the sampled windows), and wattscope's honesty on
 * it: the sensor is recognised at run time, short scopes get intervals that cover the truth, and
 * per-phase totals over many queries are recovered by regression on the counter's steps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EnergyMonitor, NvmlSession, type Measurement } from '../src/index.js';
import { configureSim, sleep, spin } from './helpers/sim.js';

let monitor: EnergyMonitor | undefined;
let session: NvmlSession | undefined;
afterEach(async () => {
  await monitor?.close();
  session?.close();
  monitor = undefined;
  session = undefined;
});

const busyMs = (ms: number) => spin(ms);

describe('the simulated H100 sensor profile', () => {
  it('field 186 is a staircase refreshed every 100 ms, each step the mean of the 25 ms before it', async () => {
    const sim = configureSim({ control: true, sensor: 'h100' });
    session = NvmlSession.open({ simulate: true });
    const readings: Array<{ tNs: bigint; w: number }> = [];
    const deadline = Date.now() + 700;
    let level = 0;
    while (Date.now() < deadline) {
      // Power changes every 7 ms, so windows of 25 ms average several levels.
      if (readings.length % 7 === 0) sim.setPower([150, 600, 320, 90][level++ % 4]!);
      readings.push({ tNs: process.hrtime.bigint(), w: session.readInstantPowerMw(0) / 1000 });
      busyMs(1);
    }
    // Each refresh lies between the read that first showed it and the read before: the bound on
    // where two refreshes fell is the two brackets (about 1 ms each here, longer when a busy
    // machine delays the reads), not a fixed share of the period.
    const changes = readings.flatMap((r, i) => (i > 0 && r.w !== readings[i - 1]!.w ? [{ ...r, bracketMs: Number(r.tNs - readings[i - 1]!.tNs) / 1e6 }] : []));
    expect(changes.length).toBeGreaterThanOrEqual(5);
    expect(changes.length).toBeLessThanOrEqual(8);
    for (let i = 1; i < changes.length; i++) {
      const gapMs = Number(changes[i]!.tNs - changes[i - 1]!.tNs) / 1e6;
      expect(Math.abs(gapMs - 100 * Math.round(gapMs / 100))).toBeLessThanOrEqual(changes[i]!.bracketMs + changes[i - 1]!.bracketMs + 0.5);
    }
    // Each value is a 25 ms mean: between the lowest and highest level, and not any one level.
    for (const c of changes) {
      expect(c.w).toBeGreaterThan(90);
      expect(c.w).toBeLessThan(600);
    }
  });

  it('the windowed counter integrates only the sampled windows; the true counter the whole power', async () => {
    const read: Record<string, { energyJ: number; elapsedS: number }> = {};
    for (const counter of ['true', 'windowed'] as const) {
      // A 10 ms burst at 700 W every 100 ms (6.3 J above idle each), placed outside the sensor's
      // 25 ms windows (refreshes at 50, 150, ... ms).
      configureSim({ sensor: 'h100', counter });
      process.env.WATTSCOPE_SIM_POWER_PHASE_MS = '50';
      process.env.WATTSCOPE_SIM_TRACE = Array.from({ length: 30 }, (_, k) => `${k / 10 + 0.005}:700,${k / 10 + 0.015}:70`).join(',');
      const epoch = BigInt(process.env.WATTSCOPE_SIM_EPOCH_NS!);
      session = NvmlSession.open({ simulate: true });
      await sleep(1100);
      const counterJ = session.readEnergyMj(0) / 1000 - 123456.789;
      read[counter] = { energyJ: counterJ, elapsedS: Number(process.hrtime.bigint() - epoch) / 1e9 };
      session.close();
      session = undefined;
    }
    const idleJ = (r: { elapsedS: number }) => 70 * r.elapsedS;
    // True: idle plus about ten bursts (the counter steps every 100 ms: within a step's worth).
    expect(read.true!.energyJ).toBeGreaterThan(idleJ(read.true!) + 6.3 * 9 - 7);
    expect(read.true!.energyJ).toBeLessThan(idleJ(read.true!) + 6.3 * 12);
    // Windowed: the windows never see a burst, so the counter reads idle only.
    expect(read.windowed!.energyJ).toBeLessThan(idleJ(read.windowed!) + 1);
    expect(read.windowed!.energyJ).toBeGreaterThan(idleJ(read.windowed!) - 15);
  });
});

describe('the sensor is recognised at run time', () => {
  it('H100 profile: periodic, refreshed about every 100 ms; the ideal profile: instant', async () => {
    for (const [sensor, kind] of [
      ['h100', 'periodic'],
      ['ideal', 'instant'],
    ] as const) {
      const sim = configureSim({ control: true, sensor });
      monitor = await EnergyMonitor.open({ simulate: true });
      // Idle first: the counter evidence is judged against steps where the reading stayed flat.
      await sleep(300);
      for (let i = 0; i < 80; i++) {
        sim.setPower(100 + ((i * 137) % 500));
        await sleep(9);
      }
      await monitor.settle();
      const info = monitor.gpus[0]!.sensor;
      expect(info.kind).toBe(kind);
      if (kind === 'periodic') expect(Math.abs(info.refreshPeriodMs! - 100)).toBeLessThan(5);
      await monitor.close();
      monitor = undefined;
    }
  });
});

/** Random scopes of 1-80 ms at random power; the share whose stated interval covers the truth. */
async function scopeCoverage(counter: 'true' | 'windowed', n: number): Promise<{ coverage: number; medianRelUncertainty: number }> {
  const sim = configureSim({ control: true, sensor: 'h100', counter, seed: 3 });
  monitor = await EnergyMonitor.open({ simulate: true });
  let seed = 12345;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  await sleep(400);
  const scopes = [];
  for (let i = 0; i < n; i++) {
    sim.setPower(70 + rand() * 60);
    busyMs(rand() * 25);
    const scope = monitor.begin(`s${i}`, { phase: i % 2 ? 'prefill' : 'decode' });
    sim.setPower(150 + rand() * 500);
    busyMs(1 + rand() * 79);
    scope.end();
    scopes.push(scope);
    if (i % 20 === 19) await sleep(1);
  }
  sim.setPower(70);
  const results: Measurement[] = [];
  for (const s of scopes) results.push(await s.settled());
  let covered = 0;
  const rel: number[] = [];
  for (const m of results) {
    if (m.status !== 'measured') throw new Error(`unavailable: ${m.reason}`);
    const t = sim.energyJ(0, m.startNs, m.endNs);
    if (Math.abs(m.energyJ - t) <= m.uncertaintyJ) covered++;
    rel.push(m.uncertaintyJ / t);
    expect(m.flags).toContain('coarse-sensor');
  }
  rel.sort((a, b) => a - b);
  return { coverage: covered / results.length, medianRelUncertainty: rel[rel.length >> 1]! };
}

describe('single scopes on the H100 sensor: stated intervals that cover the truth', () => {
  for (const counter of ['true', 'windowed'] as const) {
    it(`200 random scopes of 1-80 ms (${counter} counter): at least 95% covered`, async () => {
      const { coverage } = await scopeCoverage(counter, 200);
      expect(coverage).toBeGreaterThanOrEqual(0.95);
    }, 120_000);
  }
});
