/**
 * Scope energies on an application's own prom-client registry: a counter of joules per scope and a
 * histogram of joules per scope (named apart: under OpenMetrics a counter's family drops `_total`,
 * so `wattscope_scope_energy_joules` may not name the histogram too), fed with each settled measurement. The label `scope` is the phase
 * (prefill, decode…), `query` for a whole query (not its id: one series per query would grow
 * without bound), or the scope's name. A scope that could not be measured, or whose energy came out
 * negative (never expected: see flags), is counted apart and adds nothing.
 */
import type { Registry } from 'prom-client';
import { WattscopeError } from '../util/errors.js';
import { requirePeer } from '../util/peer.js';
import type { Measurement } from './types.js';

/** Histogram buckets, J: from a 10 ms phase at a few watts to a long request on several GPUs. */
const ENERGY_BUCKETS_J = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000];

/** The `scope` label of a measurement. */
export function scopeLabel(m: Measurement): string {
  if (m.phase !== null) return m.phase;
  return m.queryId !== null && m.name === `query:${m.queryId}` ? 'query' : m.name;
}

/**
 * A prom-client `Registry` (either content type), described by the method wattscope calls, so that
 * wattscope's published types do not need prom-client's (an optional peer dependency).
 */
export interface PromClientRegistry {
  registerMetric(metric: never): void;
}

/** Registers the metrics on `registry`; returns the function that records a settled measurement. */
export function scopeMetricsRecorder(registry: PromClientRegistry): (m: Measurement) => void {
  if (typeof (registry as { registerMetric?: unknown } | null)?.registerMetric !== 'function') {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'registerMetrics takes a prom-client Registry', { field: 'registry' });
  }
  // Loaded on first use: prom-client is needed only by applications that export metrics.
  const promClient = requirePeer<typeof import('prom-client')>('prom-client', 'monitor.registerMetrics');
  const registers = [registry as unknown as Registry];
  const total = new promClient.Counter({
    name: 'wattscope_scope_energy_joules_total',
    help: 'GPU energy of settled scopes, J, by scope (phase, query, or scope name)',
    labelNames: ['scope'],
    registers,
  });
  const perScope = new promClient.Histogram({
    name: 'wattscope_scope_energy_per_scope_joules',
    help: 'GPU energy per scope, J, by scope (phase, query, or scope name)',
    labelNames: ['scope'],
    buckets: ENERGY_BUCKETS_J,
    registers,
  });
  const unmeasured = new promClient.Counter({
    name: 'wattscope_scope_unmeasured_total',
    help: 'Scopes whose energy could not be measured (GPU lost, no GPU) or came out negative, by scope',
    labelNames: ['scope'],
    registers,
  });
  return (m) => {
    const labels = { scope: scopeLabel(m) };
    if (m.status !== 'measured' || !(m.energyJ >= 0)) {
      unmeasured.inc(labels);
      return;
    }
    total.inc(labels, m.energyJ);
    perScope.observe(labels, m.energyJ);
  };
}
