/** The simulated counter read at its own 100 ms steps (exact there), whatever this machine's timing. */
import { expect } from 'vitest';
import type { NvmlSession } from '../../src/nvml/session.js';
import { sleep } from './sim.js';

const COUNTER_PERIOD_NS = 100_000_000n;

/**
 * Reads GPU 0's counter every few ms until `untilS` after the epoch; returns its value (J) at each
 * 100 ms step it saw. A read is used only when it starts at least 5 ms from a step (so that which
 * step it reports is certain), and every read inside one step must agree.
 */
export async function counterSteps(session: NvmlSession, epochNs: bigint, untilS: number): Promise<Map<number, number>> {
  const steps = new Map<number, number>();
  while (true) {
    const beforeNs = process.hrtime.bigint();
    const sinceNs = beforeNs - epochNs;
    if (Number(sinceNs) / 1e9 > untilS) return steps;
    const energyJ = session.status(0).totalEnergyJ!;
    const intoStepNs = sinceNs % COUNTER_PERIOD_NS;
    if (intoStepNs > 5_000_000n && intoStepNs < COUNTER_PERIOD_NS - 5_000_000n) {
      const step = Number(sinceNs / COUNTER_PERIOD_NS);
      const seen = steps.get(step);
      if (seen !== undefined) expect(energyJ, `step ${step}`).toBe(seen);
      steps.set(step, energyJ);
    }
    await sleep(4);
  }
}
