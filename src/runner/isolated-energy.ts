/**
 * Each phase's energy run alone, and what running the phases interleaved costs beyond that.
 *
 * On the measured H200 the GPU's power follows the work 20-30 ms late, overshoots, and takes ~40 ms
 * to fall, so a benchmark that interleaves phases draws 6.6-7.9% more than the same phases run back
 * to back (the AI Energy Score's separate passes): energy that belongs to no phase. The in-situ
 * figure (energyJ) is what the GPU drew while a phase ran, switching included. The alone figure is
 * the phase's power where it ran by itself (the calibration pass repeats each phase back to back;
 * a line in the query's tokens where they differ) times its time in the run; the interleaving overhead is the run's energy less its gaps and less
 * the phases alone. Pure arithmetic on measured figures: tested on synthetic input.
 */

/**
 * A phase's power where it ran alone, W, with its ~95% half-width; where the power grows with the
 * query's tokens (a prefill's with its prompt), its slope, W per token, at the calibrated queries'
 * mean tokens: P(n) = powerW + slopeWPerToken (n - meanTokens).
 */
export interface AlonePower {
  powerW: number;
  uncertaintyW: number;
  /** 0 where the scopes carry no tokens or too few to fit a slope (fewer than 3, or all the same). */
  slopeWPerToken: number;
  slopeUncertaintyWPerToken: number;
  meanTokens: number;
  /** Calibration scopes it comes from, and their time, s. */
  scopes: number;
  durationS: number;
}

/** One calibration scope of a phase repeated back to back: its in-situ energy and time, and its query's tokens for that phase (null: none counted). */
export interface AloneScope {
  phase: string;
  energyJ: number;
  uncertaintyJ: number;
  durationS: number;
  tokens?: number | null;
}

/** The least-squares line of the scopes' powers on their tokens, or null where it cannot be fitted. */
function tokenSlope(list: readonly AloneScope[]): { meanTokens: number; meanW: number; slope: number; slopeSe: number; residualSd: number } | null {
  if (list.length < 3 || list.some((s) => typeof s.tokens !== 'number' || !Number.isFinite(s.tokens))) return null;
  const tokens = list.map((s) => s.tokens!);
  const powers = list.map((s) => s.energyJ / s.durationS);
  const meanTokens = tokens.reduce((a, b) => a + b, 0) / tokens.length;
  const meanW = powers.reduce((a, b) => a + b, 0) / powers.length;
  const sxx = tokens.reduce((sum, n) => sum + (n - meanTokens) ** 2, 0);
  if (!(sxx > 0)) return null;
  const slope = tokens.reduce((sum, n, i) => sum + (n - meanTokens) * (powers[i]! - meanW), 0) / sxx;
  const residualSd = Math.sqrt(powers.reduce((sum, p, i) => sum + (p - meanW - slope * (tokens[i]! - meanTokens)) ** 2, 0) / (list.length - 2));
  return { meanTokens, meanW, slope, slopeSe: residualSd / Math.sqrt(sxx), residualSd };
}

/** Twice the sample standard deviation of the scopes' powers, widened for predicting one more (sqrt(1 + 1/n)); 0 with one scope. */
function powerSpreadW(list: readonly AloneScope[]): number {
  if (list.length < 2) return 0;
  const powers = list.map((s) => s.energyJ / s.durationS);
  const mean = powers.reduce((a, b) => a + b, 0) / powers.length;
  const variance = powers.reduce((sum, p) => sum + (p - mean) ** 2, 0) / (powers.length - 1);
  return 2 * Math.sqrt(variance * (1 + 1 / powers.length));
}

/**
 * Each phase's power alone from its calibration scopes. Where every scope carries its query's
 * tokens and they differ (3 scopes or more), the power is a line in the tokens, fitted by least
 * squares: its level at the mean tokens and its slope, each with its interval (the residuals'
 * prediction interval, twice the slope's standard error). Otherwise the scopes' energy over their
 * time. Either way the interval holds the scopes' own intervals (over their time) in quadrature
 * with the spread, which is a prediction interval (twice the standard deviation times
 * sqrt(1 + 1/n)), not twice the standard error of the mean: the figure stands for one run's phase
 * alone, and on the measured H200 the same 300 prefills alone drew 690 W in one block and 684 W in
 * the next. A scope without a finite figure is left out; a phase with none has no entry.
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
    const measuredW = list.reduce((sum, s) => sum + s.uncertaintyJ, 0) / durationS;
    const line = tokenSlope(list);
    const common = { scopes: list.length, durationS };
    if (line) {
      const spreadW = 2 * line.residualSd * Math.sqrt(1 + 1 / list.length);
      out[phase] = {
        ...common,
        powerW: line.meanW,
        uncertaintyW: Math.hypot(measuredW, spreadW),
        slopeWPerToken: line.slope,
        slopeUncertaintyWPerToken: 2 * line.slopeSe,
        meanTokens: line.meanTokens,
      };
    } else {
      const powerW = list.reduce((sum, s) => sum + s.energyJ, 0) / durationS;
      out[phase] = {
        ...common,
        powerW,
        uncertaintyW: Math.hypot(measuredW, powerSpreadW(list)),
        slopeWPerToken: 0,
        slopeUncertaintyWPerToken: 0,
        meanTokens: 0,
      };
    }
  }
  return out;
}

/** What a run's figures need: its energy, its gaps' and each phase's in-situ total and time. */
export interface RunFigures {
  totalEnergyJ: number;
  unattributedEnergyJ: number;
  /** The total's and the gaps' ~95% half-widths, J, where known: the overhead's interval can then use them instead of the phases'. */
  totalUncertaintyJ?: number;
  unattributedUncertaintyJ?: number;
  /** Per phase; tokenSeconds (each scope's tokens times its time, summed) where a power alone has a slope in the tokens. */
  phases: Record<string, { energyJ: number; uncertaintyJ: number; durationS: number; tokenSeconds?: number }>;
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
 * gaps is the phases in situ, so the overhead's interval adds, to every alone figure's, either the
 * phases' in-situ intervals or the total's and the gaps' (whichever is narrower: where phases of a
 * few ms cannot be told apart inside a 20 ms sample, their sum still can be), as a bound, not a
 * quadrature (their errors are not independent).
 */
export function isolatedFigures(run: RunFigures, alone: Readonly<Record<string, AlonePower>>): IsolatedFigures | null {
  const names = Object.keys(run.phases);
  if (names.length === 0 || names.some((name) => alone[name] === undefined)) return null;
  const phases: IsolatedFigures['phases'] = {};
  for (const name of names) {
    const { durationS, tokenSeconds } = run.phases[name]!;
    const power = alone[name]!;
    // sum over scopes of P(n_i) t_i = powerW T + slope (sum n_i t_i - meanTokens T).
    const beyondMeanTokenS = power.slopeWPerToken !== 0 && typeof tokenSeconds === 'number' ? tokenSeconds - power.meanTokens * durationS : 0;
    phases[name] = {
      isolatedEnergyJ: power.powerW * durationS + power.slopeWPerToken * beyondMeanTokenS,
      isolatedUncertaintyJ: power.uncertaintyW * durationS + power.slopeUncertaintyWPerToken * Math.abs(beyondMeanTokenS),
    };
  }
  const aloneJ = names.reduce((sum, name) => sum + phases[name]!.isolatedEnergyJ, 0);
  const aloneUncertaintyJ = names.reduce((sum, name) => sum + phases[name]!.isolatedUncertaintyJ, 0);
  // The run less its gaps is the phases in situ: its interval is theirs, or the total's and the gaps' where narrower.
  const inSituUncertaintyJ = names.reduce((sum, name) => sum + run.phases[name]!.uncertaintyJ, 0);
  const byGapsJ = (run.totalUncertaintyJ ?? Infinity) + (run.unattributedUncertaintyJ ?? Infinity);
  return {
    phases,
    interleavingOverheadJ: run.totalEnergyJ - run.unattributedEnergyJ - aloneJ,
    interleavingOverheadUncertaintyJ: Math.min(inSituUncertaintyJ, byGapsJ) + aloneUncertaintyJ,
  };
}
