/**
 * node-llama-cpp, an optional peer dependency: loaded when a llama helper is first used, and a
 * WATTSCOPE_MISSING_PEER error saying what to install where it is not.
 */
import { WattscopeError } from '../util/errors.js';

export type NodeLlamaCpp = typeof import('node-llama-cpp');

let loading: Promise<NodeLlamaCpp> | null = null;

/** The node-llama-cpp module (3.x), imported once. */
export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  loading ??= import('node-llama-cpp').catch((err: unknown) => {
    loading = null;
    throw new WattscopeError(
      'WATTSCOPE_MISSING_PEER',
      `wattscope/llama needs node-llama-cpp 3.x, an optional peer dependency: npm install node-llama-cpp (${(err as Error).message})`,
      { cause: err },
    );
  });
  return loading;
}
