/**
 * Config and option errors say what is expected: the field at fault, an unknown key with the key
 * it most likely meant, the shapes a handler may take, a missing field as missing.
 */
import { describe, expect, it } from 'vitest';
import { RunConfigSchema } from '../src/runner/config.js';
import { parseOptions } from '../src/util/options.js';

const base = { dataset: { path: 'd.jsonl' }, handler: { synthetic: true }, outDir: 'out' };

function configError(config: unknown): { field?: string; message: string; code: string; file?: string } {
  try {
    parseOptions(RunConfigSchema, config, 'config', 'WATTSCOPE_BAD_CONFIG', { file: 'bench.json' });
  } catch (err) {
    return err as { field?: string; message: string; code: string };
  }
  throw new Error('expected the config to be refused');
}

describe('config errors', () => {
  it('a valid config parses', () => {
    expect(parseOptions(RunConfigSchema, base, 'config').runs).toBe(10);
  });

  it('a misspelled key is named as unknown, with the key it most likely meant (not "Invalid input")', () => {
    const { outDir: _outDir, ...withoutOutDir } = base;
    const err = configError({ ...withoutOutDir, out: 'results' });
    expect(err).toMatchObject({ code: 'WATTSCOPE_BAD_CONFIG', field: 'out', file: 'bench.json' });
    expect(err.message).toBe('invalid config at "out" in bench.json: unknown key "out" (did you mean "outDir"?)');
    expect(configError({ ...base, dataset: { path: 'd.jsonl', colums: ['text'] } }).message).toMatch(
      /at "dataset.colums".*unknown key "colums" \(did you mean "columns"\?\)/,
    );
    expect(configError({ ...base, warmUp: 3 }).message).toMatch(/unknown key "warmUp" \(did you mean "warmup"\?\)/);
    expect(configError({ ...base, colour: 'red' }).message).toMatch(/unknown key "colour"$/);
  });

  it('a missing handler says it needs a module path, an endpoint and model, a GGUF model, or the synthetic workload', () => {
    const { handler: _handler, ...withoutHandler } = base;
    for (const handler of [undefined, {}, { modul: 'h.mjs' }, 'h.mjs']) {
      const err = configError({ ...withoutHandler, ...(handler === undefined ? {} : { handler }) });
      expect(err.field).toBe('handler');
      expect(err.message).toMatch(
        /at "handler" in bench\.json: expected \{"module": "<path to a module.*\{"endpoint": "<http\(s\) URL>", "model": "<model name>"\}, \{"llama": \{"modelPath": "<a GGUF file>"\}\} or \{"synthetic": true\}/,
      );
    }
  });

  it("inside the handler shape that came closest, that shape's own error", () => {
    expect(configError({ ...base, handler: { module: 'h.mjs', exprt: 'run' } })).toMatchObject({
      field: 'handler.exprt',
      message: expect.stringMatching(/unknown key "exprt" \(did you mean "export"\?\)/),
    });
    expect(configError({ ...base, handler: { endpoint: 'ftp://host/v1', model: 'm' } })).toMatchObject({
      field: 'handler.endpoint',
      message: expect.stringMatching(/expected an http\(s\) URL/),
    });
    expect(configError({ ...base, handler: { endpoint: 'http://host/v1', model: 'm', retries: 99 } })).toMatchObject({ field: 'handler.retries' });
  });

  it('a missing field is called missing, with what it expects', () => {
    const { outDir: _outDir, ...withoutOutDir } = base;
    expect(configError(withoutOutDir)).toMatchObject({ field: 'outDir', message: 'invalid config at "outDir" in bench.json: missing (expected string)' });
    expect(configError({ ...base, runs: 0 })).toMatchObject({ field: 'runs', message: expect.stringMatching(/at "runs" in bench\.json: .*>=1/) });
  });
});
