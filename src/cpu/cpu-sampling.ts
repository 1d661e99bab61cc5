/**
 * A monitor's CPU energy: the RAPL package and DRAM zones the native sampler reads on its own
 * thread (same clock as the GPU samples), one RaplSeries per zone, and each boundary's CPU point.
 * With `cpu: 'auto'` a machine without readable RAPL gets figures of null with the reason; with
 * `cpu: true` it is an error. Sub-zones core and uncore are parts of their package (not added).
 */
import { constants } from 'node:os';
import { WattscopeError } from '../util/errors.js';
import type { NativeRaplBatch, NativeRaplRequest } from '../native/binding.js';
import { resolveCpuEstimate, type CpuEstimateInputs, type CpuEstimateOptions } from './cpu-estimate.js';
import { RaplSeries, SLOW_READ, type RaplGap, type RaplPoint } from './rapl-series.js';
import { DEFAULT_POWERCAP_ROOT, errnoName, listRaplZones, type RaplZone } from './rapl-zones.js';

/** CPU packages' and DRAM energy at one instant (J from the first read), or null with the reason. */
export interface CpuPoint {
  packageJ: number | null;
  packageUncertaintyJ: number;
  dramJ: number | null;
  dramUncertaintyJ: number;
  /** Why packageJ or dramJ is null, or null. */
  reason: string | null;
  /** The estimate's inputs where a figure is estimated (no RAPL for it, `cpuEstimate` given), else null. */
  estimate: CpuEstimateInputs | null;
  packageEstimated: boolean;
  dramEstimated: boolean;
}

/** CPU energy as a monitor reads it. */
export interface CpuStatus {
  /** The RAPL zones read (package and dram zones). */
  zones: string[];
  /** Why the packages' or DRAM energy is not measured, or null. */
  reason: string | null;
  /** Mean power over the window asked for (default: the last half second), W (NaN where not measured). */
  packageW: number;
  dramW: number;
  /** The estimate filling in where RAPL does not measure (`cpuEstimate`), or null. */
  estimate: CpuEstimateInputs | null;
  /** Each read zone's energy since its first read, J (zones without a good read yet left out). */
  zoneEnergyJ: Record<string, number>;
}

/** What the monitor's options say of CPU energy. */
export interface CpuRequest {
  cpu: boolean | 'auto';
  /** Rate of the RAPL reads, Hz (at most the sampler's). */
  cpuSampleHz: number;
  sampleHz: number;
  retentionS: number;
  /** The powercap tree (default WATTSCOPE_POWERCAP_ROOT, else /sys/class/powercap). */
  powercapRoot?: string;
  /** Estimate what RAPL does not measure, CodeCarbon's way (off when absent). */
  cpuEstimate?: CpuEstimateOptions;
}

const isPackageZone = (z: RaplZone): boolean => z.subzone === null && z.name.startsWith('package');
const isDramZone = (z: RaplZone): boolean => z.name === 'dram';

export class CpuSampling {
  readonly root: string;
  /** The package and DRAM zones found (readable or not). */
  readonly zones: RaplZone[];
  /** Why the packages' (or the DRAM's) energy is not measured, or null. */
  readonly packageProblem: string | null;
  readonly dramProblem: string | null;
  readonly series: RaplSeries[];
  /** The zones read, one per series. */
  readonly #measured: RaplZone[];
  readonly #kinds: Array<'package' | 'dram'>;
  readonly #originNs: bigint;
  readonly everyTicks: number;
  /** The estimate used where RAPL does not measure, or null. */
  readonly estimate: CpuEstimateInputs | null;

  /** Finds the zones (throwing WATTSCOPE_NO_RAPL with `cpu: true` when the packages cannot be read). */
  constructor(request: CpuRequest, originNs: bigint) {
    this.root = request.powercapRoot ?? process.env.WATTSCOPE_POWERCAP_ROOT ?? DEFAULT_POWERCAP_ROOT;
    this.#originNs = originNs;
    this.zones = listRaplZones(this.root).filter((z) => isPackageZone(z) || isDramZone(z));
    this.packageProblem = this.#problemOf(isPackageZone, 'package');
    this.dramProblem = this.#problemOf(isDramZone, 'dram');
    if (request.cpu === true && this.packageProblem !== null) {
      throw new WattscopeError('WATTSCOPE_NO_RAPL', `cpu: true, but the CPU's energy cannot be measured: ${this.packageProblem}`, { field: 'cpu' });
    }
    const measured = this.zones.filter((z) => (isPackageZone(z) ? this.packageProblem === null : this.dramProblem === null));
    this.#measured = measured;
    this.#kinds = measured.map((z) => (isPackageZone(z) ? 'package' : 'dram'));
    this.series = measured.map((z) => new RaplSeries(z.id, request.retentionS, (errno) => this.#readFailure(z, errno)));
    this.everyTicks = Math.max(1, Math.round(request.sampleHz / request.cpuSampleHz));
    this.estimate = request.cpuEstimate ? resolveCpuEstimate(request.cpuEstimate) : null;
  }

  /** True when some zone is read (packages or DRAM). */
  get measuring(): boolean {
    return this.series.length > 0;
  }

  /** What the sampler thread is to read. */
  request(): NativeRaplRequest {
    const zones = this.#measured.map(({ id, path, maxEnergyRangeUj }) => ({ id, path, maxEnergyRangeUj }));
    return { zones, everyTicks: this.everyTicks };
  }

  /** Files the sampler's RAPL reads into each zone's series. */
  append(batch: NativeRaplBatch): void {
    for (let i = 0; i < batch.zone.length; i++) {
      this.series[batch.zone[i]!]!.append(Number(batch.tNs[i]! - this.#originNs), batch.spanNs[i]!, batch.energyUj[i]!, batch.errno[i]!);
    }
    const nowNs = Number(process.hrtime.bigint() - this.#originNs);
    for (const s of this.series) s.prune(nowNs);
  }

  /** True once every zone has a read after `t` (ns since origin). */
  readyAt(t: number): boolean {
    return this.series.every((s) => s.readyAt(t));
  }

  /** The packages' and DRAM energy at `t`, summed over zones (a failed zone makes its kind null, with why). */
  pointAt(t: number): CpuPoint {
    const packageEstimated = this.packageProblem !== null && this.estimate !== null;
    const dramEstimated = this.dramProblem !== null && this.estimate !== null;
    const point: CpuPoint = {
      packageJ: packageEstimated ? (this.estimate!.cpuW * t) / 1e9 : this.packageProblem === null ? 0 : null,
      packageUncertaintyJ: 0,
      dramJ: dramEstimated ? (this.estimate!.ramW * t) / 1e9 : this.dramProblem === null ? 0 : null,
      dramUncertaintyJ: 0,
      reason: (packageEstimated ? null : this.packageProblem) ?? (dramEstimated ? null : this.dramProblem),
      estimate: packageEstimated || dramEstimated ? this.estimate : null,
      packageEstimated,
      dramEstimated,
    };
    this.series.forEach((s, i) => {
      const at: RaplPoint | RaplGap = s.pointAt(t);
      const kind = this.#kinds[i]!;
      if ('failure' in at) {
        if (kind === 'package') point.packageJ = null;
        else point.dramJ = null;
        point.reason ??= at.failure;
      } else if (kind === 'package' && point.packageJ !== null) {
        point.packageJ += at.energyJ;
        point.packageUncertaintyJ += at.uncertaintyJ;
      } else if (kind === 'dram' && point.dramJ !== null) {
        point.dramJ += at.energyJ;
        point.dramUncertaintyJ += at.uncertaintyJ;
      }
    });
    return point;
  }

  /** The zones read, why not, and the power over the last `windowS` seconds. */
  status(windowS: number): CpuStatus {
    const estimated = this.estimate !== null && (this.packageProblem !== null || this.dramProblem !== null);
    return {
      zones: this.series.map((z) => z.zoneId),
      reason: this.packageProblem ?? this.dramProblem,
      ...this.powerW(windowS),
      estimate: estimated ? this.estimate : null,
      zoneEnergyJ: Object.fromEntries(this.series.flatMap((z) => (z.latestEnergyJ === null ? [] : [[z.zoneId, z.latestEnergyJ]]))),
    };
  }

  /** The packages' and DRAM power over the last `windowS` seconds, W (NaN where not measured). */
  powerW(windowS: number): { packageW: number; dramW: number } {
    const sum = (kind: 'package' | 'dram') =>
      this.series.reduce((total, s, i) => (this.#kinds[i] === kind ? total + s.powerW(windowS) : total), this.#kinds.includes(kind) ? 0 : NaN);
    return { packageW: sum('package'), dramW: sum('dram') };
  }

  /** Why a kind of zone is not measured: none found, or one that cannot be read (the first such zone's problem). */
  #problemOf(select: (z: RaplZone) => boolean, kind: string): string | null {
    const zones = this.zones.filter(select);
    if (zones.length === 0) return `no RAPL ${kind} zone under ${this.root} (a virtual machine, or not Linux): not measured`;
    return zones.find((z) => !z.readable)?.problem ?? null;
  }

  #readFailure(zone: RaplZone, errno: number): string {
    const file = `${zone.path}/energy_uj`;
    if (errno === SLOW_READ) return `the reads of ${file} after this instant were too slow to place in time`;
    if (errno === constants.errno.EINVAL) return `${file} held no energy reading (an empty or partial read)`;
    return `${file} could not be read during the measurement (${errnoName(errno)})`;
  }
}
