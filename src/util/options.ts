/** zod validation at the public boundary, turned into typed errors that name the field. */
import { z } from 'zod';
import { WattscopeError, type WattscopeErrorCode } from './errors.js';

/**
 * Parses `input` with `schema`; on failure throws a {@link WattscopeError}
 * (`WATTSCOPE_INVALID_OPTIONS` by default) whose `field` is the first failing path.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  code: WattscopeErrorCode = 'WATTSCOPE_INVALID_OPTIONS',
  extra: { file?: string } = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys' && 'keys' in issue && Array.isArray(issue.keys)) {
    const key = String(issue.keys[0]);
    field = field ? `${field}.${key}` : key;
  }
  const where = field ? ` at "${field}"` : '';
  const where2 = extra.file ? ` in ${extra.file}` : '';
  throw new WattscopeError(code, `invalid ${what}${where}${where2}: ${issue.message}`, {
    ...(field ? { field } : {}),
    ...(extra.file ? { file: extra.file } : {}),
  });
}
