/**
 * The ML.ENERGY pieces on synthetic input: the time-weighted count of requests in flight, the
 * three stability rules (each broken alone), GPU short names, model sizes read from names, and a
 * result's rank, percentile and nearest runs among the dataset's.
 */
import { describe, expect, it } from 'vitest';
import { gpuShortName, type MlEnergyLlmRecord } from '../src/formats/mlenergy-records.js';
import type { RunSummary } from '../src/monitor/types.js';
import { diffusionBatch, diffusionRecordOf } from '../src/runner/diffusion.js';
import { InFlightMeter } from '../src/runner/in-flight.js';
import { compareWithMlEnergy, parametersBillionsOf } from '../src/scoring/mlenergy-compare.js';
import { judgeStability } from '../src/server/mlenergy-stability.js';

const ms = (value: number) => BigInt(value * 1_000_000);

describe('requests in flight', () => {
  it('averages the count over the window, time-weighted, ignoring what happens outside it', () => {
    const meter = new InFlightMeter();
    meter.change(+1, ms(0));
    meter.change(+1, ms(5));
    meter.open(ms(10)); // 2 in flight
    meter.change(+1, ms(20)); // 3 from 20 ms
    meter.change(-1, ms(40)); // 2 from 40 ms
    meter.close(ms(50));
    meter.change(-2, ms(60));
    // 2 x 10 + 3 x 20 + 2 x 10 = 100 count-ms over 40 ms.
    expect(meter.meanInWindow).toBeCloseTo(2.5, 12);
    expect(meter.count).toBe(0);
  });

  it('has no mean before its window closes, or for a window of no length', () => {
    const meter = new InFlightMeter();
    meter.open(ms(1));
    expect(meter.meanInWindow).toBeNull();
    meter.close(ms(1));
    expect(meter.meanInWindow).toBeNull();
  });
});

describe('ML.ENERGY stability rules', () => {
  const steady = { durationS: 25, jPerToken: 0.3, meanRunningRequests: 15.9 };
  it('is stable when every rule holds', () => {
    expect(judgeStability({ maxNumSeqs: 16, steadyState: steady })).toEqual({ isStable: true, reasons: [] });
  });

  it('breaks each rule alone, saying which and by how much', () => {
    const short = judgeStability({ maxNumSeqs: 16, steadyState: { ...steady, durationS: 19.99 } });
    expect(short).toEqual({ isStable: false, reasons: ['steady-state-short: 19.99 s is under 20 s'] });
    const zero = judgeStability({ maxNumSeqs: 16, steadyState: { ...steady, jPerToken: 0 } });
    expect(zero.reasons).toEqual(['energy-per-token: 0 J in the steady state, not above zero']);
    const noTokens = judgeStability({ maxNumSeqs: 16, steadyState: { ...steady, jPerToken: null } });
    expect(noTokens.reasons).toEqual(['energy-per-token: no token in the steady state, not above zero']);
    const starved = judgeStability({ maxNumSeqs: 16, steadyState: { ...steady, meanRunningRequests: 13.5 } });
    expect(starved.reasons).toEqual(['running-requests: 13.50 in flight on average during the steady state, under 0.85 x 16 = 13.60']);
    expect(judgeStability({ maxNumSeqs: 16, steadyState: { ...steady, meanRunningRequests: 13.6 } }).isStable).toBe(true);
  });

  it('a run that never reached max_num_seqs in flight has no steady state and is unstable', () => {
    const none = judgeStability({ maxNumSeqs: 64, steadyState: null });
    expect(none.isStable).toBe(false);
    expect(none.reasons[0]).toMatch(/^no-steady-state: 64 requests were never in flight at once/);
  });
});

describe('names', () => {
  it("maps NVML's device names to ML.ENERGY's short GPU names", () => {
    expect(gpuShortName('NVIDIA H100 80GB HBM3')).toBe('H100');
    expect(gpuShortName('NVIDIA B200')).toBe('B200');
    expect(gpuShortName('NVIDIA A100-SXM4-80GB')).toBe('A100');
    expect(gpuShortName('NVIDIA L40S')).toBe('L40S');
    expect(gpuShortName('NVIDIA A10G')).toBe('A10');
    expect(gpuShortName('Some Future GPU')).toBe('Some Future GPU');
  });

  it('reads the parameter count from a model id', () => {
    expect(parametersBillionsOf('meta-llama/Llama-3.1-70B-Instruct')).toBe(70);
    expect(parametersBillionsOf('Qwen/Qwen2.5-0.5B')).toBe(0.5);
    expect(parametersBillionsOf('mistralai/Mixtral-8x7B')).toBeNull();
    expect(parametersBillionsOf('openai/gpt-oss-120b')).toBe(120);
    expect(parametersBillionsOf('wattscope/fake-server')).toBeNull();
  });
});

describe('comparison with the ML.ENERGY runs', () => {
  const record = (over: Partial<MlEnergyLlmRecord>, row = 0) => ({
    ...({ task: 'lm-arena-chat', gpu_model: 'H100', model_id: 'org/Model-8B', max_num_seqs: 64, energy_per_token_joules: 0.2 } as MlEnergyLlmRecord),
    ...over,
    row,
  });
  const runs = [
    record({ energy_per_token_joules: 0.1, model_id: 'a/A-8B', max_num_seqs: 64 }, 1),
    record({ energy_per_token_joules: 0.3, model_id: 'b/B-70B', max_num_seqs: 64 }, 2),
    record({ energy_per_token_joules: 0.25, model_id: 'c/C-8B', max_num_seqs: 128 }, 3),
    record({ energy_per_token_joules: 0.05, model_id: 'd/D-8B', max_num_seqs: 64, gpu_model: 'B200' }, 4),
    record({ energy_per_token_joules: 0.01, model_id: 'e/E-8B', max_num_seqs: 64, task: 'gpqa' }, 5),
  ];

  it('ranks among the same task and GPU model only, and finds the nearest by size and batch', () => {
    const c = compareWithMlEnergy(record({}), runs);
    expect(c.peers).toBe(3);
    expect(c.rank).toBe(2); // only row 1 uses less
    expect(c.percentile).toBeCloseTo((2 / 3) * 100, 9);
    expect(c.nearest.map((n) => n.row)).toEqual([1, 3, 2]);
    expect(c.nearest[0]!.distance).toBe(0);
    expect(c.nearest[1]!.distance).toBe(1); // twice the batch
    expect(c.nearest[2]!.distance).toBeCloseTo(Math.log(70 / 8), 12);
  });

  it('without peers, no rank', () => {
    const c = compareWithMlEnergy(record({ gpu_model: 'T4' }), runs);
    expect(c).toMatchObject({ peers: 0, rank: null, percentile: null, nearest: [] });
  });
});

describe('diffusion records', () => {
  const summary = { phases: { generate: { energyJ: 480, durationS: 0.8 }, decode: { energyJ: 120, durationS: 0.2 } } } as unknown as RunSummary;

  it("divides the phases' energy by the generations, and their time by the batches", () => {
    const record = diffusionRecordOf([diffusionBatch(4, 512, 512), diffusionBatch(4, 512, 512)], summary);
    expect(record).toEqual({
      batchSize: 4,
      height: 512,
      width: 512,
      batches: 2,
      generations: 8,
      energyPerGenerationJ: 600 / 8,
      batchLatencyS: 0.5,
      avgPowerW: 600,
      reason: null,
    });
    expect(diffusionRecordOf([], summary)).toBeNull();
  });

  it('a run mixing sizes or resolutions has no figures, and says why', () => {
    const record = diffusionRecordOf([diffusionBatch(4, 512, 512), diffusionBatch(2, 1024, 1024)], summary)!;
    expect(record.energyPerGenerationJ).toBeNull();
    expect(record.reason).toBe('the run mixed batches of 4 x 512x512 and 2 x 1024x1024: one configuration per run');
  });

  it('a batch of no size is refused', () => {
    expect(() => diffusionBatch(0, 512, 512)).toThrow(RangeError);
    expect(() => diffusionBatch(2, 512.5, 512)).toThrow(/positive integer batchSize, height and width/);
  });
});
