/**
 * CPU and RAM power estimated the way CodeCarbon does on a machine without RAPL (many virtual
 * machines): the CPU at a share of its TDP (CodeCarbon: 50%), the RAM at watts per GB (CodeCarbon:
 * 3 W per 8 GB). Off unless asked for (`cpuEstimate`), used only where RAPL does not measure, and
 * always flagged `estimate` with these inputs: it follows time, not the work done.
 */
import { totalmem } from 'node:os';

/** What the user gives: the CPU's TDP (required: no guess is made), and optionally the rest. */
export interface CpuEstimateOptions {
  /** Thermal design power of all CPU packages together, W (from the CPU's datasheet). */
  tdpW: number;
  /** Share of the TDP drawn on average (default 0.5, CodeCarbon's). */
  cpuShare?: number;
  /** Installed RAM, GB (default: this machine's, from the OS). */
  ramGb?: number;
  /** RAM power per GB, W (default 0.375: CodeCarbon's 3 W per 8 GB). */
  wattsPerGb?: number;
}

/** The estimate's inputs as used, and the powers they give. */
export interface CpuEstimateInputs {
  tdpW: number;
  cpuShare: number;
  /** tdpW x cpuShare. */
  cpuW: number;
  ramGb: number;
  wattsPerGb: number;
  /** ramGb x wattsPerGb. */
  ramW: number;
  /** Where the method comes from. */
  method: string;
}

export const CODECARBON_CPU_SHARE = 0.5;
export const CODECARBON_RAM_W_PER_GB = 3 / 8;

/** The inputs with their defaults filled in. */
export function resolveCpuEstimate(options: CpuEstimateOptions): CpuEstimateInputs {
  const cpuShare = options.cpuShare ?? CODECARBON_CPU_SHARE;
  const ramGb = options.ramGb ?? totalmem() / 2 ** 30;
  const wattsPerGb = options.wattsPerGb ?? CODECARBON_RAM_W_PER_GB;
  return {
    tdpW: options.tdpW,
    cpuShare,
    cpuW: options.tdpW * cpuShare,
    ramGb,
    wattsPerGb,
    ramW: ramGb * wattsPerGb,
    method: "CodeCarbon's without RAPL: CPU at a share of its TDP, RAM at watts per GB",
  };
}
