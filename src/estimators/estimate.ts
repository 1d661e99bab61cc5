/** What the timeline's estimators return: the energy at an instant, and over an interval. */

/**
 * How a figure was obtained: `energy-counter` (spans two or more counter updates),
 * `counter-interpolated` (inside counter steps, split by the sampled power's shape, or by time
 * alone on a coarse sensor), `counter-regression` (inside counter steps on a coarse sensor, split
 * by each phase's power learnt by regression over many steps), `power-integration` (no counter).
 */
export type EnergyMethod = 'energy-counter' | 'counter-interpolated' | 'counter-regression' | 'power-integration';

/**
 * Why a figure deserves a second look: `no-energy-counter` (power integration, ±5%),
 * `coarse-sensor` (the reading cannot show the power's shape inside a counter step),
 * `averaged-power` (only a 1 s average), `extrapolated` (an end after the last counter update),
 * `counter-reset` (a driver reload bridged), `sampling-gap` (50 ms or more without samples),
 * `unsettled` (extrapolated at the settle timeout), `gpu-lost`, `no-gpu` (a monitor without a GPU).
 */
export type MeasurementFlag =
  'no-energy-counter' | 'coarse-sensor' | 'averaged-power' | 'extrapolated' | 'counter-reset' | 'sampling-gap' | 'unsettled' | 'gpu-lost' | 'no-gpu';

/** A run's flags: its measurements', and `non-monotonic` (cumulative energy ran backwards somewhere in it). */
export type RunFlag = MeasurementFlag | 'non-monotonic';

/** E(t) at one instant. */
export interface PointEstimate {
  /** Cumulative energy on this GPU's timeline, J (an arbitrary but fixed origin). */
  energyJ: number;
  /** Uncertainty of this boundary alone (~95% half-width), J. */
  uncertaintyJ: number;
  /** False while t lies after the last counter update (the value may still change). */
  settled: boolean;
  /** Index of the anchor interval [u_k, u_k+1] holding t; -1 before the first; null without counter. */
  anchorInterval: number | null;
  /** Fraction of the anchor interval's energy before t (0..1). */
  fraction: number;
  /** True when t is beyond the sampled data or the anchors (power extrapolation). */
  extrapolated: boolean;
  /** On a coarse sensor, how the counter step was split: by learnt phase powers or by time alone. */
  coarseModel?: 'regression' | 'time-share';
  /** The counter step was split by the driver's own power samples (driver-estimate.ts). */
  shape?: 'driver-samples';
}

/** The energy of [a, b]. */
export interface IntervalEstimate {
  energyJ: number;
  /** ~95% half-width, J. */
  uncertaintyJ: number;
  method: EnergyMethod;
  settled: boolean;
  flags: MeasurementFlag[];
}
