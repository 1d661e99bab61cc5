/**
 * Each phase's energy run alone, and what running the phases interleaved costs beyond that.
 *
 * On the measured H200 the GPU's power follows the work 20-30 ms late, overshoots, and takes ~40 ms
 * to fall, so a benchmark that interleaves phases draws 6.6-7.9% more than the same phases run back
 * to back (the AI Energy Score's separate passes): energy that belongs to no phase. The in-situ
 * figure (energyJ) is what the GPU drew while a phase ran, switching included. The alone figure is
 * the phase's power where it ran by itself (the calibration pass repeats each phase back to back)
 * times its time in the run; the interleaving overhead is the run's energy less its gaps and less
 * the phases alone. Pure arithmetic on measured figures: tested on synthetic input.
 */

/** A phase's mean power where it ran alone, W, with its ~95% half-width. */
export interface AlonePower {
  powerW: number;
  uncertaintyW: number;
  /** Calibration scopes it comes from, and their time, s. */
  scopes: number;
  durationS: number;
}

/** One calibration scope of a phase repeated back to back: its in-situ energy and time. */
export interface AloneScope {
  phase: string;
  energyJ: number;
  uncertaintyJ: number;
  durationS: number;
}

/**
 * Each phase's power alone from its calibration scopes: their energy over their time. The interval
 * holds the scopes' own intervals (over their time) and, with two scopes or more, the spread of
 * their powers, added in quadrature. The spread is a prediction interval (twice the standard
 * deviation times sqrt(1 + 1/n)), not twice the standard error of the mean: the figure stands for
 * one run's phase alone, and on the measured H200 the same 300 prefills alone drew 690 W in one
 * block and 684 W in the next. A scope without a finite figure is left out; a phase with none has
 * no entry.
 */
export function alonePowers(scopes: readonly AloneScope[]): Record<string, AlonePower> {
  const byPhase = new Map<string, AloneScope[]>();
  for (const s of scopes) {
    if (!Number.isFinite(s.energyJ) || !Number.isFinite(s.uncertaintyJ) || !(s.durationS > 0)) continue;
    byPhase.set(s.phase, [...(byPhase.get(s.phase) ?? []), s]);
  }
  const out: Record<string, AlonePower> = {};
  for (const [phase, list] of byPhase) {
    const durationS = list.reduce((sum, s) => sum + s.durationS, 0);
    const powerW = list.reduce((sum, s) => sum + s.energyJ, 0) / durationS;
    const measuredW = list.reduce((sum, s) => sum + s.uncertaintyJ, 0) / durationS;
    let spreadW = 0;
    if (list.length >= 2) {
      const powers = list.map((s) => s.energyJ / s.durationS);
      const mean = powers.reduce((a, b) => a + b, 0) / powers.length;
      const variance = powers.reduce((sum, p) => sum + (p - mean) ** 2, 0) / (powers.length - 1);
      spreadW = 2 * Math.sqrt(variance * (1 + 1 / powers.length));
    }
    out[phase] = { powerW, uncertaintyW: Math.hypot(measuredW, spreadW), scopes: list.length, durationS };
  }
  return out;
}

/** What a run's figures need: its energy, its gaps' and each phase's in-situ total and time. */
export interface RunFigures {
  totalEnergyJ: number;
  unattributedEnergyJ: number;
  phases: Record<string, { energyJ: number; uncertaintyJ: number; durationS: number }>;
}

export interface IsolatedFigures {
  /** Per phase: its power alone times its time in the run, J, and the ~95% half-width. */
  phases: Record<string, { isolatedEnergyJ: number; isolatedUncertaintyJ: number }>;
  /** The run's energy less its gaps and less every phase alone, J, and the ~95% half-width. */
  interleavingOverheadJ: number;
  interleavingOverheadUncertaintyJ: number;
}

/**
 * A run's phases alone and its interleaving overhead; null unless every phase of the run has a
 * power alone (an overhead over some phases only would be no overhead at all). The run less its
 * gaps is the phases in situ, so the overhead's interval adds every phase's in-situ interval and
 * every alone figure's (their errors are not independent: a bound, not a quadrature). Where the
 * in-situ split is wide (phases of tens of ms on a sensor refreshed every 100 ms) the overhead's
 * interval is as wide: honest, not useful, until the in-situ estimate narrows.
 */
export function isolatedFigures(run: RunFigures, alone: Readonly<Record<string, AlonePower>>): IsolatedFigures | null {
  const names = Object.keys(run.phases);
  if (names.length === 0 || names.some((name) => alone[name] === undefined)) return null;
  const phases: IsolatedFigures['phases'] = {};
  for (const name of names) {
    const { durationS } = run.phases[name]!;
    const power = alone[name]!;
    phases[name] = { isolatedEnergyJ: power.powerW * durationS, isolatedUncertaintyJ: power.uncertaintyW * durationS };
  }
  const aloneJ = names.reduce((sum, name) => sum + phases[name]!.isolatedEnergyJ, 0);
  const aloneUncertaintyJ = names.reduce((sum, name) => sum + phases[name]!.isolatedUncertaintyJ, 0);
  return {
    phases,
    interleavingOverheadJ: run.totalEnergyJ - run.unattributedEnergyJ - aloneJ,
    interleavingOverheadUncertaintyJ: names.reduce((sum, name) => sum + run.phases[name]!.uncertaintyJ, 0) + aloneUncertaintyJ,
  };
}
