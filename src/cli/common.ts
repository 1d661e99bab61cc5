/** Helpers shared by the CLI commands: argument parsing, tables, exiting cleanly. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { WattscopeError } from '../util/errors.js';
import { unscoredReason } from '../runner/analysis.js';
import type { RunRecord } from '../formats/report-types.js';
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
    const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec((err as Error).message)?.[1];
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      const nearest = nearestName(unknown.replace(/^-+/, ''), Object.keys(options));
      throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `unknown option ${unknown}${nearest ? ` (did you mean --${nearest}?)` : ''}`, { field: unknown });
    }
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', (err as Error).message);
  }
}

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The name nearest to `given` (within a third of its length, at least 2 edits), or null. */
export function nearestName(given: string, names: string[]): string | null {
  let best: { name: string; distance: number } | null = null;
  for (const name of names) {
    const distance = editDistance(given, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(given.length / 3)) ? best.name : null;
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
/** What the AI Energy Score files hold (runBenchmark's scoreMethod). */
export const SCORE_METHODS = ['in-situ', 'separate-passes'] as const;

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

/** 0 when a run was scored; else says why in one sentence on stderr and returns 1 (the report and run files stay). */
export function exitUnscored(runs: RunRecord[], outDir: string | undefined): number {
  const reason = unscoredReason(runs);
  if (reason === null) return 0;
  process.stderr.write(`wattscope: ${reason}${outDir ? `; the report and run files in ${outDir} say more` : ''}\n`);
  return 1;
}
