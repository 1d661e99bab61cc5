/**
 * One GPU's sampled history and the energy estimator built on it. Samples (power W, counter J)
 * arrive from the native sampler; each change of the counter is an anchor whose cumulative energy
 * is known to the mJ and whose time is known to half a sample interval (less once the update grid
 * is fitted). The cumulative energy E(t) at any instant is:
 * - between two anchors, on a sensor that resolves power between them (`instant`): the counter's
 *   step shared out by the sampled power's integral (power-estimate.ts);
 * - between two anchors on a coarse sensor (periodic, averaged or not yet known): the step shared
 *   out by each phase's learnt power, bounded by the GPU's power range (coarse-estimate.ts);
 * - after the last anchor: the last anchor plus the power integral scaled by the counter/power
 *   ratio (provisional); with no counter (pre-Volta, or NOT_SUPPORTED): the power integral alone.
 * A scope's energy is E(end) - E(start), so phases and gaps add up to the counter's delta exactly;
 * each estimate carries a ~95% half-width, J. This file ingests and dispatches to the parts above.
 */
import { BoundaryPowerModel } from '../estimators/boundary-power.js';
import { ClocksEventLog } from '../sampling/clocks-events.js';
import { CoarseStepEstimator } from '../estimators/coarse-estimate.js';
import { rangeBoundJ, type PowerRange } from '../estimators/coarse-step.js';
import { CounterAnchors } from '../sampling/counter-anchors.js';
import { CounterGridFit } from '../sampling/counter-grid.js';
import { DriverShapeEstimator } from '../estimators/driver-estimate.js';
import type { DriverPowerSeries } from '../sampling/driver-power.js';
import type { EnergyMethod, IntervalEstimate, MeasurementFlag, PointEstimate } from '../estimators/estimate.js';
import type { PhasePowerRegression } from '../estimators/phase-regression.js';
import { SampleStore } from '../sampling/sample-store.js';
import { counterStepEvidence, SensorDetector, type SensorInfo } from '../sampling/sensor-detect.js';
import { PowerEstimator } from '../estimators/power-estimate.js';
import type { TimelineSamples } from '../sampling/sample-store.js';
import { COUNTER_BASELINE, COUNTER_NOT_READ } from '../native/binding.js';

const NVML_ERROR_GPU_IS_LOST = 15;
/** Sampling gaps of at least this long are flagged (sampling-gap), ns. */
const GAP_FLAG_NS = 50e6;
/** Readings before a boundary interval whose range bounds its imputed levels. */
const RECENT_READINGS = 6;

export class PowerTimeline {
  readonly nominalPeriodNs: number;
  readonly maxSamples: number;
  /** True when the power source is a 1 s moving average (no instant power field). */
  readonly averagedPower: boolean;
  /** The GPU's enforced power limit, W (the top of its power range), or null when unknown. */
  readonly powerLimitW: number | null;
  /** Counter resets seen (driver reload), as [from, to] ns rel. */
  readonly resets: Array<[number, number]> = [];
  /** Sampling gaps of 50 ms or more (and over 5 nominal periods), as [from, to] ns rel. */
  readonly gaps: Array<[number, number]> = [];
  /** Samples whose power or counter read failed. */
  readErrors = 0;
  /** When the GPU was lost (ns rel), or null. */
  lostAt: number | null = null;
  /** The driver's clocks event reasons as read (about 10 per second), kept as long as the samples. */
  readonly clocksEvents: ClocksEventLog;

  readonly #samples = new SampleStore();
  readonly #anchors = new CounterAnchors();
  readonly #boundaries = new BoundaryPowerModel();
  // Locks onto the counter's update grid to place each update between its two samples.
  readonly #grid = new CounterGridFit();
  readonly #sensor: SensorDetector;
  readonly #coarse: CoarseStepEstimator;
  readonly #power: PowerEstimator;
  /** Between anchors, the driver's own power samples, where it keeps them (null where not). */
  readonly #driver: DriverShapeEstimator | null;
  #lastCounterJ = NaN;
  /** When the counter was last read (ns rel; NaN before the first read). */
  #lastCounterReadT = NaN;
  #lastPowerW = NaN;
  #minReadingW = Infinity;
  #maxReadingW = -Infinity;

  constructor(
    readonly gpu: number,
    readonly originNs: bigint,
    readonly hasCounter: boolean,
    sampleHz: number,
    retentionS: number,
    averagedPower = false,
    powerLimitW: number | null = null,
    driverPower: DriverPowerSeries | null = null,
  ) {
    this.averagedPower = averagedPower;
    this.powerLimitW = powerLimitW;
    this.nominalPeriodNs = 1e9 / sampleHz;
    this.maxSamples = Math.max(1024, Math.ceil(sampleHz * retentionS));
    this.clocksEvents = new ClocksEventLog(Math.ceil(10 * retentionS) + 64);
    this.#sensor = new SensorDetector(averagedPower);
    this.#coarse = new CoarseStepEstimator(this.#anchors, this.#boundaries, () => this.powerRange());
    this.#power = new PowerEstimator(this.#samples, this.#anchors, this.#boundaries, this.nominalPeriodNs);
    this.#driver = driverPower && new DriverShapeEstimator(this.#anchors, driverPower, () => this.powerRange());
  }

  /** Each phase's power learnt from the counter's steps (used on coarse sensors). */
  get regression(): PhasePowerRegression {
    return this.#coarse.regression;
  }

  /** What the power sensor is, as learnt from the samples so far. */
  get sensor(): SensorInfo {
    return this.#sensor.info;
  }

  /** True unless the sensor resolves power between counter updates, or the driver's samples give its shape. */
  get coarse(): boolean {
    return this.hasCounter && !this.#sensor.isInstant && !this.#driverShaped();
  }

  /** The driver's samples share the steps out: attached, the sensor not instant (its kHz samples say more), the stream live. */
  #driverShaped(): boolean {
    return this.#driver !== null && !this.#sensor.isInstant && !this.#driver.stopped();
  }

  /** The range the GPU's power stays in, W: a little under the lowest reading to above its limit (the measured H200 overshot 700 W to 827 W for ~10 ms). */
  powerRange(): PowerRange {
    const minW = Number.isFinite(this.#minReadingW) ? 0.9 * this.#minReadingW : 0;
    const maxW = Math.max(1.2 * (this.powerLimitW ?? 0), Number.isFinite(this.#maxReadingW) ? 1.05 * this.#maxReadingW : 0);
    return { minW, maxW };
  }

  /** Time of the last sample, ns rel, or -Infinity. */
  get lastSampleT(): number {
    return this.#samples.lastTimeNs;
  }

  /** The earliest instant still covered by retained samples, ns rel. */
  get firstSampleT(): number {
    return this.#samples.firstTimeNs;
  }

  /** The latest sampled power, W (NaN before the first sample). */
  get lastPowerW(): number {
    return this.#lastPowerW;
  }

  /** Time of the last anchor, ns rel, or -Infinity. */
  get lastAnchorT(): number {
    return this.#anchors.last?.timeNs ?? -Infinity;
  }

  /** Added to the raw counter after its resets (driver reloads), J: E(t) less this is the raw counter's scale. */
  get counterOffsetJ(): number {
    return this.#anchors.offsetJ;
  }

  get bytes(): number {
    return this.#samples.bytes + this.#anchors.bytes;
  }

  /** Registers a scope boundary at t (ns rel): the work, and so the power, changes there. */
  markBoundary(t: number, label: string | null = null, tokens = NaN): void {
    this.#boundaries.markBoundary(t, label, tokens);
  }

  /** A phase segment's token covariate (see BoundaryPowerModel.tokenCovariate). */
  get tokenCovariate(): BoundaryPowerModel['tokenCovariate'] {
    return this.#boundaries.tokenCovariate;
  }

  /** Number of counter updates inside [a, b] (ns rel). */
  anchorsBetween(a: number, b: number): number {
    return this.#anchors.between(a, b);
  }

  /** Appends one drained batch. */
  append(tNs: BigInt64Array, energyMj: Float64Array, powerMw: Float64Array, energyRet: Int32Array, powerRet: Int32Array): void {
    for (let i = 0; i < tNs.length; i++) {
      if (this.lostAt !== null) return;
      const t = Number(tNs[i]! - this.originNs);
      if (energyRet[i] === NVML_ERROR_GPU_IS_LOST || powerRet[i] === NVML_ERROR_GPU_IS_LOST) {
        this.lostAt = t;
        return;
      }
      let p = powerMw[i]! / 1000;
      if (!Number.isFinite(p)) {
        this.readErrors++;
        p = this.#lastPowerW;
        if (!Number.isFinite(p)) continue;
      }
      const c = energyMj[i]! / 1000;
      if (this.hasCounter && !Number.isFinite(c) && energyRet[i] !== COUNTER_NOT_READ) this.readErrors++;
      this.#push(t, p, c, energyRet[i] === COUNTER_BASELINE);
    }
    this.#evict();
  }

  /** `baseline`: a sparse window's first read, whose change since the previous read places no update (unless a reset). */
  #push(t: number, p: number, c: number, baseline: boolean): void {
    const samples = this.#samples;
    const n = samples.length;
    if (n > 0 && t <= samples.lastTimeNs) return;
    if (n > 0) {
      const t0 = samples.lastTimeNs;
      const p0 = samples.powerW(n - 1);
      this.#boundaries.closeInterval(t0, t, p0, p, samples.readingRange(n - RECENT_READINGS, n - 1));
      // A gap worth flagging: long enough to hide a whole short phase (shorter jitter is in the uncertainty).
      if (t - t0 > Math.max(5 * this.nominalPeriodNs, GAP_FLAG_NS)) this.gaps.push([t0, t]);
      samples.push(t, p, c, this.#boundaries.integralJ(t0, t, p0, p, t));
    } else samples.push(t, p, c, 0);
    this.#lastPowerW = p;
    this.#sensor.observe(t, p);
    if (p < this.#minReadingW) this.#minReadingW = p;
    if (p > this.#maxReadingW) this.#maxReadingW = p;
    if (!this.hasCounter || !Number.isFinite(c)) return;
    const [previousCounterJ, previousReadT] = [this.#lastCounterJ, this.#lastCounterReadT];
    [this.#lastCounterJ, this.#lastCounterReadT] = [c, t];
    if (Number.isNaN(previousCounterJ) || c === previousCounterJ || n === 0 || (baseline && c > previousCounterJ)) return;
    this.#addAnchor(n, previousCounterJ, c, previousReadT);
  }

  /** The counter changed between its last read (previousReadT) and sample n: places the update, records its anchor. */
  #addAnchor(n: number, previousRawJ: number, rawJ: number, previousReadT: number): void {
    const samples = this.#samples;
    const tPrev = Math.max(Number.isNaN(previousReadT) ? samples.timeNs(n - 1) : previousReadT, samples.timeNs(0));
    const t = samples.timeNs(n);
    const { atNs, halfWidthNs } = this.#grid.place(tPrev, t);
    const integralJ = this.#boundaries.integralToJ(samples, atNs, n - 1);
    // Its timing error is weighed at the highest reading it may have fallen by (a wide window may span a change).
    const update = { atNs, halfWidthNs, rawJ, previousRawJ, integralJ, powerW: samples.readingRange(samples.floorIndex(atNs - halfWidthNs), n).maxW };
    const resetFromNs = this.#anchors.recordUpdate(update, { timeNs: samples.timeNs(0), integralJ: samples.integralJ(0) });
    if (resetFromNs !== null) this.resets.push([resetFromNs, t]);
    const m = this.#anchors.length;
    if (m >= 2 && resetFromNs === null) {
      this.#coarse.learnStep(m - 2);
      this.#sensor.observeCounterStep(counterStepEvidence(samples, this.#anchors, m - 2));
    }
  }

  #evict(): void {
    const extra = this.#samples.length - this.maxSamples;
    if (extra <= 0) return;
    this.#samples.dropFront(Math.max(extra, Math.floor(this.maxSamples / 4)));
    const first = this.#samples.firstTimeNs;
    this.#anchors.dropBefore(first);
    this.#boundaries.dropBefore(first);
  }

  /** E(t) for one instant, t in ns relative to originNs. */
  point(t: number): PointEstimate {
    const integral = this.#power.integral(t);
    if (!this.hasCounter) return this.#power.withoutCounter(integral, t <= this.lastSampleT);
    const anchorCount = this.#anchors.length;
    const k = this.#anchors.floorIndex(t);
    if (anchorCount === 0) return this.#power.beforeAnyAnchor(integral, this.#lastPowerW);
    if (k < 0) return this.#power.beforeFirstAnchor(integral);
    if (k === anchorCount - 1) return this.#power.afterLastAnchor(integral, k);
    // Samples not yet drained for this step: provisional until they are.
    if (this.#driverShaped()) return this.#driver!.point(t, k) ?? { ...this.#coarse.point(t, k), settled: false };
    if (this.coarse) return this.#coarse.point(t, k);
    return this.#power.betweenAnchors(t, integral, k, this.averagedPower);
  }

  /**
   * Energy of [a, b] (ns rel). When both ends fall in the same anchor interval the
   * interpolation errors largely cancel, and the uncertainty says so.
   */
  interval(a: number, b: number, pa: PointEstimate = this.point(a), pb: PointEstimate = this.point(b)): IntervalEstimate {
    const energyJ = pb.energyJ - pa.energyJ;
    const flags = this.flagsBetween(a, b);
    if (pa.extrapolated || pb.extrapolated) flags.push('extrapolated');
    // Points settled before the sensor was known to be instant were made as on a coarse one: judged so.
    const coarse = this.coarse || pa.coarseModel !== undefined || pb.coarseModel !== undefined;
    if (coarse && this.hasCounter && !flags.includes('coarse-sensor')) flags.push('coarse-sensor');
    let uncertaintyJ = pa.uncertaintyJ + pb.uncertaintyJ;
    let method: EnergyMethod;
    if (!this.hasCounter) {
      method = 'power-integration';
      uncertaintyJ += this.#power.withoutCounterJ(a, b, energyJ, this.averagedPower);
    } else if (coarse) {
      ({ method, uncertaintyJ } = this.#coarse.interval(a, b, energyJ, pa, pb));
    } else {
      method = this.#anchors.between(a, b) >= 2 ? 'energy-counter' : 'counter-interpolated';
      const k = pa.anchorInterval;
      const oneStep = k !== null && k >= 0 && k === pb.anchorInterval && pa.settled && pb.settled;
      if (oneStep && pa.shape === 'driver-samples' && pb.shape === 'driver-samples') {
        uncertaintyJ = this.#driver!.withinOneStepJ(a, b, pa, pb, k) ?? uncertaintyJ;
      } else if (oneStep && !this.averagedPower) uncertaintyJ = this.#power.withinOneStepJ(a, b, k);
    }
    uncertaintyJ = Math.min(uncertaintyJ, rangeBoundJ(energyJ, (b - a) / 1e9, this.powerRange()));
    if (flags.includes('counter-reset')) uncertaintyJ += this.#anchors.ratioSpread() * Math.abs(energyJ);
    return { energyJ, uncertaintyJ, method, settled: pa.settled && pb.settled, flags };
  }

  /** Flags that apply to anything measured in [a, b]: counter resets, sampling gaps, the power source. */
  flagsBetween(a: number, b: number): MeasurementFlag[] {
    const overlaps = (spans: ReadonlyArray<[number, number]>) => spans.some(([from, to]) => to >= a && from <= b);
    const flags: MeasurementFlag[] = [];
    if (!this.hasCounter) flags.push('no-energy-counter');
    if (this.averagedPower) flags.push('averaged-power');
    if (this.coarse) flags.push('coarse-sensor');
    if (overlaps(this.resets)) flags.push('counter-reset');
    if (overlaps(this.gaps)) flags.push('sampling-gap');
    return flags;
  }

  /** Retained samples in [fromNs, toNs] (absolute monotonic ns). */
  samples(fromNs?: bigint, toNs?: bigint): TimelineSamples {
    return { gpu: this.gpu, ...this.#samples.exportBetween(this.originNs, fromNs, toNs) };
  }
}
