/** zod validation at the public boundary, turned into typed errors that name the field. */
import { z } from 'zod';
import { WattscopeError, type WattscopeErrorCode } from './errors.js';

type Issue = z.core.$ZodIssue;

/** The object schema's keys at `path` (through optional, default and nullable wrappers), or none. */
function knownKeysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let current: unknown = schema;
  for (let depth = 0; depth <= path.length; depth++) {
    while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) current = current.unwrap();
    // A union of objects: any of its shapes' keys (only used to suggest a spelling).
    if (current instanceof z.ZodUnion && depth === path.length) return current.options.flatMap((option) => knownKeysAt(option as z.ZodType, []));
    if (!(current instanceof z.ZodObject)) return [];
    if (depth === path.length) return Object.keys(current.shape);
    current = (current.shape as Record<string, unknown>)[String(path[depth])];
  }
  return [];
}

/** Levenshtein distance, for suggesting the key a misspelled one was meant to be. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** The known key an unknown one most likely meant: a prefix of it, the same but for case, or within 2 edits. */
function suggestKey(unknownKey: string, known: string[]): string | null {
  const lower = unknownKey.toLowerCase();
  const scored = known
    .map((k) => ({ key: k, distance: k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()) ? 0 : editDistance(lower, k.toLowerCase()) }))
    .filter((s) => s.distance <= 2)
    .sort((x, y) => x.distance - y.distance);
  return scored[0]?.key ?? null;
}

/** The issue to report first: an unknown key (a misspelling usually also leaves a required field missing), else the first. */
function mainIssue(issues: readonly Issue[]): Issue {
  return issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
}

/**
 * A union none of whose shapes matched: when one shape came strictly closest (fewest issues), its
 * issue, placed under the union's path; else the union's own message (which lists the shapes).
 */
function closestBranchIssue(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const counts = issue.errors.map((branch) => branch.length);
  const fewest = Math.min(...counts);
  if (counts.filter((c) => c === fewest).length !== 1) return issue;
  const inner = mainIssue(issue.errors[counts.indexOf(fewest)]!);
  return closestBranchIssue({ ...inner, path: [...issue.path, ...inner.path] } as Issue);
}

/** The field and message an issue is reported with. */
function describeIssue(schema: z.ZodType, reported: Issue): { field: string; message: string } {
  const issue = closestBranchIssue(reported);
  const parent = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = String(issue.keys[0]);
    const suggestion = suggestKey(key, knownKeysAt(schema, issue.path));
    return { field: parent ? `${parent}.${key}` : key, message: `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}` };
  }
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return { field: parent, message: `missing (expected ${issue.expected})` };
  return { field: parent, message: issue.message };
}

/**
 * Parses `input` with `schema`; on failure throws a {@link WattscopeError}
 * (`WATTSCOPE_INVALID_OPTIONS` by default) whose `field` is the failing path. An unknown key is
 * reported first, with the key it most likely meant; a missing field says so.
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
  const { field, message } = describeIssue(schema, mainIssue(result.error.issues));
  const where = field ? ` at "${field}"` : '';
  const where2 = extra.file ? ` in ${extra.file}` : '';
  throw new WattscopeError(code, `invalid ${what}${where}${where2}: ${message}`, {
    ...(field ? { field } : {}),
    ...(extra.file ? { file: extra.file } : {}),
  });
}

/** An http(s) URL (a server to send requests to). */
export const httpUrl = () =>
  z
    .string()
    .url()
    .refine((u) => /^https?:/.test(u), 'expected an http(s) URL');
