/** Builds a Measurement from a scope record and the GPUs' timelines. */
import { cpuEnergyBetween, type CpuEnergy } from '../cpu/cpu-energy.js';
import type { CpuSampling } from '../cpu/cpu-sampling.js';
import type { Boundary, ScopeRecord } from './ledger.js';
import type { EnergyMethod } from '../estimators/estimate.js';
import type { PowerTimeline } from '../timeline/timeline.js';
import type { GpuEnergy, Measurement } from './types.js';

const methodRank: Record<EnergyMethod, number> = { 'energy-counter': 0, 'counter-interpolated': 1, 'counter-regression': 2, 'power-integration': 3 };

/** The least direct of the methods used. */
export function worstMethod(items: ReadonlyArray<object>): EnergyMethod {
  let worst: EnergyMethod = 'energy-counter';
  for (const it of items) {
    const m = (it as { method?: EnergyMethod | null }).method;
    if (m && methodRank[m] > methodRank[worst]) worst = m;
  }
  return worst;
}

/** A boundary's CPU point: fixed when it settled, else as known now (provisional); estimates need no read. */
export function cpuPointOf(b: Boundary, cpu: CpuSampling) {
  if (b.cpu !== null) return b.cpu;
  return !cpu.measuring || cpu.readyAt(b.t) ? cpu.pointAt(b.t) : null;
}

/** The scope's CPU energy, or null when the monitor does not read the CPU. */
export function scopeCpuEnergy(rec: ScopeRecord, cpu: CpuSampling | null): CpuEnergy | null {
  if (cpu === null) return null;
  return cpuEnergyBetween(cpuPointOf(rec.start, cpu), cpuPointOf(rec.end!, cpu), "no RAPL read after the scope's end yet");
}

/** What every measurement says of its scope, measured or not. */
function measurementBase(rec: ScopeRecord, cpu: CpuSampling | null) {
  const end = rec.end!;
  return {
    id: rec.id,
    name: rec.name,
    parentId: rec.parentId,
    queryId: rec.queryId,
    phase: rec.phase,
    startNs: rec.start.tNs,
    endNs: end.tNs,
    durationS: Number(end.tNs - rec.start.tNs) / 1e9,
    outcome: rec.outcome ?? 'ended',
    error: rec.error,
    tokens: rec.tokens,
    samples: rec.samples,
    cpu: scopeCpuEnergy(rec, cpu),
  };
}

/** A scope measured by a monitor that has no GPU (opened with `ifUnavailable: 'noop'`): unavailable, reason `no-gpu`. */
export function noGpuMeasurement(rec: ScopeRecord): Measurement {
  // One literal, not a spread of measurementBase: this is the whole cost of a scope without a GPU.
  const end = rec.end!;
  return {
    id: rec.id,
    name: rec.name,
    parentId: rec.parentId,
    queryId: rec.queryId,
    phase: rec.phase,
    startNs: rec.start.tNs,
    endNs: end.tNs,
    durationS: Number(end.tNs - rec.start.tNs) / 1e9,
    outcome: rec.outcome ?? 'ended',
    error: rec.error,
    tokens: rec.tokens,
    samples: rec.samples,
    cpu: null,
    status: 'unavailable',
    energyJ: null,
    uncertaintyJ: null,
    flags: ['no-gpu'],
    reason: 'no-gpu',
  };
}

export function buildMeasurement(rec: ScopeRecord, timelines: PowerTimeline[], cpu: CpuSampling | null = null): Measurement {
  const end = rec.end!;
  const base = measurementBase(rec, cpu);
  const lost = timelines.findIndex((tl, i) => rec.start.lost[i] === true || end.lost[i] === true || (tl.lostAt !== null && tl.lostAt <= end.t));
  if (lost >= 0) {
    return {
      ...base,
      status: 'unavailable',
      energyJ: null,
      uncertaintyJ: null,
      flags: ['gpu-lost'],
      reason: `GPU ${timelines[lost]!.gpu} was lost (NVML_ERROR_GPU_IS_LOST) before this scope's energy could be read`,
    };
  }
  const gpus: GpuEnergy[] = timelines
    .map((tl, i) => {
      const pa = rec.start.points[i] ?? tl.point(rec.start.t);
      const pb = end.points[i] ?? tl.point(end.t);
      const iv = tl.interval(rec.start.t, end.t, pa, pb);
      return { gpu: tl.gpu, energyJ: iv.energyJ, uncertaintyJ: iv.uncertaintyJ, method: iv.method, flags: iv.flags, settled: iv.settled };
    })
    .map(({ settled, ...g }) => {
      if (!settled) g.flags = [...new Set([...g.flags, 'extrapolated' as const])];
      return g;
    });
  const energyJ = gpus.reduce((s, g) => s + g.energyJ, 0);
  const uncertaintyJ = Math.sqrt(gpus.reduce((s, g) => s + g.uncertaintyJ * g.uncertaintyJ, 0));
  const settled = rec.start.settled && end.settled && !rec.start.forced && !end.forced;
  const flags = [...new Set(gpus.flatMap((g) => g.flags))].sort();
  if (rec.start.forced || end.forced) flags.push('unsettled');
  return {
    ...base,
    status: 'measured',
    energyJ,
    energyWh: energyJ / 3600,
    uncertaintyJ,
    avgPowerW: base.durationS > 0 ? energyJ / base.durationS : 0,
    method: worstMethod(gpus),
    settled,
    energyPerTokenJ: rec.tokens ? energyJ / rec.tokens : null,
    gpus,
    flags,
  };
}
