/**
 * OpenTelemetry, through the optional peer dependency @opentelemetry/api: each GPU's energy
 * (observable counter `hw.energy`, J) and power (observable gauge `hw.power`, W) with `hw.type =
 * gpu` and `hw.id` after the hardware semantic conventions, a histogram of energy per scope
 * (`wattscope.scope.energy`, J), and the energy of a scope on the span active when it ended:
 * attributes `wattscope.energy_j`, `wattscope.energy_uncertainty_j`, `wattscope.method`, set once
 * settled; a span already ended by then gets a short `wattscope.energy` span linked to it instead
 * (an ended span takes no more attributes). With the API but no SDK, every call is the API's no-op.
 */
import { createRequire } from 'node:module';
import type { Attributes, Span } from '@opentelemetry/api';
import { WattscopeError } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import type { ScopeRecord } from './ledger.js';
import { scopeLabel } from './scope-metrics.js';
import type { Measurement } from './types.js';

/** What the bridge reads of each measured GPU, when the SDK collects. */
export interface OtelGpu {
  index: number;
  uuid: string | null;
  name: string | null;
  energyJ: () => number | null;
  powerW: () => number;
}

export interface OtelBridge {
  /** Called as a scope ends (in its async context): remembers the active span. */
  scopeEnded(rec: ScopeRecord): void;
  /** Called with each settled measurement. */
  record(m: Measurement): void;
}

type OtelApi = typeof import('@opentelemetry/api');

function loadApi(): OtelApi {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
  } catch (err) {
    throw new WattscopeError(
      'WATTSCOPE_MISSING_PEER',
      'OpenTelemetry needs the optional peer dependency @opentelemetry/api: npm install @opentelemetry/api (and an SDK to export anything)',
      { cause: err },
    );
  }
}

/** Registers the instruments on the global meter provider; returns the scope hooks. */
export function openTelemetryBridge(gpus: () => OtelGpu[]): OtelBridge {
  const api = loadApi();
  const meter = api.metrics.getMeter('wattscope', VERSION);
  const gpuAttributes = (g: OtelGpu): Attributes => ({ 'hw.type': 'gpu', 'hw.id': g.uuid ?? String(g.index), 'hw.name': g.name ?? '' });
  meter.createObservableCounter('hw.energy', { unit: 'J', description: 'Energy consumed by the GPU since its driver loaded' }).addCallback((result) => {
    for (const g of gpus()) {
      const energyJ = g.energyJ();
      if (energyJ !== null) result.observe(energyJ, gpuAttributes(g));
    }
  });
  meter.createObservableGauge('hw.power', { unit: 'W', description: "The GPU's latest sampled power" }).addCallback((result) => {
    for (const g of gpus()) {
      const powerW = g.powerW();
      if (Number.isFinite(powerW)) result.observe(powerW, gpuAttributes(g));
    }
  });
  const perScope = meter.createHistogram('wattscope.scope.energy', { unit: 'J', description: 'GPU energy per settled scope (phase, query, or scope name)' });
  const tracer = api.trace.getTracer('wattscope', VERSION);
  const spans = new Map<number, Span>();
  return {
    scopeEnded(rec) {
      const span = api.trace.getActiveSpan();
      if (span !== undefined) spans.set(rec.id, span);
    },
    record(m) {
      if (m.status === 'measured') perScope.record(m.energyJ, { 'wattscope.scope': scopeLabel(m) });
      const span = spans.get(m.id);
      if (span === undefined) return;
      spans.delete(m.id);
      const attributes: Attributes =
        m.status === 'measured'
          ? { 'wattscope.energy_j': m.energyJ, 'wattscope.energy_uncertainty_j': m.uncertaintyJ, 'wattscope.method': m.method, 'wattscope.scope': m.name }
          : { 'wattscope.unavailable': m.reason, 'wattscope.scope': m.name };
      if (span.isRecording()) span.setAttributes(attributes);
      else tracer.startSpan('wattscope.energy', { attributes, links: [{ context: span.spanContext() }] }).end();
    },
  };
}
