/** EnergyMonitor: owns an NVML session, the native sampler and one timeline per GPU, and turns scope boundaries into measurements. */
import type { CpuSampling, CpuStatus } from '../cpu/cpu-sampling.js';
import { WattscopeError } from '../util/errors.js';
import type { DeviceStatus, LibraryInfo } from '../nvml/session.js';
import { monitorStats, openGpus, type MonitorGpu } from './gpu-sampling.js';
import { startSampling, type MonitorDependencies, type MonitorSampling, type OpenedGpus } from './monitor-sampling.js';
import type { Boundary, ScopeRecord } from './ledger.js';
import { buildMeasurement, noGpuMeasurement } from './measurement.js';
import { parseMonitorOptions, type MonitorOptions, type ResolvedMonitorOptions } from './options.js';
import { newRunState, summarizeRun, type RunState } from './run-summary.js';
import { Scope, type QueryContext, type ScopeCounts, type ScopeHost } from './scope.js';
import { ScopeBook } from './scope-book.js';
import { newBoundary, Settlement } from './settlement.js';
import type { PowerTimeline } from '../timeline/timeline.js';
import { counterAtLastSample, type CounterEstimate } from '../timeline/counter-estimate.js';
import { scopeMetricsRecorder, type PromClientRegistry } from './scope-metrics.js';
import { lazyMeasured, lazyQueryRecord } from './lazy-records.js';
import { openTelemetryBridge } from './otel-bridge.js';
import type { OtelProviders } from './otel-types.js';
import type { DriverPowerSamples, Measurement, MonitorStats, QueryRecord, RunSummary, TimelineSamples } from './types.js';

export type { CounterEstimate, CpuStatus, MonitorDependencies, MonitorGpu, MonitorStats };

export class EnergyMonitor implements ScopeHost, AsyncDisposable {
  readonly options: ResolvedMonitorOptions;
  readonly library: LibraryInfo;
  readonly gpus: MonitorGpu[];
  readonly originNs: bigint;
  // NoGpuSampling for a monitor without a GPU (ifUnavailable: 'noop'), whose `unavailableReason` says why.
  readonly #sampling: MonitorSampling;
  readonly #timelines: PowerTimeline[];
  readonly #settlement: Settlement;
  readonly #cpu: CpuSampling | null; // the RAPL zones read beside the GPUs (null: `cpu: false`, or no GPU)
  /** Why this monitor measures nothing (opened with `ifUnavailable: 'noop'` on a machine without a GPU), or null. */
  readonly unavailableReason: string | null;
  readonly #book: ScopeBook;
  #closed: Promise<Measurement[]> | null = null;

  private constructor(options: ResolvedMonitorOptions, gpus: OpenedGpus) {
    this.options = options;
    if (options.onMeasurement) this.#listeners.push(options.onMeasurement);
    ({
      originNs: this.originNs,
      sampling: this.#sampling,
      cpu: this.#cpu,
      unavailableReason: this.unavailableReason,
    } = startSampling(options, gpus, () => this.#drain()));
    this.library = this.#sampling.library;
    this.gpus = this.#sampling.gpus;
    this.#timelines = this.#sampling.timelines;
    this.#settlement = new Settlement(this.#timelines, this.#cpu);
    this.#book = new ScopeBook({
      boundary: () => this.#boundary(),
      label: (b, label, tokens) => {
        for (const tl of this.#timelines) tl.markBoundary(b.t, label, tokens);
      },
      ended: (rec) => {
        for (const hook of this.#endHooks) hook(rec);
        if (!this.#sampling.measures) rec.settled = true;
        else this.#settlement.addEndedScope(rec);
      },
      attributing: this.#sampling.measures,
    });
  }

  /**
   * Opens NVML (real, or simulated with `simulate: true`), selects GPUs and starts sampling on a
   * native thread. Throws WattscopeError / NvmlError; without a GPU to measure, returns a monitor
   * that measures nothing instead when `ifUnavailable: 'noop'` (see MonitorOptions).
   */
  static async open(options: MonitorOptions = {}, dependencies: MonitorDependencies = {}): Promise<EnergyMonitor> {
    const o = parseMonitorOptions(options);
    const gpus = openGpus(o, dependencies.binding);
    if ('unavailable' in gpus) return new EnergyMonitor(o, gpus);
    try {
      const monitor = new EnergyMonitor(o, gpus);
      const none = monitor.gpus.find((g) => g.powerSource === 'none' && !g.hasEnergyCounter);
      if (none) {
        await monitor.close();
        throw new WattscopeError('WATTSCOPE_NO_POWER_SOURCE', `GPU ${none.index} reports neither an energy counter nor power; it cannot be measured`);
      }
      return monitor;
    } catch (err) {
      gpus.session.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  /** Opens a scope for code that cannot be wrapped. `using s = monitor.begin('decode')` ends it at block exit. */
  begin(name: string, options: { phase?: string } = {}): Scope {
    this.#checkOpen();
    if (typeof name !== 'string' || name.length === 0) {
      throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', 'a scope needs a non-empty name', { field: 'name' });
    }
    return new Scope(this, this.#book.open(name, options.phase ?? null));
  }

  /** Runs `fn` (sync or async) in a scope named `name` and returns its result with the measurement (settled unless `settle: false`). Errors are recorded and rethrown. */
  async measure<T>(name: string, fn: () => T | Promise<T>, options: { settle?: boolean } & ScopeCounts = {}): Promise<{ result: T; measurement: Measurement }> {
    this.#checkFn(fn);
    const rec = this.#book.open(name, null);
    const result = await this.#book.runIn(rec, fn, options);
    if (options.settle !== false) return { result, measurement: await this.settledOf(rec) };
    return lazyMeasured(result, rec, (r) => this.measurementOf(r));
  }

  /** Runs one query: `fn` receives a context whose `phase(name, fn)` measures each phase. Phases of concurrent queries are told apart through the async context. */
  async query<T>(id: string | number, fn: (q: QueryContext) => T | Promise<T>, counts: ScopeCounts = {}): Promise<QueryRecord<T>> {
    this.#checkFn(fn);
    const queryId = String(id);
    const rec = this.#book.open(`query:${queryId}`, null, queryId);
    for (const run of this.#book.runs) run.queries++;
    const { state, result: running } = this.#book.runQuery(rec, fn, counts, (phaseFn) => this.#checkFn(phaseFn));
    let result: T;
    try {
      result = await running;
    } catch (err) {
      for (const run of this.#book.runs) run.failedQueries++;
      throw err;
    }
    return lazyQueryRecord(queryId, result, rec, state.phases, (r) => this.measurementOf(r));
  }

  /**
   * Starts a run: phases of queries from now until finish() are totalled, with the gaps as
   * unattributed energy. `keepSpans` adds every phase's span to the summary (for timelines).
   */
  startRun(label = 'run', options: { keepSpans?: boolean } = {}): { finish: () => Promise<RunSummary> } {
    this.#checkOpen();
    const run = newRunState(label, this.#boundary(), options.keepSpans === true, this.options.powerResponseMs / 1000);
    this.#book.runs.add(run);
    let finished: Promise<RunSummary> | null = null;
    return { finish: () => (finished ??= this.#finishRun(run)) };
  }

  /** Waits until every ended scope's energy is settled (bounded by settleTimeoutMs). */
  async settle(): Promise<void> {
    while (this.#settlement.pendingBoundaries > 0 && !this.#closedSync) await this.#tick();
  }

  /** The retained power and counter samples of GPU `gpu` (NVML index) between two monotonic instants. */
  timeline(gpu: number, fromNs?: bigint, toNs?: bigint): TimelineSamples {
    return this.#timelineOf(gpu).samples(fromNs, toNs);
  }

  /** The driver's own power samples of GPU `gpu` (see `gpus[i].driverSamples`) ending between two monotonic instants. */
  driverPower(gpu: number, fromNs?: bigint, toNs?: bigint): DriverPowerSamples {
    return this.#sampling.driverPower[this.#timelines.indexOf(this.#timelineOf(gpu))]!.samples(fromNs, toNs);
  }

  /** GPU `gpu`'s energy counter as of its latest sample, without reading the counter (see CounterEstimate); null before its first update was seen, or without a counter. */
  counterEstimate(gpu: number): CounterEstimate | null {
    return counterAtLastSample(this.#timelineOf(gpu), this.originNs);
  }

  /** A measured GPU's timeline (throws for another GPU, and without a GPU), with what was sampled drained into it unless `drain` is false. */
  #timelineOf(gpu: number, drain = true): PowerTimeline {
    const tl = this.#timelines.find((t) => t.gpu === gpu);
    if (!tl) throw new WattscopeError('WATTSCOPE_UNKNOWN_GPU', `GPU ${gpu} is not measured by this monitor`, { field: 'gpu' });
    if (drain && !this.closed) this.#drain();
    return tl;
  }

  /** A point-in-time NVML reading of a measured GPU (temperature, clocks, power). */
  deviceStatus(gpu: number): DeviceStatus {
    this.#checkOpen();
    return this.#sampling.deviceStatus(this.#timelineOf(gpu, false).gpu);
  }

  /** The latest sampled power summed over the measured GPUs, W (for live displays). */
  latestPowerW(): number {
    if (!this.#sampling.measures) return NaN;
    return this.#timelines.reduce((s, t) => s + (Number.isFinite(t.lastPowerW) ? t.lastPowerW : 0), 0);
  }

  /** CPU energy as this monitor reads it (zones, why not, power over the last `windowS`); null with `cpu: false` or without a GPU. */
  cpuStatus(windowS = 0.5): CpuStatus | null {
    return this.#cpu?.status(windowS) ?? null;
  }

  stats(): MonitorStats {
    return monitorStats(this.options.sampleHz, this.#closedSync ? null : this.#sampling, this.#timelines, this.originNs, this.#settlement);
  }

  /**
   * Ends scopes still open (reported with outcome 'open-at-close', not dropped),
   * settles what it can, stops the sampler and releases NVML. Idempotent; resolves
   * to the measurements of the scopes that were still open.
   */
  close(): Promise<Measurement[]> {
    this.#closed ??= (async () => {
      const open = this.#book.openScopes();
      for (const rec of open) this.endScope(rec, 'open-at-close');
      const deadline = Date.now() + this.options.settleTimeoutMs;
      while (this.#settlement.pendingBoundaries > 0 && Date.now() < deadline) await this.#tick();
      this.#drain(true);
      this.#closedSync = true;
      this.#sampling.stop();
      return open.map((rec) => this.measurementOf(rec));
    })();
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #closedSync = false;
  /** Called with every settled measurement (onMeasurement, metrics), and as each scope ends (OpenTelemetry). */
  readonly #listeners: Array<(m: Measurement) => void> = [];
  readonly #endHooks: Array<(rec: ScopeRecord) => void> = [];

  /** Adds energy per scope (counter, histogram) and unmeasured scopes to an application's prom-client `registry`. */
  registerMetrics(registry: PromClientRegistry): void {
    this.#listeners.push(scopeMetricsRecorder(registry));
  }

  /** Reports to OpenTelemetry (hw.energy, hw.power per GPU; energy per scope; span attributes) via the given, else global, providers. */
  registerOpenTelemetry(providers: OtelProviders = {}): void {
    const bridge = openTelemetryBridge(() => this.#sampling.otelGpus(), providers);
    this.#endHooks.push((rec) => bridge.scopeEnded(rec));
    this.#listeners.push((m) => bridge.record(m));
  }

  // ---- ScopeHost ----
  /** @internal */
  endScope(rec: ScopeRecord, outcome: Measurement['outcome'], counts: ScopeCounts = {}): void {
    this.#book.end(rec, outcome, counts);
  }

  /** @internal The final measurement once settled (cached), else the provisional one as known now. */
  measurementOf(rec: ScopeRecord): Measurement {
    if (rec.final) return rec.final;
    if (!this.#sampling.measures) return (rec.final = noGpuMeasurement(rec));
    const m = buildMeasurement(rec, this.#timelines, this.#cpu);
    // Extrapolated (forced) ends may still be settled later: not cached until they are.
    if (rec.settled && !rec.start.forced && !rec.end!.forced) rec.final = m;
    return m;
  }

  /** @internal */
  async settledOf(rec: ScopeRecord): Promise<Measurement> {
    // Ref'd timers: a caller awaiting a measurement keeps the process alive (the drain timer does not).
    while (!rec.settled && !this.#closedSync) await this.#tick();
    return this.measurementOf(rec);
  }

  #tick(): Promise<void> {
    return new Promise((r) => setTimeout(r, this.options.drainIntervalMs));
  }

  // ---- internals ----
  #checkOpen(): void {
    if (this.#closed) throw new WattscopeError('WATTSCOPE_CLOSED', 'the EnergyMonitor is closed');
  }

  #checkFn(fn: unknown): void {
    this.#checkOpen();
    if (typeof fn !== 'function') throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `expected a function, got ${typeof fn}`, { field: 'fn' });
  }

  #boundary(): Boundary {
    const b = newBoundary(this.#sampling.nowNs(), this.originNs);
    if (!this.#sampling.measures) b.settled = true;
    else this.#settlement.addBoundary(b);
    return b;
  }

  #drain(force = false): void {
    if (this.#closedSync || !this.#sampling.measures) return;
    this.#sampling.drain();
    const overdueT = Number(this.#sampling.nowNs() - this.originNs) - this.options.settleTimeoutMs * 1e6;
    const listeners = this.#listeners;
    this.#settlement.settle(overdueT, force, (rec) => listeners.length && listeners.forEach((l) => l(this.measurementOf(rec))));
  }

  async #finishRun(run: RunState): Promise<RunSummary> {
    if (!this.#sampling.measures) {
      this.#book.runs.delete(run);
      throw new WattscopeError('WATTSCOPE_NO_GPU', `this monitor has no GPU to measure, so a run has no energy to sum: ${this.unavailableReason}`);
    }
    const end = this.#boundary();
    this.#book.runs.delete(run);
    // Boundaries settle in order: once the run's end has, every phase boundary before it has too.
    while (!end.settled && !this.#closedSync) await this.#tick();
    return summarizeRun(run, end, this.#timelines, this.gpus, this.#settlement.monotonicity, this.#cpu);
  }
}
