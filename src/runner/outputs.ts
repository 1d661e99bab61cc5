/**
 * The output directory: AI Energy Score files, wattscope's full report, one file
 * per completed run, and a state file for resuming after a crash. Every file is
 * written atomically, after every run, so a kill leaves completed runs readable.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { summarizeBenchmarkReport, toBenchmarkReport } from '../formats/ai-energy-score.js';
import { SCORE_PHASES } from '../formats/result-reader.js';
import { summarizeAiEnergyBenchmarks, toAiEnergyBenchmarksReport } from '../formats/ai-energy-benchmarks.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { RunRecordSchema, type RunRecord, type WattscopeReport } from '../formats/report-schema.js';
import { WattscopeError } from '../util/errors.js';
import { readJsonFile } from '../formats/result-reader.js';
import { LOCK_FILE } from './output-lock.js';
import type { ScoreMethod } from '../formats/report-parts.js';

export const FILES = {
  wh: 'GPU_ENERGY_WH.txt',
  summary: 'GPU_ENERGY_SUMMARY.json',
  benchmark: 'benchmark_report.json',
  report: 'wattscope-report.json',
  state: 'wattscope-state.json',
  runsDir: 'runs',
} as const;

export interface RunnerState {
  configHash: string;
  status: 'running' | 'complete' | 'interrupted' | 'failed';
  pid: number;
  runsCompleted: number;
  updatedAt: string;
}

/** A temporary file of the atomic writer (`.<name>.<pid>.<random hex>.tmp`; older versions: a counter). */
const TEMPORARY_FILE = /^\..+\.\d+\.[0-9a-f]+\.tmp$/;
/** A run's file, named by its index. */
const RUN_FILE = /^run-(\d+)\.json$/;

/** What to do about an output file that cannot be read. */
const START_CLEAN = "move it away, or start clean (--fresh, resume: 'never')";

const STATUSES: ReadonlyArray<RunnerState['status']> = ['running', 'complete', 'interrupted', 'failed'];

/** The resume state, or null when there is none; a state file of another shape is an error naming it. */
export function readState(outDir: string): RunnerState | null {
  const file = path.join(outDir, FILES.state);
  if (!existsSync(file)) return null;
  const state = readJsonFile(file, START_CLEAN) as Partial<RunnerState> | null;
  if (typeof state?.configHash !== 'string' || !STATUSES.includes(state.status as RunnerState['status'])) {
    throw new WattscopeError('WATTSCOPE_BAD_REPORT', `${file} is not a wattscope resume state: ${START_CLEAN}`, {
      file,
    });
  }
  return state as RunnerState;
}

/** Completed runs saved in outDir/runs; a run file that does not parse is an error naming it (a completed run is never dropped silently). */
export function readCompletedRuns(outDir: string): RunRecord[] {
  const dir = path.join(outDir, FILES.runsDir);
  if (!existsSync(dir)) return [];
  const runs: RunRecord[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => RUN_FILE.test(n))
    .sort()) {
    const file = path.join(dir, f);
    const parsed = RunRecordSchema.safeParse(readJsonFile(file, START_CLEAN));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new WattscopeError(
        'WATTSCOPE_BAD_REPORT',
        `${file} is not a run record (at "${issue.path.join('.')}": ${issue.message}): move it away, or start clean`,
        {
          file,
          field: issue.path.join('.'),
        },
      );
    }
    const named = Number(RUN_FILE.exec(f)![1]);
    if (parsed.data.index !== named) {
      throw new WattscopeError(
        'WATTSCOPE_BAD_REPORT',
        `${file} holds run ${parsed.data.index}, not run ${named} as its name says (copied from another run?): move it away, or start clean`,
        { file, field: 'index' },
      );
    }
    runs.push(parsed.data);
  }
  return runs.sort((a, b) => a.index - b.index);
}

/** Removes temporary files that a kill during an atomic write left behind (the targets are intact). */
export function removeStaleTemporaries(outDir: string): void {
  for (const dir of [outDir, path.join(outDir, FILES.runsDir)]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (TEMPORARY_FILE.test(f)) rmSync(path.join(dir, f), { force: true });
  }
}

/** True when `outDir` holds a wattscope benchmark (its resume state or its report): wattscope wrote it. */
function holdsWattscopeBenchmark(outDir: string): boolean {
  return existsSync(path.join(outDir, FILES.state)) || existsSync(path.join(outDir, FILES.report));
}

/** Removes the named files of `dir` that exist, then `dir` itself if that left it empty. */
function removeFilesThenEmptyDir(dir: string, isOurs: (name: string) => boolean): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (isOurs(name)) rmSync(path.join(dir, name), { force: true });
  if (readdirSync(dir).length === 0) rmdirSync(dir);
}

/**
 * Clears wattscope's own files from `outDir` before a fresh benchmark, and nothing else: the run
 * files in runs/, the ai_energy_benchmarks files, the reports and the state (a folder is removed
 * only when that empties it). A directory that holds files but no wattscope benchmark is refused
 * (WATTSCOPE_OUT_NOT_OURS, naming it) unless `writeBeside` (--fresh): then wattscope writes beside them.
 */
export function clearOutputs(outDir: string, writeBeside: boolean): void {
  if (!existsSync(outDir)) return;
  if (!writeBeside && !holdsWattscopeBenchmark(outDir)) {
    const foreign = readdirSync(outDir).filter((name) => name !== LOCK_FILE && !TEMPORARY_FILE.test(name));
    if (foreign.length > 0) {
      const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, and ${foreign.length - 3} more` : '');
      throw new WattscopeError(
        'WATTSCOPE_OUT_NOT_OURS',
        `${outDir} holds files wattscope did not write (${shown}): choose a new or empty directory, or pass --fresh (resume: 'never') to write beside them`,
        { file: outDir, field: 'outDir' },
      );
    }
  }
  removeFilesThenEmptyDir(path.join(outDir, FILES.runsDir), (name) => RUN_FILE.test(name) || TEMPORARY_FILE.test(name));
  const formatFiles: string[] = [FILES.wh, FILES.summary, FILES.benchmark];
  removeFilesThenEmptyDir(path.join(outDir, AI_ENERGY_BENCHMARKS_DIR), (name) => formatFiles.includes(name));
  for (const f of [FILES.wh, FILES.summary, FILES.benchmark, FILES.report, FILES.state]) rmSync(path.join(outDir, f), { force: true });
}

export function writeRun(outDir: string, run: RunRecord): void {
  mkdirSync(path.join(outDir, FILES.runsDir), { recursive: true });
  writeJsonAtomic(path.join(outDir, FILES.runsDir, `run-${String(run.index).padStart(3, '0')}.json`), run);
}

/**
 * Per-1,000-query phase energies of the included runs, in the shape toBenchmarkReport wants: each
 * run's in-situ phases, or its separate passes (a run without them is left out, never scored in situ).
 */
function per1000(report: WattscopeReport, method: ScoreMethod) {
  const scale = report.benchmark.per1000Scale;
  return report.runs
    .filter((r) => r.included && (method === 'in-situ' || r.separatePasses))
    .map((r) =>
      Object.fromEntries(
        Object.entries(method === 'in-situ' ? r.phaseWhPer1000 : r.separatePasses!.phaseWhPer1000).map(([p, wh]) => {
          const counted = r.phases[p];
          // A phase whose scopes reported no tokens has no token count (null), not zero tokens.
          const tokens = counted && counted.tokens > 0 ? counted.tokens * scale : null;
          const samples = counted ? (counted.samples > 0 ? counted.samples : counted.count) * scale : null;
          // RAPL's figures as measured, scaled to 1,000 queries (never idle-subtracted); null where not read.
          const cpuJ = counted?.cpu?.packageEnergyJ != null ? counted.cpu.packageEnergyJ * scale : null;
          const ramJ = counted?.cpu?.dramEnergyJ != null ? counted.cpu.dramEnergyJ * scale : null;
          return [p, { energyJ: wh * 3600, cpuJ, ramJ, tokens, samples }];
        }),
      ),
    );
}

/**
 * Which AI Energy Score report formats to write: optimum-benchmark's (the February 2025
 * leaderboard's), ai_energy_benchmarks (its pipeline since October 2025), or both: then the optimum
 * files stay at the top of the directory and the ai_energy_benchmarks ones go to its own
 * subdirectory (each summarizer reads a directory's benchmark_report.json).
 */
export type ReportFormat = 'optimum' | 'ai-energy-benchmarks' | 'both';
export const AI_ENERGY_BENCHMARKS_DIR = 'ai_energy_benchmarks';

/** benchmark_report.json, GPU_ENERGY_SUMMARY.json and GPU_ENERGY_WH.txt of one format into `dir`. */
function writeFormatFiles(dir: string, benchmark: unknown, summary: unknown, gpuEnergyWhText: string): void {
  writeJsonAtomic(path.join(dir, FILES.benchmark), benchmark);
  writeJsonAtomic(path.join(dir, FILES.summary), summary);
  writeFileAtomic(path.join(dir, FILES.wh), gpuEnergyWhText);
}

/**
 * Writes (atomically) the full report, and the AI Energy Score files of `format` once there is a
 * run; the files' phases are `method`'s, and GPU_ENERGY_SUMMARY.json and the report say which.
 */
export function writeReports(
  outDir: string,
  report: WattscopeReport,
  state: RunnerState,
  format: ReportFormat = 'both',
  method: ScoreMethod = 'in-situ',
): void {
  // optimum-benchmark's report holds the AI Energy Score's phases: a benchmark of none of them (image generation's) has none.
  const scored = report.benchmark.phases.some((p) => (SCORE_PHASES as readonly string[]).includes(p));
  const scoredRuns = per1000(report, method);
  if (scoredRuns.length > 0) {
    if (scored) {
      const benchmark = toBenchmarkReport(scoredRuns);
      const optimum = summarizeBenchmarkReport(benchmark);
      report.aiEnergyScore = { gpuEnergyWh: optimum.summary.total, method, summary: optimum.summary };
      if (format !== 'ai-energy-benchmarks') writeFormatFiles(outDir, benchmark, { ...optimum.summary, method }, optimum.gpuEnergyWhText);
    }
    const pass = toAiEnergyBenchmarksReport(report);
    if (pass && format !== 'optimum') {
      const { summary, gpuEnergyWhText } = summarizeAiEnergyBenchmarks(pass);
      writeFormatFiles(format === 'both' ? path.join(outDir, AI_ENERGY_BENCHMARKS_DIR) : outDir, pass, summary, gpuEnergyWhText);
    }
  } else {
    // No run can be scored (a resumed benchmark's earlier score included): no score file stands.
    report.aiEnergyScore = null;
    for (const dir of [outDir, path.join(outDir, AI_ENERGY_BENCHMARKS_DIR)])
      for (const f of [FILES.wh, FILES.summary, FILES.benchmark]) rmSync(path.join(dir, f), { force: true });
  }
  writeJsonAtomic(path.join(outDir, FILES.report), report);
  writeJsonAtomic(path.join(outDir, FILES.state), state);
}
