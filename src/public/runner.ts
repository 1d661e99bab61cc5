/**
 * wattscope/runner: the AI Energy Score benchmark runner, its datasets and its file formats (the
 * report, optimum-benchmark's benchmark_report.json, the summarizer's figures, results read back).
 * @packageDocumentation
 */
export { runBenchmark } from '../runner/runner.js';
export type { BenchmarkOptions, BenchmarkHandler, MeasuredWindow, RunStatsHook } from '../runner/runner.js';
export type { ProgressState } from '../runner/progress.js';
export { PassEnd } from '../runner/separate-passes.js';
export type { SeparatePassesRecord, ScoreMethod, SimulatedTruth, SimulatedRunTruth } from '../formats/report-parts.js';
export { loadDataset, TASK_INPUT_COLUMNS } from '../runner/dataset.js';
export type { Dataset, DatasetRow, DatasetSpec, DatasetFormat } from '../runner/dataset.js';
export { syntheticDataset, syntheticHandler, syntheticPhasePlan } from '../runner/synthetic.js';
export { diffusionBatch } from '../runner/diffusion.js';
export type { DiffusionBatch } from '../runner/diffusion.js';
export { reportJsonSchema } from '../formats/report-json-schema.js';
export type {
  WattscopeReport,
  RunRecord,
  RunStatistic,
  RunPhaseRecord,
  CpuRecord,
  ServingRecord,
  DiffusionRecord,
  RunNodesRecord,
  NodeShareRecord,
  EngineRecord,
  LatencyPercentiles,
  ReportGpu,
} from '../formats/report-types.js';
export { toBenchmarkReport, summarizeBenchmarkReport } from '../formats/ai-energy-score.js';
export type { BenchmarkReport, EnergySummary } from '../formats/ai-energy-score.js';
export { readResult } from '../formats/result-reader.js';
export type { BenchmarkResult } from '../formats/result-reader.js';
export type { TimelineFile } from '../formats/timeline-recorder.js';
