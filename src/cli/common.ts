/** Helpers shared by the CLI commands: argument parsing, tables, exiting cleanly. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WattscopeError } from '../util/errors.js';
import type { NvmlOptions } from '../nvml/session.js';

/** Flags every GPU-touching command accepts. */
export const nvmlFlags = {
  simulate: { type: 'boolean' },
  'nvml-library': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parsed flags: strings for string options, booleans for boolean ones. */
export type Flags = Record<string, string | boolean | undefined>;

export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, allowPositionals = false): { values: Flags; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: r.values as Flags, positionals: r.positionals };
  } catch (err) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', (err as Error).message);
  }
}

/** A string flag's value (undefined when absent). */
export function str(values: Flags, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

export function nvmlOptionsFrom(values: Flags): NvmlOptions {
  const o: NvmlOptions = {};
  if (values.simulate === true) o.simulate = true;
  const lib = str(values, 'nvml-library');
  if (lib) o.library = lib;
  return o;
}

/** Formats rows as a left-aligned text table. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function fmt(value: number | null | undefined, digits: number, unit = ''): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toFixed(digits) + unit;
}

export function positiveNumber(raw: string | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--${flag} must be a positive number, got "${raw}"`, {
      field: flag,
    });
  }
  return n;
}

export function positiveInt(raw: string | undefined, flag: string, fallback: number): number {
  const n = positiveNumber(raw, flag, fallback);
  if (!Number.isInteger(n)) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--${flag} must be a whole number, got "${raw}"`, {
      field: flag,
    });
  }
  return n;
}

/** `value` if it is one of `allowed`; else an error naming the flag and the choices. */
export function choice<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value !== undefined && !(allowed as readonly string[]).includes(value)) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `--${flag} must be one of ${allowed.join(', ')}, got "${value}"`, { field: flag });
  }
  return value as T | undefined;
}

/** The AI Energy Score report formats `run` and `demo` write (--format). */
export const REPORT_FORMATS = ['optimum', 'ai-energy-benchmarks', 'both'] as const;

/** The exit status of a command stopped by a signal, as a shell gives it (128 + the signal's number). */
export const STOPPED_STATUS: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Stops a benchmark on Ctrl-C (SIGINT) and on SIGTERM (systemd's, Kubernetes' or `kill`'s stop)
 * alike: `stop` is called with the signal, and what was measured is written. Returns the function
 * that stops listening.
 */
export function onStopSignals(stop: (signal: 'SIGINT' | 'SIGTERM') => void): () => void {
  const listeners = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const listener = () => stop(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
