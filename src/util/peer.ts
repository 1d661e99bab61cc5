/**
 * Optional peer dependencies, loaded when first used: prom-client (the exporter and
 * registerMetrics), @resvg/resvg-js and dejavu-fonts-ttf (the PNG label). Where one is not
 * installed, a WATTSCOPE_MISSING_PEER error says what needs it and what to install.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { WattscopeError } from './errors.js';

const require = createRequire(import.meta.url);

/** The optional peers, with what each enables. */
export const OPTIONAL_PEERS = {
  'prom-client': 'the Prometheus metrics (wattscope exporter, monitor.registerMetrics)',
  '@resvg/resvg-js': 'the PNG label (wattscope label --out x.png, labelPng)',
  'dejavu-fonts-ttf': 'the fonts of the PNG label',
} as const;

export type OptionalPeer = keyof typeof OPTIONAL_PEERS;

function missing(name: OptionalPeer, neededBy: string, err: unknown): WattscopeError {
  const all = name === '@resvg/resvg-js' || name === 'dejavu-fonts-ttf' ? '@resvg/resvg-js dejavu-fonts-ttf' : name;
  return new WattscopeError(
    'WATTSCOPE_MISSING_PEER',
    `${neededBy} needs ${name}, an optional peer dependency of wattscope that is not installed: npm install ${all}`,
    { cause: err, field: name },
  );
}

/** The optional peer `name` (a CommonJS module), or WATTSCOPE_MISSING_PEER naming `neededBy`. */
export function requirePeer<T>(name: OptionalPeer, neededBy: string): T {
  try {
    return require(name) as T;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw err;
    throw missing(name, neededBy, err);
  }
}

/** The directory the optional peer `name` is installed in, or WATTSCOPE_MISSING_PEER naming `neededBy`. */
export function peerDirectory(name: OptionalPeer, neededBy: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch (err) {
    throw missing(name, neededBy, err);
  }
}
