/**
 * wattscope: GPU energy of AI inference, measured natively through NVML.
 * @packageDocumentation
 */
export { WattscopeError, NvmlError } from './util/errors.js';
export type { WattscopeErrorCode, WattscopeErrorDetails, NvmlErrorDetails } from './util/errors.js';
export {
  NvmlSession,
  NvmlOptionsSchema,
  listDevices,
  resolveLibrary,
} from './nvml/session.js';
export type { NvmlOptions, DeviceInfo, DeviceStatus, DeviceSnapshot, LibraryInfo, LibrarySource } from './nvml/session.js';
export { simulatedNvmlPath } from './native/binding.js';
export { EnergyMonitor } from './measure/monitor.js';
export type { MonitorGpu, MonitorStats } from './measure/monitor.js';
export type { EnergyDecrease } from './measure/monotonicity.js';
export { MonitorOptionsSchema } from './measure/options.js';
export type { MonitorOptions } from './measure/options.js';
export { Scope } from './measure/scope.js';
export type { QueryContext, ScopeCounts } from './measure/scope.js';
export type { SelectedGpu } from './measure/gpu-selection.js';
export type { EnergyMethod } from './measure/estimate.js';
export type { TimelineSamples } from './measure/timeline.js';
export type {
  GpuEnergy, Measurement, MeasuredScope, UnavailableScope, ScopeOutcome, PhaseTotal, RunSummary, QueryRecord,
} from './measure/types.js';
export { toJsonSafe } from './measure/types.js';
export { timelineToCsv, timelineToJson } from './measure/export.js';
export { SimPowerControl } from './sim/power-control.js';
export { runBenchmark, BenchmarkOptionsSchema } from './runner/runner.js';
export type { BenchmarkOptions, BenchmarkHandler, MeasuredWindow, RunStatsHook } from './runner/runner.js';
export type { ProgressState } from './runner/progress.js';
export { loadDataset, TASK_INPUT_COLUMNS } from './runner/dataset.js';
export type { Dataset, DatasetRow, DatasetSpec, DatasetFormat } from './runner/dataset.js';
export { syntheticDataset, syntheticHandler, syntheticPhasePlan } from './runner/synthetic.js';
export { WattscopeReportSchema, RunRecordSchema, reportJsonSchema } from './formats/report-schema.js';
export type { WattscopeReport, RunRecord } from './formats/report-schema.js';
export { toBenchmarkReport, summarizeBenchmarkReport } from './formats/ai-energy-score.js';
export type { BenchmarkReport, EnergySummary } from './formats/ai-energy-score.js';
export { RunConfigSchema, loadRunConfig } from './runner/config.js';
export type { RunConfig } from './runner/config.js';
export { starRating, bandEdges } from './scoring/stars.js';
export type { Stars } from './scoring/stars.js';
export { modelClass, modelMemoryGb, BYTES_PER_PARAMETER } from './scoring/classes.js';
export type { ModelClass, Precision } from './scoring/classes.js';
export { parseLeaderboard, readLeaderboard, rate, placeResult } from './scoring/leaderboard.js';
export type { LeaderboardEntry, RatedEntry, Placement } from './scoring/leaderboard.js';
export { readResult } from './formats/result-reader.js';
export type { BenchmarkResult } from './formats/result-reader.js';
export { labelSvg, labelPng, LABEL_WIDTH_PX, LABEL_HEIGHT_PX } from './scoring/label.js';
export type { LabelData } from './scoring/label.js';
export { estimateImpact, ImpactOptionsSchema, REGION_FACTORS, DEFAULTS as IMPACT_DEFAULTS } from './scoring/impact.js';
export type { ImpactOptions, ImpactEstimate, ImpactFigures, Region } from './scoring/impact.js';
export { buildReportHtml } from './report/html.js';
export { writeReportPage } from './report/write.js';
export type { ReportPageOptions } from './report/write.js';
export { TimelineRecorder } from './formats/timeline-recorder.js';
export type { TimelineFile } from './formats/timeline-recorder.js';
export { OpenAIStreamClient, RequestError } from './server/client.js';
export type { EndpointSettings, StreamResult, ActiveStream, RequestErrorCode } from './server/client.js';
export { endpointHandler, servingRunStats, servingStats, percentiles } from './server/serving.js';
export type { ServedQuery, ServingStats, Percentiles } from './server/serving.js';
export { startFakeServer } from './server/fake-server.js';
export type { FakeServer, FakeServerOptions, ServerVariant } from './server/fake-server.js';
export { sseEvents } from './server/sse.js';
export { EndpointConfigSchema } from './runner/config.js';
