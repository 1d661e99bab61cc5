/**
 * wattscope: GPU energy of AI inference, measured natively through NVML. This entry holds the
 * measuring API (monitor, scopes, errors, types); the benchmark runner, scoring, the report page,
 * the server integration and the test doubles are `wattscope/runner`, `wattscope/scoring`,
 * `wattscope/report`, `wattscope/server` and `wattscope/testing`.
 * @packageDocumentation
 */
export { WattscopeError, NvmlError } from './util/errors.js';
export type { ClocksEventReason } from './sampling/clocks-events.js';
export type { WattscopeErrorCode, WattscopeErrorDetails, NvmlErrorDetails } from './util/errors.js';
export { NvmlSession, listDevices } from './nvml/session.js';
export type { NvmlOptions, DeviceInfo, DeviceStatus, DeviceSnapshot, LibraryInfo, LibrarySource } from './nvml/session.js';
export { EnergyMonitor } from './monitor/monitor.js';
export type { MonitorGpu, MonitorStats } from './monitor/monitor.js';
export type { EnergyDecrease } from './sampling/monotonicity.js';
export type { MonitorOptions } from './monitor/options.js';
export type { MonitorDependencies } from './monitor/monitor-sampling.js';
export { Scope } from './monitor/scope.js';
export type { QueryContext, ScopeCounts } from './monitor/scope.js';
export type { SelectedGpu } from './sampling/gpu-selection.js';
export type { EnergyMethod, MeasurementFlag, RunFlag } from './estimators/estimate.js';
export type { SensorInfo, SensorKind } from './sampling/sensor-detect.js';
export type { TimelineSamples } from './monitor/types.js';
export type { DriverPowerSamples } from './sampling/driver-power.js';
export type { GpuEnergy, Measurement, MeasuredScope, UnavailableScope, ScopeOutcome, PhaseTotal, RunSummary, QueryRecord } from './monitor/types.js';
export type { PromClientRegistry } from './monitor/scope-metrics.js';
export type { OtelProviders, OtelMeterProviderLike, OtelTracerProviderLike } from './monitor/otel-types.js';
export { timelineToCsv, timelineToJson } from './monitor/export.js';
export { listRaplZones } from './cpu/rapl-zones.js';
export type { RaplZone } from './cpu/rapl-zones.js';
export type { CpuEnergy, CpuEnergyMethod } from './cpu/cpu-energy.js';
