/**
 * Optional peer dependencies, loaded when first used: prom-client (the exporter and
 * registerMetrics), @resvg/resvg-js and dejavu-fonts-ttf (the PNG label), @opentelemetry/api
 * (registerOpenTelemetry). Where one is not installed, a WATTSCOPE_MISSING_PEER error says what
 * needs it and what to install.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { WattscopeError } from './errors.js';

const require = createRequire(import.meta.url);

/** Each optional peer, with what to install for the feature that needs it (the label's renderer takes its fonts too). */
const INSTALL_COMMAND = {
  'prom-client': 'npm install prom-client',
  '@resvg/resvg-js': 'npm install @resvg/resvg-js dejavu-fonts-ttf',
  'dejavu-fonts-ttf': 'npm install @resvg/resvg-js dejavu-fonts-ttf',
  '@opentelemetry/api': 'npm install @opentelemetry/api (and an OpenTelemetry SDK to export anything)',
} as const;

export type OptionalPeer = keyof typeof INSTALL_COMMAND;

function missing(name: OptionalPeer, neededBy: string, err: unknown): WattscopeError {
  return new WattscopeError(
    'WATTSCOPE_MISSING_PEER',
    `${neededBy} needs ${name}, an optional peer dependency of wattscope that is not installed: ${INSTALL_COMMAND[name]}`,
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
