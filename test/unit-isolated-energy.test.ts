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
    expect(alone.decode).toEqual({
      powerW: 360,
      uncertaintyW: 1 / 0.3,
      scopes: 1,
      durationS: 0.3,
      slopeWPerToken: 0,
      slopeUncertaintyWPerToken: 0,
      meanTokens: 0,
    });
  });

  it('a run: each phase alone is its power alone times its time; the overhead is the run less its gaps and the phases alone', () => {
    const flat = { slopeWPerToken: 0, slopeUncertaintyWPerToken: 0, meanTokens: 0 };
    const alone = {
      prefill: { powerW: 520, uncertaintyW: 5, scopes: 2, durationS: 0.6, ...flat },
      decode: { powerW: 360, uncertaintyW: 2, scopes: 2, durationS: 0.6, ...flat },
    };
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
    // Where the total's and the gaps' intervals are known and narrower (phases that cannot be told
    // apart, whose sum can), the overhead takes them: 1 + 2 J, not the phases' 5 + 5 J.
    const narrow = isolatedFigures({ ...run, totalUncertaintyJ: 1, unattributedUncertaintyJ: 2 }, alone)!;
    expect(narrow.interleavingOverheadUncertaintyJ).toBeCloseTo(1 + 2 + 4 + 2.4, 9);
    expect(narrow.interleavingOverheadJ).toBe(figures.interleavingOverheadJ);
    const wide = isolatedFigures({ ...run, totalUncertaintyJ: 9, unattributedUncertaintyJ: 9 }, alone)!;
    expect(wide.interleavingOverheadUncertaintyJ).toBeCloseTo(5 + 5 + 4 + 2.4, 9);
  });

  it('no overhead where a phase of the run has no power alone (a partial sum would be no overhead at all)', () => {
    const run = {
      totalEnergyJ: 10,
      totalUncertaintyJ: 1,
      unattributedEnergyJ: 1,
      phases: { prefill: { energyJ: 4, uncertaintyJ: 1, durationS: 1 }, decode: { energyJ: 5, uncertaintyJ: 1, durationS: 1 } },
    };
    const prefill = { powerW: 4, uncertaintyW: 0.1, scopes: 1, durationS: 1, slopeWPerToken: 0, slopeUncertaintyWPerToken: 0, meanTokens: 0 };
    expect(isolatedFigures(run, { prefill })).toBeNull();
    expect(isolatedFigures({ ...run, phases: {} }, {})).toBeNull();
  });

  it("a power that grows with the tokens is a line in them, and a run's phase alone sums it over its scopes", () => {
    // Prefills of 100, 200, 300 and 400 tokens drawing 400 + 0.5 W per token, each alone 0.3 s.
    const scopes = [100, 200, 300, 400].map((tokens) => ({ phase: 'prefill', energyJ: (400 + 0.5 * tokens) * 0.3, uncertaintyJ: 0.3, durationS: 0.3, tokens }));
    const alone = alonePowers(scopes).prefill!;
    expect(alone.meanTokens).toBe(250);
    expect(alone.powerW).toBeCloseTo(525, 9);
    expect(alone.slopeWPerToken).toBeCloseTo(0.5, 9);
    // An exact line: no residual spread, the scopes' own 1.2 J over 1.2 s left.
    expect(alone.uncertaintyW).toBeCloseTo(1, 9);
    expect(alone.slopeUncertaintyWPerToken).toBeCloseTo(0, 9);
    // A run of 10 ms at 100 tokens and 30 ms at 400: 450 W x 0.01 + 600 W x 0.03 = 22.5 J, where the
    // mean power alone times the time would say 525 W x 0.04 s = 21 J.
    const phase = { energyJ: 23, uncertaintyJ: 1, durationS: 0.04, tokenSeconds: 100 * 0.01 + 400 * 0.03 };
    const figures = isolatedFigures({ totalEnergyJ: 24, unattributedEnergyJ: 1, phases: { prefill: phase } }, { prefill: alone })!;
    expect(figures.phases.prefill!.isolatedEnergyJ).toBeCloseTo(22.5, 9);
    // Without tokens, or with fewer than three scopes, no line: the pooled power.
    const untokened = alonePowers(scopes.map(({ tokens: _tokens, ...s }) => s)).prefill!;
    expect(untokened.slopeWPerToken).toBe(0);
    expect(untokened.powerW).toBeCloseTo(525, 9);
    expect(alonePowers(scopes.slice(0, 2)).prefill!.slopeWPerToken).toBe(0);
  });
});
