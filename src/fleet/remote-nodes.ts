/**
 * The other nodes of a benchmark that spans several (a model too large for one machine): each runs
 * `wattscope exporter`, one Prometheus server scrapes them all, and after each run the runner reads
 * from Prometheus the increase of every remote GPU's energy counter over the run's window.
 *
 * The window is placed by this node's clock and the samples by the Prometheus server's (a sample's
 * timestamp is its scrape's start): the two are assumed to agree within `clockSkewMs` (hosts kept
 * by NTP or chrony agree within milliseconds), and the server's Date header is checked against it
 * coarsely (1 s resolution). A node whose counter has no scrape around an edge of the window, or
 * that Prometheus cannot be asked about, is missing, never zero.
 */
import { z } from 'zod';
import type { NodeGpuRecord, NodeShareRecord } from '../formats/report-types.js';
import { WattscopeError } from '../util/errors.js';
import { httpUrl } from '../util/options.js';
import { sleep } from '../util/sleep.js';
import { medianIntervalS, windowEnergy, type EdgeTiming } from './counter-window.js';
import { promqlString, queryRangeVector, type PrometheusSeries } from './prometheus-api.js';

/** The counter every node's exporter serves (`wattscope exporter`), J. */
export const ENERGY_METRIC = 'wattscope_gpu_energy_joules_total';
/** How often NVML's energy counter steps, ms (about every 100 ms on an H100: see the README's sensor table). */
export const COUNTER_UPDATE_MS = 100;
/** A Date header this far from this node's clock breaks the clock-skew assumption, whatever it is, ms (the header has 1 s resolution). */
const DATE_HEADER_TOLERANCE_MS = 2000;

/** The benchmark option (and `run` config field) `nodes`. */
export const NodesOptionSchema = z
  .object({
    /** The Prometheus server that scrapes every node's exporter, e.g. http://prometheus:9090. */
    prometheus: httpUrl(),
    /** The other nodes' exporters, as Prometheus labels them (`instance`, e.g. "gpu-node-2:9400"). */
    exporters: z.array(z.string().min(1)).min(1),
    /** How far this node's clock and the Prometheus server's may differ, ms (default 50). */
    clockSkewMs: z.number().min(0).max(60_000).default(50),
    /** How long to wait after a run for the scrape that closes its window, s (default: 3 scrape intervals plus 5 s). */
    waitS: z.number().min(0).max(3600).optional(),
  })
  .strict();
export type NodesOption = z.input<typeof NodesOptionSchema>;
export type ResolvedNodesOption = z.output<typeof NodesOptionSchema>;

export class RemoteNodes {
  readonly option: ResolvedNodesOption;
  /** The slowest exporter's scrape interval as first seen, s. */
  readonly scrapeIntervalS: number;
  readonly timing: EdgeTiming;
  /** Set when Prometheus's Date header disagreed with this node's clock beyond the assumption. */
  clockWarning: string | null = null;

  private constructor(option: ResolvedNodesOption, scrapeIntervalS: number) {
    this.option = option;
    this.scrapeIntervalS = scrapeIntervalS;
    this.timing = { counterLagMs: COUNTER_UPDATE_MS / 2, edgeUncertaintyMs: option.clockSkewMs + COUNTER_UPDATE_MS / 2 };
  }

  /**
   * Checks that Prometheus answers and already holds at least two scrapes of every exporter's
   * counter (waiting up to waitS, default 30 s, for them); a WATTSCOPE_NODE_NOT_SCRAPED error names the exporter it lacks.
   */
  static async connect(option: ResolvedNodesOption, signal?: AbortSignal): Promise<RemoteNodes> {
    const deadlineMs = Date.now() + (option.waitS ?? 30) * 1000;
    const intervalsS: number[] = [];
    for (const [index, instance] of option.exporters.entries()) {
      for (;;) {
        const { series } = await queryRangeVector(option.prometheus, `${selectorOf(instance)}[5m]`, Date.now(), signal);
        const scraped = series.filter((s) => s.samples.length >= 2);
        if (series.length > 0 && scraped.length === series.length) {
          // The same rule as each window's: the median gap between scrapes.
          intervalsS.push(...scraped.map((s) => medianIntervalS(s.samples)!));
          break;
        }
        if (Date.now() > deadlineMs || signal?.aborted) {
          throw new WattscopeError(
            'WATTSCOPE_NODE_NOT_SCRAPED',
            `Prometheus at ${option.prometheus} has ${series.length === 0 ? 'no' : 'fewer than two scrapes of'} ${ENERGY_METRIC}{instance="${instance}"}: is the exporter running there, and a scrape target (up{instance="${instance}"})?`,
            { field: `nodes.exporters.${index}` },
          );
        }
        await sleep(500);
      }
    }
    return new RemoteNodes(option, Math.max(...intervalsS));
  }

  /** How long a run waits for the scrapes after its end, ms. */
  get waitMs(): number {
    return (this.option.waitS ?? 3 * this.scrapeIntervalS + 5) * 1000;
  }

  /** Each remote node's GPU energy over [startMs, endMs] (Unix ms by this node's clock), once scraped past the end. */
  async shares(startMs: number, endMs: number, signal?: AbortSignal): Promise<NodeShareRecord[]> {
    const deadlineMs = Date.now() + this.waitMs;
    return Promise.all(this.option.exporters.map((instance) => this.#shareOf(instance, startMs, endMs, deadlineMs, signal)));
  }

  async #shareOf(instance: string, startMs: number, endMs: number, deadlineMs: number, signal?: AbortSignal): Promise<NodeShareRecord> {
    // Far enough back to find the scrape before the start, whatever the interval.
    const lookbackMs = Math.max(60_000, 4 * this.scrapeIntervalS * 1000);
    for (;;) {
      let gpus: NodeGpuRecord[];
      try {
        const atMs = Date.now();
        const rangeMs = Math.ceil(atMs - (startMs - lookbackMs));
        const { series, serverDateMs } = await queryRangeVector(this.option.prometheus, `${selectorOf(instance)}[${rangeMs}ms]`, atMs, signal);
        this.#checkClock(serverDateMs, atMs);
        if (series.length === 0) return missingNode(instance, `Prometheus holds no ${ENERGY_METRIC} for instance ${instance} over the run`);
        gpus = series.map((s) => this.#gpuOf(s, startMs, endMs));
      } catch (err) {
        return missingNode(instance, (err as Error).message);
      }
      const waitingForScrape = gpus.some((g) => g.reason?.startsWith('no scrape after'));
      if (!waitingForScrape || Date.now() >= deadlineMs || signal?.aborted) return shareOf(instance, gpus);
      await sleep(Math.min(250, (this.scrapeIntervalS * 1000) / 2));
    }
  }

  #gpuOf(series: PrometheusSeries, startMs: number, endMs: number): NodeGpuRecord {
    const energy = windowEnergy(series.samples, startMs, endMs, this.timing);
    return {
      gpu: series.labels.gpu ?? '',
      // dcgm-exporter's label name since 0.2; `uuid` from earlier wattscope exporters.
      uuid: series.labels.UUID ?? series.labels.uuid ?? null,
      energyJ: energy.energyJ,
      uncertaintyJ: energy.uncertaintyJ,
      resets: energy.resets,
      reason: energy.reason,
    };
  }

  #checkClock(serverDateMs: number | null, sentAtMs: number): void {
    if (serverDateMs === null) return;
    // The header is truncated to the second: the server's clock is in [date, date + 1 s).
    const offMs = Math.max(serverDateMs - Date.now(), sentAtMs - (serverDateMs + 1000), 0);
    if (offMs > DATE_HEADER_TOLERANCE_MS) {
      this.clockWarning = `clock-skew: Prometheus's clock (its Date header) is at least ${(offMs / 1000).toFixed(1)} s off this node's; remote energies assume ${this.option.clockSkewMs} ms and are misplaced in time`;
    }
  }
}

/** The energy counter's series of one exporter. */
function selectorOf(instance: string): string {
  return `${ENERGY_METRIC}{instance=${promqlString(instance)}}`;
}

function missingNode(instance: string, reason: string): NodeShareRecord {
  return { node: instance, source: 'prometheus', energyJ: null, uncertaintyJ: null, gpus: [], flags: ['node-counter-missing'], reason };
}

/** A node's share from its GPUs': their sum when every GPU's is known. */
function shareOf(instance: string, gpus: NodeGpuRecord[]): NodeShareRecord {
  const unknown = gpus.filter((g) => g.energyJ === null);
  const flags = [...(unknown.length ? ['node-counter-missing'] : []), ...(gpus.some((g) => g.resets > 0) ? ['node-counter-reset'] : [])];
  const sum = (key: 'energyJ' | 'uncertaintyJ') => gpus.reduce((total, g) => total + g[key]!, 0);
  return {
    node: instance,
    source: 'prometheus',
    energyJ: unknown.length ? null : sum('energyJ'),
    uncertaintyJ: unknown.length ? null : sum('uncertaintyJ'),
    gpus,
    flags,
    reason: unknown.length ? unknown.map((g) => `gpu ${g.gpu}: ${g.reason}`).join('; ') : null,
  };
}
