/**
 * The part of vitest's API that test/nvml-contract.test.ts uses, on node:test and node:assert, so
 * that the contract tests run as written on Debian's arm64 Node (18, under qemu-user), where
 * vitest 4 (Node 20 and later, with x64-only native transforms here) cannot. scripts/arm64-check.sh
 * compiles the test with tsc and points its `vitest` import here. Any matcher not listed throws.
 */
import assert from 'node:assert/strict';
import { afterEach as nodeAfterEach, describe as nodeDescribe, it as nodeIt } from 'node:test';

class SkipSignal extends Error {}

export const describe = (name, body) => nodeDescribe(name, body);
export const afterEach = (hook) => nodeAfterEach(hook);

/** A test whose body may call ctx.skip(note), which stops it there, as in vitest. */
export function it(name, body) {
  nodeIt(name, async (t) => {
    const ctx = {
      skip: (note) => {
        t.skip(note);
        throw new SkipSignal(note);
      },
    };
    try {
      await body(ctx);
    } catch (err) {
      if (!(err instanceof SkipSignal)) throw err;
    }
  });
}

const OBJECT_CONTAINING = Symbol('objectContaining');

/** Whether `actual` has every property of `expected`, recursively (vitest's toMatchObject). */
function matchesObject(actual, expected) {
  if (expected instanceof RegExp) return typeof actual === 'string' && expected.test(actual);
  if (expected === null || typeof expected !== 'object') return Object.is(actual, expected);
  if (actual === null || typeof actual !== 'object') return false;
  const wanted = expected[OBJECT_CONTAINING] ?? expected;
  return Object.entries(wanted).every(([key, value]) => matchesObject(actual[key], value));
}

function matchers(actual, negated) {
  const check = (pass, message) => assert.ok(negated ? !pass : pass, negated ? `not: ${message}` : message);
  const show = (value) => (typeof value === 'bigint' ? `${value}n` : JSON.stringify(value));
  return {
    toBe: (expected) => check(Object.is(actual, expected), `${show(actual)} to be ${show(expected)}`),
    toEqual: (expected) => check(isDeepEqual(actual, expected), `${show(actual)} to equal ${show(expected)}`),
    toMatch: (pattern) => check(typeof actual === 'string' && new RegExp(pattern).test(actual), `${show(actual)} to match ${pattern}`),
    toContain: (item) => check(actual.includes(item), `${show(actual)} to contain ${show(item)}`),
    toMatchObject: (expected) => check(matchesObject(actual, expected), `${show(actual)} to match ${show(expected)}`),
    toBeInstanceOf: (type) => check(actual instanceof type, `${show(actual)} to be a ${type.name}`),
    toBeGreaterThan: (bound) => check(actual > bound, `${show(actual)} > ${show(bound)}`),
    toBeGreaterThanOrEqual: (bound) => check(actual >= bound, `${show(actual)} >= ${show(bound)}`),
    toBeLessThanOrEqual: (bound) => check(actual <= bound, `${show(actual)} <= ${show(bound)}`),
    toThrow: (expected) => {
      let thrown;
      let threw = false;
      try {
        actual();
      } catch (err) {
        thrown = err;
        threw = true;
      }
      check(threw && (expected === undefined || matchesObject(thrown, expected)), `to throw ${show(expected)}, threw ${thrown}`);
    },
  };
}

function isDeepEqual(actual, expected) {
  try {
    assert.deepStrictEqual(actual, expected);
    return true;
  } catch {
    return false;
  }
}

export function expect(actual) {
  return { ...matchers(actual, false), not: matchers(actual, true) };
}
expect.objectContaining = (properties) => ({ [OBJECT_CONTAINING]: properties });
