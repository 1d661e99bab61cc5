/** Each phase alone and the interleaving overhead (src/runner/isolated-energy.ts), on synthetic figures: no driver, no clock. */
import { describe, expect, it } from 'vitest';
import { alonePowers, isolatedFigures } from '../src/runner/isolated-energy.js';

describe('phases alone and what interleaving costs', () => {
  it("a phase's power alone is its scopes' energy over their time; the interval holds theirs and the rows' spread", () => {
    const alone = alonePowers([
      { phase: 'prefill', energyJ: 156, uncertaintyJ: 1.5, durationS: 0.3 },
      { phase: 'prefill', energyJ: 162, uncertaintyJ: 1.5, durationS: 0.3 },
      { phase: 'decode', energyJ: 108, uncertaintyJ: 1, durationS: 0.3 },
      { phase: 'decode', energyJ: NaN, uncertaintyJ: NaN, durationS: 0.3 },
    ]);
    expect(alone.prefill!.powerW).toBeCloseTo(318 / 0.6, 9);
    // The scopes' own interval (3 J over 0.6 s: 5 W) and the spread of 520 and 540 W as a prediction
    // interval for one more scope: twice their standard deviation (14.14 W) times sqrt(1 + 1/2).
    expect(alone.prefill!.uncertaintyW).toBeCloseTo(Math.hypot(5, 2 * Math.sqrt(200) * Math.sqrt(1.5)), 9);
    // An unmeasured scope is left out, never counted as 0 J.
    expect(alone.decode).toEqual({ powerW: 360, uncertaintyW: 1 / 0.3, scopes: 1, durationS: 0.3 });
  });

  it('a run: each phase alone is its power alone times its time; the overhead is the run less its gaps and the phases alone', () => {
    const alone = { prefill: { powerW: 520, uncertaintyW: 5, scopes: 2, durationS: 0.6 }, decode: { powerW: 360, uncertaintyW: 2, scopes: 2, durationS: 0.6 } };
    const run = {
      totalEnergyJ: 1000,
      totalUncertaintyJ: 4,
      unattributedEnergyJ: 100,
      phases: { prefill: { energyJ: 450, uncertaintyJ: 5, durationS: 0.8 }, decode: { energyJ: 450, uncertaintyJ: 5, durationS: 1.2 } },
    };
    const figures = isolatedFigures(run, alone)!;
    expect(figures.phases.prefill).toEqual({ isolatedEnergyJ: 416, isolatedUncertaintyJ: 4 });
    expect(figures.phases.decode!.isolatedEnergyJ).toBeCloseTo(432, 9);
    expect(figures.interleavingOverheadJ).toBeCloseTo(1000 - 100 - 416 - 432, 9);
    // The phases in situ (5 + 5 J) and alone (4 + 2.4 J): the run less its gaps is the phases in situ.
    expect(figures.interleavingOverheadUncertaintyJ).toBeCloseTo(5 + 5 + 4 + 2.4, 9);
  });

  it('no overhead where a phase of the run has no power alone (a partial sum would be no overhead at all)', () => {
    const run = {
      totalEnergyJ: 10,
      totalUncertaintyJ: 1,
      unattributedEnergyJ: 1,
      phases: { prefill: { energyJ: 4, uncertaintyJ: 1, durationS: 1 }, decode: { energyJ: 5, uncertaintyJ: 1, durationS: 1 } },
    };
    expect(isolatedFigures(run, { prefill: { powerW: 4, uncertaintyW: 0.1, scopes: 1, durationS: 1 } })).toBeNull();
    expect(isolatedFigures({ ...run, phases: {} }, {})).toBeNull();
  });
});
