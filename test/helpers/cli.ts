/** Runs the compiled CLI (dist/, built by the global setup) as a child process. */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/native/binding.js';

export const cliPath = path.join(packageRoot, 'dist', 'cli', 'main.js');

export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env, timeout: timeoutMs });
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}
