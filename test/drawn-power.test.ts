/**
 * The demo's truth on profile h200 (src/sim/drawn-power.ts): the power the simulated H200 draws in
 * response to its work. Deterministic on synthetic histories first (no clock: the response's
 * area, lag and boost credit), then held against the simulated library's own counter, which
 * integrates the same response natively: the two must agree at every counter step.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { DrawnPower, responseParamsFromEnv, type ResponseParams } from '../src/sim/drawn-power.js';
import { PowerHistory } from '../src/sim/power-history.js';
import { NvmlSession } from '../src/nvml/session.js';
import { configureSim } from './helpers/sim.js';
import { counterSteps } from './helpers/counter-steps.js';

const H200: ResponseParams = { lagMs: 9, responseMs: 3, boostW: 160, boostAboveW: 600, boostCreditMs: 35, idleW: 122.5 };
const MS = 1_000_000n;

/** A history of [startMs, endMs, watts] segments over idle, from instant 0. */
function historyOf(segments: Array<[number, number, number]>): PowerHistory {
  const history = new PowerHistory(H200.idleW);
  for (const [startMs, endMs, watts] of segments) {
    history.record(BigInt(startMs) * MS, watts);
    history.record(BigInt(endMs) * MS, H200.idleW);
  }
  return history;
}

describe('the drawn power, on synthetic histories', () => {
  it('a step under the boost level: drawn late, yet the same energy once it has settled (the response moves it, adds none)', () => {
    const drawn = new DrawnPower(historyOf([[100, 1100, 400]]), H200, 0n, 1300n * MS);
    expect(drawn.energyJ(0n, 1300n * MS)).toBeCloseTo(H200.idleW * 1.3 + (400 - H200.idleW) * 1.0, 3);
    // Nothing moves before the lag: the first 9 ms of the step draw idle power.
    expect(drawn.energyJ(100n * MS, 109n * MS)).toBeCloseTo(H200.idleW * 0.009, 6);
    // Then a 3 ms response: 3 ms after the lag it has come 63% of the way.
    const at = drawn.energyJ(112n * MS, 112n * MS + 100_000n) / 1e-4;
    expect((at - H200.idleW) / (400 - H200.idleW)).toBeCloseTo(1 - Math.exp(-1), 1);
  });

  it('a compute-bound step above 600 W draws 160 W more for its 35 ms of credit: 5.6 J', () => {
    const drawn = new DrawnPower(historyOf([[100, 1100, 692]]), H200, 0n, 1300n * MS);
    const excessJ = drawn.energyJ(0n, 1300n * MS) - (H200.idleW * 1.3 + (692 - H200.idleW) * 1.0);
    expect(excessJ).toBeCloseTo(160 * 0.035, 2);
  });

  it('the credit comes back with the headroom under 600 W: fully in 100 ms idle, 21 ms in 50 ms at 400 W', () => {
    const base = (segments: Array<[number, number, number]>) =>
      H200.idleW * 1.5 + segments.reduce((sum, [a, b, watts]) => sum + ((watts - H200.idleW) * (b - a)) / 1000, 0);
    const idleGap: Array<[number, number, number]> = [
      [100, 200, 692],
      [300, 400, 692],
    ];
    const idleGapJ = new DrawnPower(historyOf(idleGap), H200, 0n, 1500n * MS).energyJ(0n, 1500n * MS) - base(idleGap);
    expect(idleGapJ).toBeCloseTo(2 * 160 * 0.035, 2);
    const busyGap: Array<[number, number, number]> = [
      [100, 200, 692],
      [200, 250, 400],
      [250, 350, 692],
    ];
    const busyGapJ = new DrawnPower(historyOf(busyGap), H200, 0n, 1500n * MS).energyJ(0n, 1500n * MS) - base(busyGap);
    const recoveredMs = (50 * (600 - 400)) / (600 - H200.idleW);
    expect(busyGapJ).toBeCloseTo(160 * 0.035 + 160 * (recoveredMs / 1000), 1);
  });

  it('an instant outside the span is an error, not an extrapolation', () => {
    const drawn = new DrawnPower(historyOf([[10, 20, 400]]), H200, 0n, 100n * MS);
    expect(() => drawn.energyJ(0n, 200n * MS)).toThrow(/outside/);
  });

  it("the parameters are the simulated library's, overridable the same way", () => {
    expect(responseParamsFromEnv({})).toEqual(H200);
    expect(responseParamsFromEnv({ WATTSCOPE_SIM_CONTEXT: 'none' }).idleW).toBe(79);
    expect(responseParamsFromEnv({ WATTSCOPE_SIM_LAG_MS: '20', WATTSCOPE_SIM_IDLE_W: '100' })).toMatchObject({ lagMs: 20, idleW: 100 });
    expect(() => responseParamsFromEnv({ WATTSCOPE_SIM_BOOST_W: 'lots' })).toThrow(/WATTSCOPE_SIM_BOOST_W/);
  });
});

describe('the drawn power against the simulated library (profile h200)', () => {
  let session: NvmlSession | null = null;
  afterEach(() => {
    session?.close();
    session = null;
  });

  it('agrees with the counter at each of its 100 ms steps (within 0.05 J)', async () => {
    // Pulses of 5-50 ms of gemm, a memory-bound stretch and a square wave, over 1.6 s.
    const segments: Array<[number, number, number]> = [
      [230, 235, 692],
      [330, 340, 692],
      [430, 480, 692],
      // Across the step at 500 ms by the work, after it by the drawn power (9 ms late).
      [493, 505, 692],
      [600, 800, 400],
      ...Array.from({ length: 20 }, (_, i): [number, number, number] => [1000 + 20 * i, 1010 + 20 * i, 692]),
    ];
    const trace = segments.flatMap(([a, b, watts]) => [`${a / 1000}:${watts}`, `${b / 1000}:${H200.idleW}`]).join(',');
    const epochNs = configureSim({ sensor: 'h200', trace }).epochNs;
    session = NvmlSession.open({ simulate: true });
    const steps = await counterSteps(session, epochNs, 1.75);
    const drawn = new DrawnPower(historyOf(segments), H200, 0n, 1800n * MS);
    let compared = 0;
    for (let step = 1; step <= 16; step++) {
      const before = steps.get(step);
      const after = steps.get(step + 1);
      if (before === undefined || after === undefined) continue;
      const expectedJ = drawn.energyJ(BigInt(step) * 100n * MS, BigInt(step + 1) * 100n * MS);
      expect(Math.abs(after - before - expectedJ), `step ${step}: counter ${after - before} J, drawn ${expectedJ} J`).toBeLessThan(0.05);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(12);
  });
});

describe('wattscope demo on the default profile', () => {
  it('runs on h200 unless told otherwise, says so, and judges each phase against the energy drawn while it ran', () => {
    configureSim();
    delete process.env.WATTSCOPE_SIM_SENSOR;
    const out = mkdtempSync(path.join(tmpdir(), 'wattscope-demo-h200-'));
    const r = runCli(['demo', '--out', out, '--runs', '2', '--queries', '60', '--idle', '0.2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/on the simulated GPU \(NVIDIA H200\)/);
    expect(r.stdout).toMatch(/simulated sensor profile h200 \(the H200 as measured.*exact energy drawn while each phase ran/);
    const report = JSON.parse(readFileSync(path.join(out, 'wattscope-report.json'), 'utf8'));
    expect(report.simulatedTruth.sensorProfile).toBe('h200');
    expect(report.device.gpus[0].name).toBe('NVIDIA H200');
    // Its counter read busy-waits: read sparsely, each step shared out by the driver's samples, and said so.
    expect(report.device.gpus[0].counterReads).toBe('sparse');
    expect(report.device.gpus[0].driverSamples).toEqual({ available: true, refusal: null });
    expect(r.stdout).toMatch(/^GPU 0 power sensor: .*the counter, read every ~2 s, is shared out by the driver's 20 ms power samples$/m);
    for (const phase of ['preprocess', 'prefill', 'decode']) expect(report.simulatedTruth.phaseWhPer1000[phase]).toBeGreaterThan(0);
    // Preprocess asks 110 W for 1 ms; 9 ms late, the GPU then still draws what came before it (idle
    // at 122.5 W, or the last decode): the truth is the drawn power's, above the work's 110 W x 1 ms.
    const askedWhPer1000 = (110 * 0.001 * 1000) / 3600;
    expect(report.simulatedTruth.phaseWhPer1000.preprocess).toBeGreaterThan(askedWhPer1000 * 1.1);
    // Phases of 1-2.4 ms against a response of 9 ms and more: each run's stated interval allows for
    // what the response moves across the phases' boundaries, and covers the energy drawn while they ran.
    for (const run of report.runs) {
      for (const phase of ['preprocess', 'prefill', 'decode']) {
        const { energyJ, uncertaintyJ } = run.phases[phase];
        const truthJ = (report.simulatedTruth.phaseWhPer1000[phase] * 3600 * run.queries) / 1000;
        expect(Math.abs(energyJ - truthJ), `run ${run.index} ${phase}`).toBeLessThanOrEqual(uncertaintyJ);
      }
    }
  }, 120_000);
});
