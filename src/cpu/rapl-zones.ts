/**
 * The CPU's RAPL energy zones, as Linux powercap shows them (`/sys/class/powercap/intel-rapl:N`,
 * sub-zones named core, uncore, dram; AMD Zen CPUs through the same interface). Since 2020
 * (CVE-2020-8694) most distributions let only root read `energy_uj`: an unreadable zone says so,
 * naming the file and how to grant access, and never reads as zero. `WATTSCOPE_POWERCAP_ROOT`
 * points at another tree laid out the same way (the tests build one).
 */
import { constants } from 'node:os';
import { loadBinding } from '../native/binding.js';

export const DEFAULT_POWERCAP_ROOT = '/sys/class/powercap';

export interface RaplZone {
  /** `intel-rapl:0`, `intel-rapl:0:2`. */
  id: string;
  /** `package-0`, `core`, `uncore`, `dram`, `psys`. */
  name: string;
  /** The zone's directory. */
  path: string;
  package: number;
  /** The sub-zone's number, or null for a package zone. */
  subzone: number | null;
  /** Where the energy counter wraps to 0, µJ. */
  maxEnergyRangeUj: number;
  readable: boolean;
  /** Why `energy_uj` cannot be read (a sentence naming the file and the remedy), or null. */
  problem: string | null;
}

/** The errno's name (EACCES...), from Node's table. */
export function errnoName(errno: number): string {
  return Object.entries(constants.errno).find(([, value]) => value === errno)?.[0] ?? `errno ${errno}`;
}

/** Why a zone's counter cannot be read, and what to do about it. */
function problemOf(path: string, errno: number): string {
  const file = `${path}/energy_uj`;
  if (errno === constants.errno.EACCES || errno === constants.errno.EPERM) {
    return `${file} is readable only by root (since CVE-2020-8694): grant read access with a udev rule (SUBSYSTEM=="powercap", ACTION=="add", RUN+="/bin/chmod o+r /sys%p/energy_uj") or "sudo chmod o+r ${file}" at each boot`;
  }
  return `${file} cannot be read (${errnoName(errno)})`;
}

/** The RAPL zones under `root` (default: WATTSCOPE_POWERCAP_ROOT, else /sys/class/powercap); none where there is no RAPL. */
export function listRaplZones(root: string = process.env.WATTSCOPE_POWERCAP_ROOT ?? DEFAULT_POWERCAP_ROOT): RaplZone[] {
  return loadBinding()
    .raplZones(root)
    .map((z) => ({
      id: z.id,
      name: z.name,
      path: z.path,
      package: z.package,
      subzone: z.subzone >= 0 ? z.subzone : null,
      maxEnergyRangeUj: z.maxEnergyRangeUj,
      readable: z.readable,
      problem: z.readable ? null : problemOf(z.path, z.errno),
    }));
}
