/**
 * A run's CPU packages' and DRAM energy: the run's total between its two boundaries, and each
 * phase's share by the same sweep as the GPUs' (overlapping phases share the overlap equally;
 * the gaps are unattributed). A boundary without a CPU point makes the figure null, with why.
 */
import { cpuEnergyBetween, cpuEnergyOf, type CpuEnergy } from '../cpu/cpu-energy.js';
import type { CpuPoint, CpuSampling } from '../cpu/cpu-sampling.js';
import { attribute, type Boundary, type ScopeRecord } from './ledger.js';
import { cpuPointOf } from './measurement.js';

/** The run's CPU energy and each phase's, or null when the monitor does not read the CPU. */
export interface RunCpuEnergy {
  total: CpuEnergy;
  phases: Record<string, CpuEnergy>;
  /** CPU energy in the gaps between phases. */
  unattributed: CpuEnergy;
}

type Kind = 'package' | 'dram';

/** The CPU energy of `run` from `start` to `end` with its phase scopes `ended` (all boundaries settled). */
export function runCpuEnergy(start: Boundary, end: Boundary, ended: readonly ScopeRecord[], cpu: CpuSampling | null): RunCpuEnergy | null {
  if (cpu === null) return null;
  // Settled boundaries carry their RAPL point; an estimate alone needs no read (each computed once).
  const points = new Map<Boundary, CpuPoint | null>();
  const pointOf = (b: Boundary) => {
    if (!points.has(b)) points.set(b, cpuPointOf(b, cpu));
    return points.get(b)!;
  };
  const valueOf = (b: Boundary, kind: Kind) => (kind === 'package' ? pointOf(b)?.packageJ : pointOf(b)?.dramJ) ?? NaN;
  const uncertaintyOf = (b: Boundary, kind: Kind) => (kind === 'package' ? pointOf(b)?.packageUncertaintyJ : pointOf(b)?.dramUncertaintyJ) ?? NaN;
  const boundaries = [start, end, ...ended.flatMap((p) => [p.start, p.end!])];
  const reason =
    boundaries.map(pointOf).find((p) => p?.reason)?.reason ?? (boundaries.some((b) => pointOf(b) === null) ? 'a boundary has no RAPL read after it' : null);
  const byKind = (kind: Kind) => {
    const split = attribute(start, end, [...ended], (b) => valueOf(b, kind));
    const phases = new Map<string, { energyJ: number; uncertaintyJ: number }>();
    for (const rec of ended) {
      const total = phases.get(rec.phase!) ?? { energyJ: 0, uncertaintyJ: 0 };
      total.energyJ += split.perScopeJ.get(rec) ?? 0;
      total.uncertaintyJ += uncertaintyOf(rec.start, kind) + uncertaintyOf(rec.end!, kind);
      phases.set(rec.phase!, total);
    }
    const gapsUncertaintyJ = [...phases.values()].reduce((sum, p) => sum + p.uncertaintyJ, 0) + uncertaintyOf(start, kind) + uncertaintyOf(end, kind);
    return { phases, unattributedJ: split.unattributedJ, gapsUncertaintyJ };
  };
  const packages = byKind('package');
  const dram = byKind('dram');
  const how = {
    packageEstimated: pointOf(start)?.packageEstimated ?? false,
    dramEstimated: pointOf(start)?.dramEstimated ?? false,
    estimate: pointOf(start)?.estimate ?? null,
    reason,
  };
  const energy = (packageJ: number, packageUJ: number, dramJ: number, dramUJ: number): CpuEnergy => cpuEnergyOf(packageJ, packageUJ, dramJ, dramUJ, how);
  const phases: Record<string, CpuEnergy> = {};
  for (const [name, p] of packages.phases) {
    const d = dram.phases.get(name)!;
    phases[name] = energy(p.energyJ, p.uncertaintyJ, d.energyJ, d.uncertaintyJ);
  }
  return {
    total: cpuEnergyBetween(pointOf(start), pointOf(end), reason ?? 'a boundary has no RAPL read after it'),
    phases,
    unattributed: energy(packages.unattributedJ, packages.gapsUncertaintyJ, dram.unattributedJ, dram.gapsUncertaintyJ),
  };
}
