/**
 * wattscope: GPU energy of AI inference, measured natively through NVML. This entry holds the
 * measuring API (monitor, scopes, errors, types); the benchmark runner, scoring, the report page,
 * the server integration and the test doubles are `wattscope/runner`, `wattscope/scoring`,
 * `wattscope/report`, `wattscope/server` and `wattscope/testing`.
 * @packageDocumentation
 */
export { WattscopeError, NvmlError } from './util/errors.js';
export type { ClocksEventReason } from './measure/clocks-events.js';
export type { WattscopeErrorCode, WattscopeErrorDetails, NvmlErrorDetails } from './util/errors.js';
export { NvmlSession, listDevices } from './nvml/session.js';
export type { NvmlOptions, DeviceInfo, DeviceStatus, DeviceSnapshot, LibraryInfo, LibrarySource } from './nvml/session.js';
export { EnergyMonitor } from './measure/monitor.js';
export type { MonitorGpu, MonitorStats } from './measure/monitor.js';
export type { EnergyDecrease } from './measure/monotonicity.js';
export type { MonitorOptions } from './measure/options.js';
export { Scope } from './measure/scope.js';
export type { QueryContext, ScopeCounts } from './measure/scope.js';
export type { SelectedGpu } from './measure/gpu-selection.js';
export type { EnergyMethod, MeasurementFlag, RunFlag } from './measure/estimate.js';
export type { SensorInfo, SensorKind } from './measure/sensor-detect.js';
export type { TimelineSamples } from './measure/types.js';
export type { DriverPowerSamples } from './measure/driver-power.js';
export type { GpuEnergy, Measurement, MeasuredScope, UnavailableScope, ScopeOutcome, PhaseTotal, RunSummary, QueryRecord } from './measure/types.js';
export type { PromClientRegistry } from './measure/scope-metrics.js';
export type { OtelProviders, OtelMeterProviderLike, OtelTracerProviderLike } from './measure/otel-types.js';
export { timelineToCsv, timelineToJson } from './measure/export.js';
export { listRaplZones } from './cpu/rapl-zones.js';
export type { RaplZone } from './cpu/rapl-zones.js';
export type { CpuEnergy, CpuEnergyMethod } from './cpu/cpu-energy.js';
