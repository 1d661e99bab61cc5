/**
 * monitor.registerOpenTelemetry() against the OpenTelemetry SDK with in-memory exporters: hw.energy
 * and hw.power per GPU (hw.type = gpu, hw.id = its UUID), the histogram of energy per scope, and a
 * scope's energy on the span active when it ended (attributes while the span records; a linked
 * wattscope.energy span once it has ended).
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { EnergyMonitor } from '../src/index.js';
import { configureSim } from './helpers/sim.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('monitor.registerOpenTelemetry', () => {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
  context.setGlobalContextManager(contextManager);
  afterAll(async () => {
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    metrics.disable();
    trace.disable();
    context.disable();
  });

  it('exports hw.energy, hw.power and energy per scope, and puts each scope on its span', async () => {
    configureSim({ trace: '0:250' });
    const monitor = await EnergyMonitor.open({ simulate: true });
    monitor.registerOpenTelemetry();
    const tracer = trace.getTracer('test');
    const settledEnergy: Record<string, number> = {};
    try {
      await sleep(50);
      // A span still open when the scope settles: attributes. A span ended before: a linked span.
      await tracer.startActiveSpan('request', async (span) => {
        const { measurement } = await monitor.measure('generate', () => sleep(20));
        settledEnergy.generate = measurement.energyJ!;
        span.end();
      });
      await tracer.startActiveSpan('short request', async (span) => {
        const unsettled = await monitor.measure('tokenize', () => sleep(5), { settle: false });
        span.end();
        await monitor.settle();
        // Read once settled (the getter computes the measurement when first read).
        settledEnergy.tokenize = unsettled.measurement.energyJ!;
      });
      await monitor.settle();
      await reader.forceFlush();
    } finally {
      await monitor.close();
    }
    const points = metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const energy = points.find((m) => m.descriptor.name === 'hw.energy')!;
    expect(energy.descriptor.unit).toBe('J');
    // The hardware semantic conventions: the product name in hw.model, with hw.vendor; nothing empty.
    expect(energy.dataPoints[0]!.attributes).toEqual({
      'hw.type': 'gpu',
      'hw.id': monitor.gpus[0]!.uuid,
      'hw.vendor': 'NVIDIA',
      'hw.model': monitor.gpus[0]!.name,
    });
    expect(energy.dataPoints[0]!.value).toBeGreaterThan(0);
    const power = points.find((m) => m.descriptor.name === 'hw.power')!;
    expect(power.dataPoints[0]!.value).toBe(250);
    const perScope = points.find((m) => m.descriptor.name === 'wattscope.scope.energy')!;
    const generate = perScope.dataPoints.find((p) => p.attributes['wattscope.scope'] === 'generate')!;
    expect((generate.value as { sum: number; count: number }).count).toBe(1);
    expect((generate.value as { sum: number }).sum).toBeCloseTo(settledEnergy.generate!, 9);

    const spans = spanExporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'request')!;
    expect(request.attributes['wattscope.energy_j']).toBeCloseTo(settledEnergy.generate!, 9);
    expect(request.attributes['wattscope.method']).toBeTypeOf('string');
    expect(request.attributes['wattscope.energy_uncertainty_j']).toBeGreaterThanOrEqual(0);
    const short = spans.find((s) => s.name === 'short request')!;
    expect(short.attributes['wattscope.energy_j']).toBeUndefined();
    const late = spans.find((s) => s.name === 'wattscope.energy')!;
    expect(late.links[0]!.context.spanId).toBe(short.spanContext().spanId);
    expect(late.attributes['wattscope.energy_j']).toBeCloseTo(settledEnergy.tokenize!, 9);
  });

  it('takes the meter and tracer providers passed in, instead of the global ones; a provider that is not one is an error naming it', async () => {
    configureSim({ trace: '0:180' });
    const ownExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const ownReader = new PeriodicExportingMetricReader({ exporter: ownExporter, exportIntervalMillis: 60_000 });
    const ownMeterProvider = new MeterProvider({ readers: [ownReader] });
    const ownSpans = new InMemorySpanExporter();
    const ownTracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(ownSpans)] });
    const monitor = await EnergyMonitor.open({ simulate: true });
    try {
      expect(() => monitor.registerOpenTelemetry({ meterProvider: {} as never })).toThrow(
        expect.objectContaining({ code: 'WATTSCOPE_INVALID_OPTIONS', field: 'meterProvider' }),
      );
      expect(() => monitor.registerOpenTelemetry({ tracer: ownTracerProvider } as never)).toThrow(expect.objectContaining({ field: 'tracer' }));
      monitor.registerOpenTelemetry({ meterProvider: ownMeterProvider, tracerProvider: ownTracerProvider });
      await sleep(50);
      await monitor.measure('own', () => sleep(10));
      await monitor.settle();
      await ownReader.forceFlush();
    } finally {
      await monitor.close();
      await ownMeterProvider.shutdown();
      await ownTracerProvider.shutdown();
    }
    const names = ownExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)));
    expect(names).toEqual(expect.arrayContaining(['hw.energy', 'hw.power', 'wattscope.scope.energy']));
  });
});
