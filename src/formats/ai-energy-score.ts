/**
 * AI Energy Score outputs: optimum-benchmark's benchmark_report.json shape, and
 * the AI Energy Score summarizer's arithmetic that turns it into
 * GPU_ENERGY_WH.txt and GPU_ENERGY_SUMMARY.json.
 */
import { z } from 'zod';
import { WattscopeError } from '../util/errors.js';
import { meanIfAll } from '../util/mean.js';

const KWH_PER_J = 1 / 3.6e6;

/**
 * One energy object of optimum-benchmark (kWh). cpu and ram are RAPL's CPU packages and DRAM where
 * they were read (else null); total is their sum with the GPU when both are known, else the GPU alone.
 */
export interface ObEnergy {
  unit: 'kWh';
  cpu: number | null;
  ram: number | null;
  gpu: number;
  total: number;
}

export interface ObPhase {
  memory: null;
  latency: null;
  throughput: null;
  energy: ObEnergy | null;
  efficiency: { unit: string; value: number } | null;
  measures: ObEnergy[] | null;
}

export type BenchmarkReport = Record<'preprocess' | 'prefill' | 'decode' | 'per_token', ObPhase>;

/** A phase's energy per 1,000 queries, J: the GPU's, and RAPL's CPU packages and DRAM (null where not read). */
export interface PhaseEnergyInput {
  energyJ: number;
  cpuJ?: number | null;
  ramJ?: number | null;
  tokens: number | null;
  samples: number | null;
}

function energyOf(gpuJ: number, cpuJ: number | null = null, ramJ: number | null = null): ObEnergy {
  const cpu = cpuJ === null ? null : cpuJ * KWH_PER_J;
  const ram = ramJ === null ? null : ramJ * KWH_PER_J;
  const gpu = gpuJ * KWH_PER_J;
  return { unit: 'kWh', cpu, ram, gpu, total: cpu !== null && ram !== null ? gpu + cpu + ram : gpu };
}

const emptyPhase = (): ObPhase => ({ memory: null, latency: null, throughput: null, energy: null, efficiency: null, measures: null });

/**
 * Builds benchmark_report.json from per-run phase energies, J per 1,000 queries.
 * `energy` is the mean over the included runs; `measures` lists every included run.
 */
export function toBenchmarkReport(runs: Array<Record<string, PhaseEnergyInput>>): BenchmarkReport {
  const report: BenchmarkReport = { preprocess: emptyPhase(), prefill: emptyPhase(), decode: emptyPhase(), per_token: emptyPhase() };
  for (const phase of ['preprocess', 'prefill', 'decode'] as const) {
    const per = runs.map((r) => r[phase]).filter((p): p is NonNullable<typeof p> => p !== undefined);
    if (per.length === 0) continue;
    const meanJ = per.reduce((s, p) => s + p.energyJ, 0) / per.length;
    const energy = energyOf(meanJ, meanIfAll(per.map((p) => p.cpuJ)), meanIfAll(per.map((p) => p.ramJ)));
    // Counts are known only where every run counted them; otherwise the efficiency is null.
    const meanCount = (key: 'tokens' | 'samples') => (per.every((p) => p[key] !== null) ? per.reduce((s, p) => s + p[key]!, 0) / per.length : null);
    const tokens = meanCount('tokens');
    const useTokens = phase !== 'preprocess' && tokens !== null && tokens > 0;
    const count = useTokens ? tokens : meanCount('samples');
    report[phase] = {
      ...emptyPhase(),
      energy,
      efficiency: count !== null && count > 0 && energy.total > 0 ? { unit: useTokens ? 'tokens/kWh' : 'samples/kWh', value: count / energy.total } : null,
      measures: per.map((p) => energyOf(p.energyJ, p.cpuJ ?? null, p.ramJ ?? null)),
    };
  }
  return report;
}

/** Python's round(x, 2): correctly rounded, ties (exactly representable halves) to even. */
export function pyRound2(x: number): number {
  const y = x * 100;
  const floor = Math.floor(y);
  if (y - floor === 0.5 && Number.isInteger(x * 8)) return (floor % 2 === 0 ? floor : floor + 1) / 100;
  return Number(x.toFixed(2));
}

/** GPU_ENERGY_SUMMARY.json. A phase the report does not measure is null, never 0. */
export interface EnergySummary {
  units: 'Wh';
  total: number;
  preprocess_wh: number | null;
  prefill_wh: number | null;
  decode_wh: number | null;
}

const PhaseInput = z.object({ energy: z.object({ gpu: z.number() }).nullable() }).passthrough();
const ReportInput = z
  .object({ preprocess: PhaseInput.nullable().optional(), prefill: PhaseInput.nullable().optional(), decode: PhaseInput.nullable().optional() })
  .passthrough();

/**
 * The AI Energy Score summarizer's arithmetic: GPU kWh per phase x 1,000 = Wh per
 * 1,000 queries, each rounded to two decimals; the total is the rounded sum of the
 * unrounded phases.
 */
export function summarizeBenchmarkReport(report: unknown, source = 'benchmark_report.json'): { gpuEnergyWhText: string; summary: EnergySummary } {
  const parsed = ReportInput.safeParse(report);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WattscopeError('WATTSCOPE_BAD_REPORT', `${source}: not an optimum-benchmark report at "${issue.path.join('.')}": ${issue.message}`, {
      file: source,
      field: issue.path.join('.'),
    });
  }
  const wh = (p: z.infer<typeof PhaseInput> | null | undefined) => (p?.energy ? p.energy.gpu * 1000 : null);
  const phases = [wh(parsed.data.preprocess), wh(parsed.data.prefill), wh(parsed.data.decode)] as const;
  const measured = phases.filter((x): x is number => x !== null);
  if (measured.length === 0) {
    throw new WattscopeError('WATTSCOPE_BAD_REPORT', `${source}: no phase has a GPU energy`, { file: source, field: 'energy.gpu' });
  }
  const total = pyRound2(measured.reduce((s, x) => s + x, 0));
  const rounded = (x: number | null) => (x === null ? null : pyRound2(x));
  return {
    gpuEnergyWhText: `${total.toFixed(2)}\n`,
    summary: { units: 'Wh', total, preprocess_wh: rounded(phases[0]), prefill_wh: rounded(phases[1]), decode_wh: rounded(phases[2]) },
  };
}
