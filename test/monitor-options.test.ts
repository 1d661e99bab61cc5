/** EnergyMonitor's options, read without zod: defaults filled in, and every bad field named. */
import { describe, expect, it } from 'vitest';
import { parseMonitorOptions } from '../src/monitor/options.js';

describe('parseMonitorOptions', () => {
  it('fills in the stated defaults', () => {
    expect(parseMonitorOptions(undefined)).toEqual({
      gpus: 'all',
      sampleHz: 1000,
      retentionS: 120,
      settleTimeoutMs: 4000,
      drainIntervalMs: 50,
      ifUnavailable: 'throw',
      cpu: 'auto',
      cpuSampleHz: 1000,
      counterReads: 'auto',
      powerResponseMs: 20,
    });
    const onMeasurement = () => undefined;
    expect(
      parseMonitorOptions({ gpus: [0, 'GPU-abc'], simulate: 'legacy', library: '/x.so', cudaVisibleDevices: '1', onMeasurement, ifUnavailable: 'noop' }),
    ).toMatchObject({
      gpus: [0, 'GPU-abc'],
      simulate: 'legacy',
      library: '/x.so',
      cudaVisibleDevices: '1',
      onMeasurement,
      ifUnavailable: 'noop',
    });
  });

  it.each([
    [{ sampleHz: 0 }, 'sampleHz', /from 1 to 20000, got 0/],
    [{ sampleHz: '1000' }, 'sampleHz', /expected a number, got "1000"/],
    [{ retentionS: Number.NaN }, 'retentionS', /expected a number/],
    [{ settleTimeoutMs: 70000 }, 'settleTimeoutMs', /from 0 to 60000/],
    [{ powerResponseMs: -5 }, 'powerResponseMs', /from 0 to 1000, got -5/],
    [{ gpus: [] }, 'gpus', /non-empty array/],
    [{ gpus: [-1] }, 'gpus', /integers from 0/],
    [{ simulate: 'a100' }, 'simulate', /expected one of true, false, "h100", "legacy", got "a100"/],
    [{ library: '' }, 'library', /non-empty string/],
    [{ ifUnavailable: 'ignore' }, 'ifUnavailable', /"throw", "noop"/],
    [{ onMeasurement: 'log' }, 'onMeasurement', /expected a function/],
    [{ sampleRate: 5 }, 'sampleRate', /unknown option \(expected one of gpus, sampleHz/],
  ])('%j is an error naming %s', (input, field, message) => {
    expect(() => parseMonitorOptions(input)).toThrow(
      expect.objectContaining({ code: 'WATTSCOPE_INVALID_OPTIONS', field, message: expect.stringMatching(message) }),
    );
  });

  it('options that are not an object are an error', () => {
    expect(() => parseMonitorOptions([1])).toThrow(
      expect.objectContaining({ code: 'WATTSCOPE_INVALID_OPTIONS', message: expect.stringMatching(/expected an object, got an array/) }),
    );
  });
});
