/** Printing a finished benchmark for people (and --json for programs). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeSensor, driverShaped } from '../sampling/sensor-detect.js';
import type { WattscopeReport } from '../formats/report-types.js';
import { fmt } from './common.js';
import { passesSummary } from '../runner/passes-summary.js';
import { isolatedSummary } from '../runner/isolated-summary.js';

/** What each profile of the simulated GPU is modelled from. */
const PROFILE_SOURCES: Record<string, string> = {
  h100: 'the H100 as published: a 25 ms power window every 100 ms, SC24',
  h200: "the H200 as measured: a real GPU's recorded response, samples and read times",
  ideal: 'an ideal sensor: the exact instantaneous power',
};

export function printBenchmark(report: WattscopeReport, outDir: string | undefined, json: boolean): void {
  if (json) {
    process.stdout.write(
      JSON.stringify({
        outDir: outDir ?? null,
        status: report.status,
        aiEnergyScore: report.aiEnergyScore,
        aggregate: report.aggregate,
        idle: report.idle,
        comparability: report.comparability,
      }) + '\n',
    );
    return;
  }
  const a = report.aggregate;
  const lines: string[] = [];
  const names = report.device.gpus.map((g) => g.name).join(', ');
  const where = report.device.simulated ? `the simulated GPU (${names})` : names;
  lines.push(`${report.benchmark.workload} on ${where}: ${report.runs.length} runs x ${report.benchmark.dataset.rows} queries`);
  const engine = report.benchmark.engine;
  if (engine) {
    const m = engine.model;
    lines.push(
      `engine ${engine.name} ${engine.version} (llama.cpp ${engine.llamaCppRelease ?? 'unknown'}, ${engine.build}, ${engine.binary}, ${engine.gpuLayers} layers on the GPU); model ${m.file}, ${m.quantization ?? 'quantization unknown'}, ${m.sizeBytes} bytes, sha256 ${m.sha256.slice(0, 16)}…`,
    );
  }
  if (report.idle) lines.push(`idle power ${fmt(report.idle.powerW, 1)} W`);
  for (const g of report.device.gpus) lines.push(`GPU ${g.index} power sensor: ${describeSensor(g.sensor, driverShaped(g))}`);
  const truth = report.simulatedTruth;
  if (truth)
    lines.push(
      `simulated sensor profile ${truth.sensorProfile} (${PROFILE_SOURCES[truth.sensorProfile] ?? 'a profile of the simulated GPU'}), counter ${truth.counter}; "truth" is the simulator's exact energy${truth.sensorProfile === 'h200' ? ' drawn while each phase ran' : ''}`,
    );
  if (a) {
    const included = report.runs.filter((r) => r.included);
    lines.push(`  methods: ${[...new Set(included.map((r) => r.method))].join(', ')}; "+-" is the mean per-run measurement uncertainty (95%)`);
    for (const [phase, s] of Object.entries(a.phaseWhPer1000)) {
      const measuredWh = meanMeasurementUncertaintyWh(report, phase);
      const truthWh = truth?.phaseWhPer1000[phase];
      // A truth outside the stated interval is said so: the interval was wrong, not just wide.
      const missed = truthWh !== undefined && measuredWh !== null && Math.abs(s.mean - truthWh) > measuredWh ? ', OUTSIDE the stated interval' : '';
      const beside = truthWh === undefined ? '' : `  truth ${fmt(truthWh, 3)} (${fmt(((s.mean - truthWh) / truthWh) * 100, 2)}%${missed})`;
      const measuredPct = measuredWh === null || s.mean === 0 ? 'n/a' : `${fmt((measuredWh / s.mean) * 100, 2)}%`;
      lines.push(
        `  ${phase.padEnd(11)} ${fmt(s.mean, 3).padStart(9)} Wh/1000 queries +-${measuredPct}  95% CI over runs [${fmt(s.ci95[0], 3)}, ${fmt(s.ci95[1], 3)}]  CV ${s.cv === null ? 'n/a' : `${fmt(s.cv * 100, 2)}%`}${beside}`,
      );
    }
    lines.push(
      `  ${'total'.padEnd(11)} ${fmt(a.totalWhPer1000.mean, 3).padStart(9)} Wh/1000 queries  95% CI [${fmt(a.totalWhPer1000.ci95[0], 3)}, ${fmt(a.totalWhPer1000.ci95[1], 3)}]`,
    );
    lines.push(`  unattributed (between phases) ${fmt(a.unattributedWhPer1000.mean, 3)} Wh/1000 queries`);
    lines.push(...isolatedLines(included, truth?.isolatedWhPer1000));
    lines.push(...passesLines(included, report.aiEnergyScore?.method ?? 'in-situ', truth?.separatePassesWhPer1000));
    lines.push(...nodeLines(included));
    for (const ex of a.excludedRuns) lines.push(`  run ${ex.index} excluded: ${ex.reasons.join('; ')}`);
  }
  if (report.aiEnergyScore) lines.push(`GPU_ENERGY_WH: ${report.aiEnergyScore.gpuEnergyWh.toFixed(2)} Wh per 1,000 queries`);
  const comparability = report.comparability;
  if (comparability.leaderboardComparable) lines.push('comparable with the AI Energy Score leaderboard');
  else lines.push(`not comparable with the AI Energy Score leaderboard: ${comparability.reasons.join('; ')}`);
  if (outDir) {
    lines.push(`results in ${path.resolve(outDir)}`);
    const page = path.resolve(outDir, 'report.html');
    if (existsSync(page)) lines.push(`report page: ${page} (open it in a browser; it works offline)`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

/** Mean over the included runs of a phase's measurement uncertainty, Wh per 1,000 queries. */
function meanMeasurementUncertaintyWh(report: WattscopeReport, phase: string): number | null {
  const values = report.runs
    .filter((r) => r.included && r.phases[phase] && r.queries > 0)
    .map((r) => (r.phases[phase]!.uncertaintyJ * (1000 / r.queries)) / 3600);
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : null;
}

/**
 * Each phase alone and what interleaving cost, Wh per 1,000 queries (as measured: idle not
 * subtracted), mean over the included runs that have them (a calibration pass ran); none otherwise.
 */
function isolatedLines(included: WattscopeReport['runs'], truthWh: Record<string, number> | undefined): string[] {
  const summary = isolatedSummary(included);
  if (!summary) return [];
  const phases = Object.entries(summary.phases).map(
    ([phase, p]) => `${phase} ${fmt(p.aloneWh, 3)} +-${fmt(p.aloneWithinWh, 3)}${truthBeside(truthWh?.[phase])}`,
  );
  return [
    `  each phase alone (its power where it ran by itself, from the calibration pass, times its time), Wh/1000 queries: ${phases.join(', ')}`,
    `  interleaving overhead (the run less its gaps and the phases alone) ${fmt(summary.overheadWh, 3)} +-${fmt(summary.overheadWithinWh, 3)} Wh/1000 queries (${fmt(summary.overheadShare * 100, 1)}% of the run)`,
  ];
}

/** Each phase by the AI Energy Score's separate passes beside in situ, Wh per 1,000 queries, where the passes ran. */
function passesLines(included: WattscopeReport['runs'], method: string, truthWh: Record<string, number> | undefined): string[] {
  const summary = passesSummary(included);
  if (!summary) return [];
  const phases = Object.entries(summary.phases).map(
    ([phase, p]) => `${phase} ${fmt(p.passesWh, 3)} +-${fmt(p.passesWithinWh, 3)}${truthBeside(truthWh?.[phase])} (in situ ${fmt(p.inSituWh, 3)})`,
  );
  const held = method === 'separate-passes' ? 'these' : 'the in-situ figures';
  return [`  each phase by separate passes (its pass less the one before; the AI Energy Score files hold ${held}), Wh/1000 queries: ${phases.join(', ')}`];
}

/** " (truth X)" beside a figure on the simulated GPU; nothing elsewhere. */
const truthBeside = (truthWh: number | undefined): string => (truthWh === undefined ? '' : ` (truth ${fmt(truthWh, 3)})`);

/**
 * Each node's GPU energy, Wh per 1,000 queries, mean over the included runs, when the benchmark
 * spans nodes (the phases above hold every node's, the remote nodes' apportioned; their "+-" is this node's).
 */
function nodeLines(included: WattscopeReport['runs']): string[] {
  const runs = included.filter((r) => r.nodes && r.queries > 0);
  if (runs.length === 0) return [];
  const perNode = runs[0]!.nodes!.shares.map(({ node }) => {
    const values = runs.map((r) => r.nodes!.shares.find((s) => s.node === node)).map((s, i) => ((s?.energyJ ?? NaN) * (1000 / runs[i]!.queries)) / 3600);
    const meanWh = values.reduce((sum, v) => sum + v, 0) / values.length;
    return `${node} ${Number.isFinite(meanWh) ? fmt(meanWh, 3) : 'unknown'}`;
  });
  return [`  across nodes, GPU Wh/1000 queries: ${perNode.join(', ')} (the phases count every node's; their +- only this node's)`];
}
