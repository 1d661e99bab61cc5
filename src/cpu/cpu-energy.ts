/**
 * CPU package and DRAM energy of an interval, from the CPU points of its two boundaries. The
 * half-widths add (each boundary's is a bound on where the counter was, not a random error).
 */
import type { CpuPoint } from './cpu-sampling.js';

/** How CPU energy was obtained: RAPL's counters (Linux powercap). */
export type CpuEnergyMethod = 'rapl-counter';

/** The CPU packages' and DRAM energy of a scope or run, J, or null with the reason. */
export interface CpuEnergy {
  /** All CPU packages, J (null: see reason). */
  packageEnergyJ: number | null;
  /** ~95% half-width of packageEnergyJ, J (the reads' timing; RAPL's own accuracy is not included). */
  packageUncertaintyJ: number | null;
  /** All DRAM zones, J (null: see reason). */
  dramEnergyJ: number | null;
  dramUncertaintyJ: number | null;
  method: CpuEnergyMethod;
  /** Why a figure is null (no RAPL, a zone only root may read, a read that failed), or null. */
  reason: string | null;
}

/** Energy between two CPU points; `missing` is the reason when a point is absent. */
export function cpuEnergyBetween(start: CpuPoint | null, end: CpuPoint | null, missing: string): CpuEnergy {
  if (start === null || end === null) {
    return { packageEnergyJ: null, packageUncertaintyJ: null, dramEnergyJ: null, dramUncertaintyJ: null, method: 'rapl-counter', reason: missing };
  }
  const packageKnown = start.packageJ !== null && end.packageJ !== null;
  const dramKnown = start.dramJ !== null && end.dramJ !== null;
  return {
    packageEnergyJ: packageKnown ? end.packageJ! - start.packageJ! : null,
    packageUncertaintyJ: packageKnown ? start.packageUncertaintyJ + end.packageUncertaintyJ : null,
    dramEnergyJ: dramKnown ? end.dramJ! - start.dramJ! : null,
    dramUncertaintyJ: dramKnown ? start.dramUncertaintyJ + end.dramUncertaintyJ : null,
    method: 'rapl-counter',
    reason: packageKnown && dramKnown ? null : (start.reason ?? end.reason ?? missing),
  };
}

/** Sums CPU energies (of phases, of runs): a null figure in any part makes the sum null, with that part's reason. */
export function sumCpuEnergy(parts: readonly CpuEnergy[]): CpuEnergy | null {
  if (parts.length === 0) return null;
  const add = (a: number | null, b: number | null) => (a === null || b === null ? null : a + b);
  return parts.reduce((sum, part) => ({
    packageEnergyJ: add(sum.packageEnergyJ, part.packageEnergyJ),
    packageUncertaintyJ: add(sum.packageUncertaintyJ, part.packageUncertaintyJ),
    dramEnergyJ: add(sum.dramEnergyJ, part.dramEnergyJ),
    dramUncertaintyJ: add(sum.dramUncertaintyJ, part.dramUncertaintyJ),
    method: 'rapl-counter',
    reason: sum.reason ?? part.reason,
  }));
}
