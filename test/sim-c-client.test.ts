/**
 * The simulated GPU as a drop-in NVML for any client: a small C program written against NVML's
 * documented ABI only (test/c-client/nvml_client.c, no wattscope header) loads it the way
 * NVIDIA's Python binding does and reads every query such tools call first.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot, simulatedNvmlPath } from '../src/native/binding.js';
import { configureSim } from './helpers/sim.js';
import { readRecording } from '../src/sim/recording.js';

const compiler = spawnSync('cc', ['--version'], { encoding: 'utf8' });
const haveCompiler = compiler.status === 0;
let client = '';

beforeAll(() => {
  if (!haveCompiler) return;
  client = path.join(mkdtempSync(path.join(tmpdir(), 'wattscope-c-client-')), 'nvml_client');
  const source = path.join(packageRoot, 'test', 'c-client', 'nvml_client.c');
  const build = spawnSync('cc', ['-std=c11', '-D_DEFAULT_SOURCE', '-Wall', '-Wextra', '-Werror', '-o', client, source, '-ldl'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`cannot compile the C client: ${build.stderr}`);
});

/** Runs the client on a library; its "key=value" lines as a map. */
function runClient(library: string, waitMs = 250): { status: number | null; values: Map<string, string>; stdout: string } {
  const r = spawnSync(client, [library, String(waitMs)], { encoding: 'utf8', env: process.env, timeout: 20_000 });
  const values = new Map(
    r.stdout
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]),
  );
  return { status: r.status, values, stdout: r.stdout };
}

describe.skipIf(!haveCompiler)('a C client using only the documented NVML ABI (skipped without a C compiler: no `cc` on PATH)', () => {
  it('initialises with nvmlInitWithFlags and reads identity, limits, state, processes, energy and fields of two GPUs', () => {
    configureSim({ devices: 2, mig: 'MIG-5a1d0000-aaaa-4000-8000-000000000001@1' });
    const { status, values, stdout } = runClient(simulatedNvmlPath());
    expect(status, stdout).toBe(0);
    expect(values.get('shutdown')).toBe('ok');
    expect(values.get('cuda')).toBe('12040');
    expect(values.get('count')).toBe('2');
    for (const gpu of ['gpu0', 'gpu1']) {
      expect(values.get(`${gpu}.name`)).toBe('NVIDIA H100 80GB HBM3');
      expect(values.get(`${gpu}.uuid`)).toMatch(/^GPU-[0-9a-f-]{36}$/);
      expect(values.get(`${gpu}.powerLimitMw`)).toBe('700000');
      expect(values.get(`${gpu}.pstate`)).toBe('0');
      // Idle (70 W): the clocks are down because the GPU is idle, and for nothing else.
      expect(values.get(`${gpu}.clocksEventReasons`)).toBe('1');
      // The two-call pattern: first the count (INSUFFICIENT_SIZE), then the client's own process.
      expect(values.get(`${gpu}.processesFirstCall`)).toBe('7,1');
      expect(values.get(`${gpu}.process0Pid`)).toBe(values.get('pid'));
      // 250 ms at 70 W on a counter updated every 100 ms: 10.5 to 24.5 J.
      const deltaMj = Number(values.get(`${gpu}.energyDeltaMj`));
      expect(deltaMj).toBeGreaterThanOrEqual(70 * 150);
      expect(deltaMj).toBeLessThanOrEqual(70 * 350);
      expect(values.get(`${gpu}.field83`)).toMatch(/^0,\d{9,}$/);
      expect(values.get(`${gpu}.field186`)).toBe('0,70000');
      // Field timestamps are wall-clock microseconds, as NVML's are: within a second of the client's clock.
      const skewUs = Number(values.get('clientWallClockUs')) - Number(values.get(`${gpu}.fieldTimestampUs`));
      expect(skewUs).toBeGreaterThanOrEqual(0);
      expect(skewUs).toBeLessThan(1e6);
    }
    expect(values.get('gpu0.migMode')).toBe('0');
    expect(values.get('gpu1.migMode')).toBe('1');
  });

  it('clocks event reasons: the power cap at 700 W, thermal slowdown (and 87 C) under the thermal fault', () => {
    configureSim({ trace: '0:700', faults: 'thermal_after=0' });
    const { status, values } = runClient(simulatedNvmlPath(), 50);
    expect(status).toBe(0);
    // 0x4 SW power cap | 0x20 SW thermal slowdown.
    expect(Number(values.get('gpu0.clocksEventReasons'))).toBe(0x4 | 0x20);
    expect(values.get('gpu0.temperatureC')).toBe('87');
  });

  it('unconfigured, the library is the measured H200 (profile h200); an unknown profile fails nvmlInit', () => {
    configureSim();
    delete process.env.WATTSCOPE_SIM_SENSOR;
    const { status, values, stdout } = runClient(simulatedNvmlPath(), 250);
    expect(status, stdout).toBe(0);
    expect(values.get('gpu0.name')).toBe('NVIDIA H200');
    // Idle with a CUDA context: 122.5 W (the h100 profile's idle is 70 W).
    const deltaMj = Number(values.get('gpu0.energyDeltaMj'));
    expect(deltaMj).toBeGreaterThanOrEqual(122.5 * 150);
    expect(deltaMj).toBeLessThanOrEqual(122.5 * 350);
    process.env.WATTSCOPE_SIM_SENSOR = 'a100';
    const unknown = runClient(simulatedNvmlPath(), 10);
    expect(unknown.status).toBe(4);
    expect(unknown.values.get('error')).toMatch(/^nvmlInitWithFlags:999:/);
  });

  it("the old driver's library lacks nvmlInitWithFlags, and the client says so", () => {
    configureSim();
    const { status, values } = runClient(simulatedNvmlPath('legacy'));
    expect(status).toBe(3);
    expect(values.get('missing')).toBe('nvmlInitWithFlags');
  });

  it("replaying a real H200's recording (WATTSCOPE_SIM_REPLAY), the C client reads the recorded counter and power", () => {
    configureSim();
    const { plainPrefix, counter } = readRecording(path.join(packageRoot, 'test', 'fixtures', 'h200', 'trace'));
    // Replay from 20 s into the recording: the client's reads fall within its first second there.
    const startNs = counter[0]!.tNs + 20_000_000_000n;
    process.env.WATTSCOPE_SIM_REPLAY = plainPrefix;
    process.env.WATTSCOPE_SIM_REPLAY_START_NS = String(startNs);
    try {
      const { status, values, stdout } = runClient(simulatedNvmlPath(), 250);
      expect(status, stdout).toBe(0);
      expect(values.get('count')).toBe('1');
      expect(values.get('gpu0.name')).toBe('NVIDIA H200 (replayed)');
      const recorded = counter.filter((r) => r.tNs >= startNs && r.tNs <= startNs + 2_000_000_000n).map((r) => r.energyMj);
      const [ret, field83] = values.get('gpu0.field83')!.split(',');
      expect(ret).toBe('0');
      expect(recorded).toContain(Number(field83));
      // 250 ms of the recorded counter: the real GPU's energy over those steps, not a simulated level.
      const deltaMj = Number(values.get('gpu0.energyDeltaMj'));
      expect(deltaMj).toBeGreaterThan(0);
      expect(recorded.some((a) => recorded.some((b) => b - a === deltaMj))).toBe(true);
    } finally {
      delete process.env.WATTSCOPE_SIM_REPLAY;
      delete process.env.WATTSCOPE_SIM_REPLAY_START_NS;
    }
  });
});
