/**
 * OpenTelemetry, through the optional peer dependency @opentelemetry/api: each GPU's energy
 * (observable counter `hw.energy`, J) and power (observable gauge `hw.power`, W) with `hw.type =
 * gpu`, `hw.id`, `hw.vendor` and `hw.model` after the hardware semantic conventions (an attribute
 * NVML cannot give is left out, never empty), a histogram of energy per scope
 * (`wattscope.scope.energy`, J), and the energy of a scope on the span active when it ended:
 * attributes `wattscope.energy_j`, `wattscope.energy_uncertainty_j`, `wattscope.method`, set once
 * settled; a span already ended by then gets a short `wattscope.energy` span linked to it instead
 * (an ended span takes no more attributes). With the API but no SDK, every call is the API's no-op.
 */
import type { Attributes, MeterProvider, Span, TracerProvider } from '@opentelemetry/api';
import { WattscopeError } from '../util/errors.js';
import { requirePeer } from '../util/peer.js';
import { VERSION } from '../util/version.js';
import type { ScopeRecord } from './ledger.js';
import { scopeLabel } from './scope-metrics.js';
import type { OtelGpu, OtelProviders } from './otel-types.js';
import type { Measurement } from './types.js';

export interface OtelBridge {
  /** Called as a scope ends (in its async context): remembers the active span. */
  scopeEnded(rec: ScopeRecord): void;
  /** Called with each settled measurement. */
  record(m: Measurement): void;
}

/** A provider passed in must be one: an error naming the field, not a TypeError at the first export. */
function checkProviders(providers: unknown): void {
  const fields = { meterProvider: 'getMeter', tracerProvider: 'getTracer' } as const;
  if (typeof providers !== 'object' || providers === null) {
    throw new WattscopeError('WATTSCOPE_INVALID_OPTIONS', 'registerOpenTelemetry options: expected an object', { field: 'providers' });
  }
  for (const [key, value] of Object.entries(providers)) {
    const method = fields[key as keyof typeof fields];
    if (method === undefined) {
      throw new WattscopeError('WATTSCOPE_INVALID_OPTIONS', `registerOpenTelemetry options: unknown option (expected meterProvider, tracerProvider)`, {
        field: key,
      });
    }
    if (typeof (value as Record<string, unknown> | null)?.[method] !== 'function') {
      throw new WattscopeError('WATTSCOPE_INVALID_OPTIONS', `registerOpenTelemetry options: ${key} has no ${method}()`, { field: key });
    }
  }
}

/** A GPU's attributes after the hardware semantic conventions; an unknown one is absent, never ''. */
export function gpuAttributes(g: OtelGpu): Attributes {
  return { 'hw.type': 'gpu', 'hw.id': g.uuid ?? String(g.index), 'hw.vendor': 'NVIDIA', ...(g.name ? { 'hw.model': g.name } : {}) };
}

/** Registers the instruments on the given (else the global) meter provider; returns the scope hooks. */
export function openTelemetryBridge(gpus: () => OtelGpu[], providers: OtelProviders = {}): OtelBridge {
  checkProviders(providers);
  const api = requirePeer<typeof import('@opentelemetry/api')>('@opentelemetry/api', 'monitor.registerOpenTelemetry');
  const meter = ((providers.meterProvider as MeterProvider | undefined) ?? api.metrics.getMeterProvider()).getMeter('wattscope', VERSION);
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
  const tracer = ((providers.tracerProvider as TracerProvider | undefined) ?? api.trace.getTracerProvider()).getTracer('wattscope', VERSION);
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
