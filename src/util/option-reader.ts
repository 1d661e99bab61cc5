/**
 * Option validation for the measuring path, without zod (which costs tens of milliseconds to
 * load): an options object is read field by field, and anything wrong is a WattscopeError
 * (`WATTSCOPE_INVALID_OPTIONS`) naming the field and what was expected.
 */
import { WattscopeError } from './errors.js';

export class OptionReader {
  readonly #input: Record<string, unknown>;
  readonly #what: string;
  readonly #fieldPrefix: string;

  /**
   * `input` must be a plain object (or undefined: no options) holding only `allowedKeys`; errors
   * name a field as `fieldPrefix` + key (for a nested object: 'cpuEstimate.').
   */
  constructor(input: unknown, what: string, allowedKeys: readonly string[], fieldPrefix = '') {
    this.#what = what;
    this.#fieldPrefix = fieldPrefix;
    if (input === undefined) input = {};
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw this.error('', `expected an object, got ${describe(input)}`);
    this.#input = input as Record<string, unknown>;
    for (const key of Object.keys(this.#input)) {
      if (!allowedKeys.includes(key)) throw this.error(key, `unknown option (expected one of ${allowedKeys.join(', ')})`);
    }
  }

  /** The error for `field` (empty: the whole object). */
  error(key: string, message: string): WattscopeError {
    const field = key ? this.#fieldPrefix + key : this.#fieldPrefix.replace(/\.$/, '');
    return new WattscopeError('WATTSCOPE_INVALID_OPTIONS', `invalid ${this.#what}${field ? ` at "${field}"` : ''}: ${message}`, field ? { field } : {});
  }

  /** The raw value of `key` (undefined when absent). */
  raw(key: string): unknown {
    return this.#input[key];
  }

  /** A finite number in [min, max] (an integer if `integer`), else `fallback` when absent. */
  number<D extends number | undefined>(key: string, range: { min: number; max: number; integer?: boolean }, fallback: D): number | D {
    const value = this.#input[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.error(key, `expected a number, got ${describe(value)}`);
    if (range.integer && !Number.isInteger(value)) throw this.error(key, `expected an integer, got ${value}`);
    if (value < range.min || value > range.max) throw this.error(key, `expected a number from ${range.min} to ${range.max}, got ${value}`);
    return value;
  }

  /** A non-empty string, or undefined when absent. */
  text(key: string): string | undefined {
    const value = this.#input[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0) throw this.error(key, `expected a non-empty string, got ${describe(value)}`);
    return value;
  }

  /** One of `choices`, else `fallback` when absent. */
  choice<T extends string | boolean, D extends T | undefined>(key: string, choices: readonly T[], fallback: D): T | D {
    const value = this.#input[key];
    if (value === undefined) return fallback;
    if (!choices.includes(value as T)) throw this.error(key, `expected one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${describe(value)}`);
    return value as T;
  }

  /** A function, or undefined when absent. */
  callback<F extends (...args: never[]) => unknown>(key: string): F | undefined {
    const value = this.#input[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'function') throw this.error(key, `expected a function, got ${describe(value)}`);
    return value as F;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
