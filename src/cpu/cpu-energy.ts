/**
 * CPU package and DRAM energy of an interval, from the CPU points of its two boundaries. The
 * half-widths add (each boundary's is a bound on where the counter was, not a random error).
 */
import type { CpuEstimateInputs } from './cpu-estimate.js';
import type { CpuPoint } from './cpu-sampling.js';

/**
 * How CPU energy was obtained: RAPL's counters (Linux powercap), CodeCarbon's estimate where
 * RAPL does not measure (`cpuEstimate`), or both (e.g. packages read, DRAM estimated).
 */
export type CpuEnergyMethod = 'rapl-counter' | 'estimate' | 'rapl-counter+estimate';

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
  /** `estimate` when a figure is estimated, not measured (its uncertainty is then the figure itself: 100%). */
  flags: Array<'estimate'>;
  /** The estimate's inputs where a figure is estimated, else null. */
  estimate: CpuEstimateInputs | null;
}

/** The method and flags of figures some of which are estimated. */
function methodOf(estimated: boolean[], measured: boolean[]): Pick<CpuEnergy, 'method' | 'flags'> {
  const anyEstimated = estimated.some(Boolean);
  const anyMeasured = measured.some(Boolean);
  return {
    method: anyEstimated ? (anyMeasured ? 'rapl-counter+estimate' : 'estimate') : 'rapl-counter',
    flags: anyEstimated ? ['estimate'] : [],
  };
}

/** A CPU energy from its figures: an estimated figure's half-width is the figure itself. */
export function cpuEnergyOf(
  packageJ: number | null,
  packageUncertaintyJ: number | null,
  dramJ: number | null,
  dramUncertaintyJ: number | null,
  how: { packageEstimated: boolean; dramEstimated: boolean; estimate: CpuEstimateInputs | null; reason: string | null },
): CpuEnergy {
  const known = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);
  const pkg = known(packageJ);
  const dram = known(dramJ);
  return {
    packageEnergyJ: pkg,
    packageUncertaintyJ: pkg === null ? null : how.packageEstimated ? Math.abs(pkg) : known(packageUncertaintyJ),
    dramEnergyJ: dram,
    dramUncertaintyJ: dram === null ? null : how.dramEstimated ? Math.abs(dram) : known(dramUncertaintyJ),
    ...methodOf([how.packageEstimated, how.dramEstimated], [!how.packageEstimated && pkg !== null, !how.dramEstimated && dram !== null]),
    reason: pkg !== null && dram !== null ? null : how.reason,
    estimate: how.packageEstimated || how.dramEstimated ? how.estimate : null,
  };
}

/** Energy between two CPU points; `missing` is the reason when a point is absent. */
export function cpuEnergyBetween(start: CpuPoint | null, end: CpuPoint | null, missing: string): CpuEnergy {
  if (start === null || end === null) {
    return cpuEnergyOf(null, null, null, null, { packageEstimated: false, dramEstimated: false, estimate: null, reason: missing });
  }
  const difference = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  return cpuEnergyOf(
    difference(start.packageJ, end.packageJ),
    start.packageUncertaintyJ + end.packageUncertaintyJ,
    difference(start.dramJ, end.dramJ),
    start.dramUncertaintyJ + end.dramUncertaintyJ,
    { packageEstimated: start.packageEstimated, dramEstimated: start.dramEstimated, estimate: start.estimate, reason: start.reason ?? end.reason ?? missing },
  );
}
