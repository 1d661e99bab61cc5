/**
 * The OpenTelemetry types wattscope's public API names, written structurally so that its published
 * declarations need no optional peer: a program without @opentelemetry/api type-checks against them,
 * and the API's own MeterProvider and TracerProvider are assignable to them.
 */

/** A MeterProvider of @opentelemetry/api, as far as wattscope calls it. */
export interface OtelMeterProviderLike {
  getMeter(name: string, version?: string, options?: object): unknown;
}

/** A TracerProvider of @opentelemetry/api, as far as wattscope calls it. */
export interface OtelTracerProviderLike {
  getTracer(name: string, version?: string, options?: object): unknown;
}

/** Where the instruments and spans go (default: the global providers). */
export interface OtelProviders {
  meterProvider?: OtelMeterProviderLike;
  tracerProvider?: OtelTracerProviderLike;
}

/** What the bridge reads of each measured GPU, when the SDK collects. */
export interface OtelGpu {
  index: number;
  uuid: string | null;
  name: string | null;
  /** The GPU's energy since the monitor opened, J; null before the first counter read. */
  energyJ: () => number | null;
  /** The GPU's latest power, W. */
  powerW: () => number;
}
