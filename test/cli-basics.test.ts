/**
 * The CLI basics a new user reaches for: --version, an exporter port already in use, a mistyped
 * flag, and measure given a command without "--". Each is one sentence and exit 1, never a stack.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/util/version.js';
import { runCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';

/** One line on stderr, starting "wattscope: ", without a stack trace. */
function oneSentence(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^wattscope: /);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('the CLI basics', () => {
  it('--version prints the version', () => {
    for (const flag of ['--version', '-v']) {
      const r = runCli([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`wattscope ${VERSION}\n`);
    }
  });

  it('an exporter port already in use: one sentence naming it, exit 1', async () => {
    configureSim();
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as AddressInfo).port;
    try {
      const r = runCli(['exporter', '--simulate', '--port', String(port)]);
      expect(r.status).toBe(1);
      expect(oneSentence(r.stderr)).toBe(
        `wattscope: cannot listen on 127.0.0.1:${port}: it is in use (by another exporter?); choose another with --port or --host`,
      );
    } finally {
      holder.close();
    }
  });

  it("a mistyped flag names the nearest one and points to the command's --help", () => {
    const r = runCli(['run', '--endpont', 'http://127.0.0.1:8000/v1']);
    expect(r.status).toBe(1);
    expect(oneSentence(r.stderr)).toBe('wattscope: unknown option --endpont (did you mean --endpoint?); wattscope run --help lists its options');
    const far = runCli(['measure', '--zzzzzzzz']);
    expect(oneSentence(far.stderr)).toBe('wattscope: unknown option --zzzzzzzz; wattscope measure --help lists its options');
    expect(oneSentence(runCli(['mesure']).stderr.split('\n')[0]!)).toBe('wattscope: unknown command "mesure" (did you mean measure?)');
  });

  it('measure given a command without "--" says to put it after "--"', () => {
    const r = runCli(['measure', '--simulate', 'sleep', '1']);
    expect(r.status).toBe(1);
    expect(oneSentence(r.stderr)).toMatch(/^wattscope: put the command to measure after "--": wattscope measure -- sleep 1; /);
  });
});
