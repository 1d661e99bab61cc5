/**
 * Why a GPU's clocks were below their maximum, as its driver says: NVML's clocks event reasons
 * (nvmlDeviceGetCurrentClocksEventReasons; older drivers: ...ClocksThrottleReasons), read by the
 * sampler about ten times a second. A run that met the power cap or a thermal slowdown is flagged
 * with the reason's name, never guessed where the driver can say.
 */

/** One reason, named after NVML's nvmlClocksEventReason* bit. */
export type ClocksEventReason =
  | 'gpu-idle'
  | 'applications-clocks-setting'
  | 'sw-power-cap'
  | 'hw-slowdown'
  | 'sync-boost'
  | 'sw-thermal-slowdown'
  | 'hw-thermal-slowdown'
  | 'hw-power-brake-slowdown'
  | 'display-clock-setting';

/** Each reason's bit, in NVML's order. */
const REASON_BITS: ReadonlyArray<[ClocksEventReason, number]> = [
  ['gpu-idle', 0x1],
  ['applications-clocks-setting', 0x2],
  ['sw-power-cap', 0x4],
  ['hw-slowdown', 0x8],
  ['sync-boost', 0x10],
  ['sw-thermal-slowdown', 0x20],
  ['hw-thermal-slowdown', 0x40],
  ['hw-power-brake-slowdown', 0x80],
  ['display-clock-setting', 0x100],
];

/** The reasons that mean the GPU slowed itself down (power or temperature), so a run's energy is not comparable. */
export const THROTTLE_REASONS: ReadonlySet<ClocksEventReason> = new Set([
  'sw-power-cap',
  'hw-slowdown',
  'sw-thermal-slowdown',
  'hw-thermal-slowdown',
  'hw-power-brake-slowdown',
]);

/** The names of the bits set in `bits` (unknown bits are left out). */
export function reasonNames(bits: number): ClocksEventReason[] {
  return REASON_BITS.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name);
}

/** One GPU's clocks event readings (time relative to the monitor's origin, ns), oldest dropped past a cap. */
export class ClocksEventLog {
  readonly #timesNs: number[] = [];
  readonly #bits: number[] = [];
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get length(): number {
    return this.#timesNs.length;
  }

  /** Appends readings in time order. */
  append(timesNs: ArrayLike<number>, bits: ArrayLike<number>): void {
    for (let i = 0; i < timesNs.length; i++) {
      this.#timesNs.push(timesNs[i]!);
      this.#bits.push(bits[i]!);
    }
    const extra = this.#timesNs.length - this.#maxEntries;
    if (extra > 0) {
      this.#timesNs.splice(0, extra);
      this.#bits.splice(0, extra);
    }
  }

  /**
   * The reasons in force at any time in [a, b]: every reading inside, and the last one before a
   * (it held until the next reading). Null when no reading covers the interval.
   */
  reasonsBetween(a: number, b: number): ClocksEventReason[] | null {
    let bits = 0;
    let covered = false;
    for (let i = this.#timesNs.length - 1; i >= 0; i--) {
      const t = this.#timesNs[i]!;
      if (t > b) continue;
      bits |= this.#bits[i]!;
      covered = true;
      if (t <= a) break;
    }
    return covered ? reasonNames(bits) : null;
  }
}
