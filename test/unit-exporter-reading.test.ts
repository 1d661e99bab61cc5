/**
 * The exporter's reading of one GPU (src/metrics/gpu-reading.ts) on a fake session and monitor:
 * where the counter comes from (the sampler's estimate when it is as close as a read, else a read),
 * a counter that never falls across a change of source, a driver reload still bridged, a lost GPU.
 */
import { describe, expect, it } from 'vitest';
import type { CounterEstimate } from '../src/timeline/counter-estimate.js';
import { CounterBridge } from '../src/metrics/counter-bridge.js';
import { type CounterEstimateSource, type GpuReadingState, readGpu, type StatusSource } from '../src/metrics/gpu-reading.js';
import type { DeviceStatus } from '../src/nvml/session.js';

/** A status at `powerW` with the counter at `counterJ`. */
function statusAt(powerW: number, counterJ: number): DeviceStatus {
  return {
    timestampNs: 0n,
    totalEnergyJ: counterJ,
    powerW,
    instantPowerW: powerW,
    temperatureC: 40,
    smClockMhz: null,
    memClockMhz: null,
    utilizationGpuPct: null,
    memoryUsedBytes: null,
    unsupported: {},
  };
}

/** A session whose counter reads `readJ` at `powerW`, counting each kind of call. */
function fakeSession(state: { powerW: number; readJ: number; lost?: boolean }) {
  const calls = { status: 0, statusWithoutCounter: 0 };
  const session: StatusSource = {
    status: () => {
      calls.status++;
      if (state.lost) throw Object.assign(new Error('GPU is lost'), { code: 'NVML_ERROR_GPU_IS_LOST' });
      return statusAt(state.powerW, state.readJ);
    },
    statusWithoutCounter: () => {
      calls.statusWithoutCounter++;
      if (state.lost) throw Object.assign(new Error('GPU is lost'), { code: 'NVML_ERROR_GPU_IS_LOST' });
      const { totalEnergyJ: _counter, ...rest } = statusAt(state.powerW, state.readJ);
      return rest;
    },
  };
  return { session, calls };
}

/** A monitor of GPU 0 whose estimate is `estimate.current` (null: none yet). */
function fakeMonitor(estimate: { current: Pick<CounterEstimate, 'rawCounterJ' | 'uncertaintyJ'> | null }): CounterEstimateSource {
  return {
    gpus: [{ index: 0 }],
    counterEstimate: (index) =>
      index === 0 && estimate.current ? { ...estimate.current, counterJ: estimate.current.rawCounterJ, atNs: 0n, sinceUpdateMs: 50 } : null,
  };
}

const freshGpu = (index = 0): GpuReadingState => ({ index, bridge: new CounterBridge(), status: null, failure: null, counterSource: null });

describe("the exporter's reading of a GPU", () => {
  it("takes the counter from the sampler's estimate, reading no counter, where its stated uncertainty is within 0.25 s of the power", () => {
    const { session, calls } = fakeSession({ powerW: 300, readJ: 5000 });
    const gpu = freshGpu();
    readGpu(session, gpu, fakeMonitor({ current: { rawCounterJ: 5012, uncertaintyJ: 8 } }));
    expect(calls).toEqual({ status: 0, statusWithoutCounter: 1 });
    expect(gpu.counterSource).toBe('sampler');
    expect(gpu.status?.totalEnergyJ).toBe(5012);
    expect(gpu.bridge.totalJ).toBe(5012);
    expect(gpu.status?.powerW).toBe(300);
  });

  it('reads the counter where the estimate is wider (a sampler still learning the steps: +-100 J at 300 W), where there is none, and for a GPU the monitor does not sample', () => {
    const state = { powerW: 300, readJ: 5000 };
    const { session, calls } = fakeSession(state);
    const gpu = freshGpu();
    readGpu(session, gpu, fakeMonitor({ current: { rawCounterJ: 5080, uncertaintyJ: 100 } }));
    expect(gpu.counterSource).toBe('read');
    expect(gpu.bridge.totalJ).toBe(5000);
    readGpu(session, gpu, fakeMonitor({ current: null }));
    readGpu(session, gpu, null);
    const other = freshGpu(1);
    readGpu(session, other, fakeMonitor({ current: { rawCounterJ: 5010, uncertaintyJ: 1 } }));
    expect(other.counterSource).toBe('read');
    expect(calls.status).toBe(4);
  });

  it('never lets the exported counter fall when the estimate is re-anchored a little lower or the source changes, and still bridges a driver reload', () => {
    const state = { powerW: 300, readJ: 5000 };
    const { session } = fakeSession(state);
    const estimate = { current: { rawCounterJ: 5030, uncertaintyJ: 10 } as Pick<CounterEstimate, 'rawCounterJ' | 'uncertaintyJ'> | null };
    const monitor = fakeMonitor(estimate);
    const gpu = freshGpu();
    const exported: number[] = [];
    const read = () => {
      readGpu(session, gpu, monitor);
      exported.push(gpu.bridge.totalJ!);
    };
    read(); // 5030 from the sampler
    estimate.current = { rawCounterJ: 5024, uncertaintyJ: 10 }; // re-anchored 6 J lower: held
    read();
    estimate.current = null; // the sampler lost its anchor: a read, 25 J behind the estimate: held
    state.readJ = 5005;
    read();
    state.readJ = 5100;
    read();
    expect(exported).toEqual([5030, 5030, 5030, 5100]);
    expect(gpu.bridge.resets).toBe(0);
    state.readJ = 12; // the driver reloaded: far below anything a source's lag explains
    read();
    expect(gpu.bridge.resets).toBe(1);
    expect(gpu.bridge.totalJ).toBe(5112);
  });

  it('records a GPU that stops answering as down with its NVML code, and takes it back when it answers', () => {
    const state = { powerW: 200, readJ: 100, lost: true };
    const { session } = fakeSession(state);
    const gpu = freshGpu();
    readGpu(session, gpu, fakeMonitor({ current: { rawCounterJ: 100, uncertaintyJ: 1 } }));
    expect(gpu.status).toBeNull();
    expect(gpu.failure).toBe('NVML_ERROR_GPU_IS_LOST');
    expect(gpu.counterSource).toBeNull();
    state.lost = false;
    readGpu(session, gpu, null);
    expect(gpu.failure).toBeNull();
    expect(gpu.bridge.totalJ).toBe(100);
  });
});
