/**
 * CPU package and DRAM energy over an interval, from the RAPL counters (Linux powercap), polled
 * often enough to see each wraparound (a counter restarts from 0 past max_energy_range_uj: about
 * every 40 minutes at 100 W on a real package). Used by `wattscope measure` for a whole command.
 * Where a zone is missing or unreadable, the figure is null with the reason, never zero.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_POWERCAP_ROOT, listRaplZones, type RaplZone } from './rapl-zones.js';

export interface CpuEnergy {
  /** The CPU packages' energy over the interval, J (all packages), or null. */
  cpuEnergyJ: number | null;
  /** The DRAM zones' energy over the interval, J, or null. */
  dramEnergyJ: number | null;
  /** Why a figure is null (no RAPL here, a zone only root may read, a read that failed), or null. */
  reason: string | null;
  /** The zones summed. */
  zones: string[];
}

/** One zone's counter across wraparounds (the native RaplAccumulator's rule, in µJ). */
class ZoneCounter {
  readonly zone: RaplZone;
  #firstUj: number | null = null;
  #lastUj = 0;
  #wrapsUj = 0;
  failure: string | null = null;

  constructor(zone: RaplZone) {
    this.zone = zone;
  }

  /** Reads energy_uj once; a failed read marks the zone failed (its energy is then unknown). */
  poll(): void {
    if (this.failure) return;
    let text: string;
    try {
      text = readFileSync(`${this.zone.path}/energy_uj`, 'utf8').trim();
    } catch (err) {
      this.failure = `${this.zone.path}/energy_uj could not be read during the measurement (${(err as Error).message})`;
      return;
    }
    // Only digits: an empty read is no reading (never a 0, which would also look like a wraparound).
    if (!/^\d+$/.test(text)) {
      this.failure = `${this.zone.path}/energy_uj held no energy reading ("${text.slice(0, 20)}")`;
      return;
    }
    const raw = Number(text);
    if (this.#firstUj === null) this.#firstUj = raw;
    else if (raw < this.#lastUj && this.zone.maxEnergyRangeUj > 0) this.#wrapsUj += this.zone.maxEnergyRangeUj;
    this.#lastUj = raw;
  }

  /** Energy since the first reading, J. */
  get energyJ(): number {
    return this.#firstUj === null ? 0 : (this.#wrapsUj + this.#lastUj - this.#firstUj) / 1e6;
  }
}

const isPackage = (z: RaplZone) => z.subzone === null && z.name.startsWith('package');
const isDram = (z: RaplZone) => z.name === 'dram';

export class RaplMeter {
  readonly #root: string;
  readonly #zones: RaplZone[];
  readonly #counters: ZoneCounter[];

  constructor(root: string = process.env.WATTSCOPE_POWERCAP_ROOT ?? DEFAULT_POWERCAP_ROOT) {
    this.#root = root;
    this.#zones = listRaplZones(root).filter((z) => isPackage(z) || isDram(z));
    this.#counters = this.#zones.filter((z) => z.readable).map((z) => new ZoneCounter(z));
  }

  /** Reads every counter (call at the start, often enough to see each wraparound, and at the end). */
  poll(): void {
    for (const counter of this.#counters) counter.poll();
  }

  result(): CpuEnergy {
    const sum = (select: (z: RaplZone) => boolean, what: string): { energyJ: number | null; reason: string | null } => {
      const zones = this.#zones.filter(select);
      if (zones.length === 0) return { energyJ: null, reason: `no ${what} zone under ${this.#root} (a virtual machine, or not Linux)` };
      const unreadable = zones.find((z) => !z.readable);
      if (unreadable) return { energyJ: null, reason: unreadable.problem };
      const counters = this.#counters.filter((c) => select(c.zone));
      const failed = counters.find((c) => c.failure !== null);
      if (failed) return { energyJ: null, reason: failed.failure };
      return { energyJ: counters.reduce((a, c) => a + c.energyJ, 0), reason: null };
    };
    const cpu = sum(isPackage, 'RAPL package');
    const dram = sum(isDram, 'RAPL dram');
    return {
      cpuEnergyJ: cpu.energyJ,
      dramEnergyJ: dram.energyJ,
      reason: cpu.reason ?? dram.reason,
      zones: this.#counters.map((c) => c.zone.id),
    };
  }
}
