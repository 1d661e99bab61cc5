/**
 * A run's CPU packages' and DRAM energy: the run's total between its two boundaries, and each
 * phase's share by the same sweep as the GPUs' (overlapping phases share the overlap equally;
 * the gaps are unattributed). A boundary without a CPU point makes the figure null, with why.
 */
import { cpuEnergyBetween, type CpuEnergy } from '../cpu/cpu-energy.js';
import type { CpuSampling } from '../cpu/cpu-sampling.js';
import { attribute, type Boundary, type ScopeRecord } from './ledger.js';

/** The run's CPU energy and each phase's, or null when the monitor does not read the CPU. */
export interface RunCpuEnergy {
  total: CpuEnergy;
  phases: Record<string, CpuEnergy>;
  /** CPU energy in the gaps between phases. */
  unattributed: CpuEnergy;
}

type Kind = 'package' | 'dram';
const valueOf = (b: Boundary, kind: Kind) => (kind === 'package' ? b.cpu?.packageJ : b.cpu?.dramJ) ?? NaN;
const uncertaintyOf = (b: Boundary, kind: Kind) => (kind === 'package' ? b.cpu?.packageUncertaintyJ : b.cpu?.dramUncertaintyJ) ?? NaN;
const known = (x: number) => (Number.isFinite(x) ? x : null);

/** The CPU energy of `run` from `start` to `end` with its phase scopes `ended` (all boundaries settled). */
export function runCpuEnergy(start: Boundary, end: Boundary, ended: readonly ScopeRecord[], cpu: CpuSampling | null): RunCpuEnergy | null {
  if (cpu === null) return null;
  const notMeasured = cpu.packageProblem ?? cpu.dramProblem;
  if (!cpu.measuring) {
    const none = cpuEnergyBetween(null, null, notMeasured ?? 'no RAPL zone is read');
    return { total: none, phases: Object.fromEntries(ended.map((p) => [p.phase!, none])), unattributed: none };
  }
  const boundaries = [start, end, ...ended.flatMap((p) => [p.start, p.end!])];
  const reason = boundaries.find((b) => b.cpu?.reason)?.cpu?.reason ?? (boundaries.some((b) => b.cpu === null) ? 'a boundary has no RAPL read after it' : null);
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
  const energy = (packageJ: number, packageUJ: number, dramJ: number, dramUJ: number): CpuEnergy => ({
    packageEnergyJ: known(packageJ),
    packageUncertaintyJ: known(packageJ) === null ? null : known(packageUJ),
    dramEnergyJ: known(dramJ),
    dramUncertaintyJ: known(dramJ) === null ? null : known(dramUJ),
    method: 'rapl-counter',
    reason: Number.isFinite(packageJ) && Number.isFinite(dramJ) ? null : (reason ?? notMeasured),
  });
  const phases: Record<string, CpuEnergy> = {};
  for (const [name, p] of packages.phases) {
    const d = dram.phases.get(name)!;
    phases[name] = energy(p.energyJ, p.uncertaintyJ, d.energyJ, d.uncertaintyJ);
  }
  return {
    total: cpuEnergyBetween(start.cpu, end.cpu, reason ?? 'a boundary has no RAPL read after it'),
    phases,
    unattributed: energy(packages.unattributedJ, packages.gapsUncertaintyJ, dram.unattributedJ, dram.gapsUncertaintyJ),
  };
}
