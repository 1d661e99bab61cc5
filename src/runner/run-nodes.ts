/**
 * A run's GPU energy across nodes: this node's own figures (high resolution, per phase) beside each
 * remote node's, read from Prometheus over the run's window; and how the remote energy enters the
 * per-phase figures (apportioned as the local GPUs' energy is split between the phases: the remote
 * counters are seen only every scrape, too coarse to tell the phases apart).
 */
import type { NodeShareRecord, RunNodesRecord } from '../formats/report-types.js';
import type { RemoteNodes } from '../fleet/remote-nodes.js';
import { ENERGY_METRIC } from '../fleet/remote-nodes.js';
import type { RunSummary } from '../monitor/types.js';

/** A monotonic instant (process.hrtime.bigint(), ns) as Unix ms by this node's clock. */
export function epochMsOf(monotonicNs: bigint): number {
  const offsetMs = Date.now() - Number(process.hrtime.bigint()) / 1e6;
  return Number(monotonicNs) / 1e6 + offsetMs;
}

/** Every node's share of the run, the local node first; waits for the remote scrapes that close its window. */
export async function runNodesRecord(nodes: RemoteNodes, summary: RunSummary, gpuCount: number, signal?: AbortSignal): Promise<RunNodesRecord> {
  const windowStartMs = epochMsOf(summary.startNs);
  const windowEndMs = epochMsOf(summary.endNs);
  const local: NodeShareRecord = {
    node: 'local',
    source: 'local',
    energyJ: summary.totalEnergyJ,
    uncertaintyJ: summary.totalUncertaintyJ,
    gpus: [],
    flags: [],
    reason: gpuCount === 0 ? 'no GPU measured on this node' : null,
  };
  const shares = [local, ...(await nodes.shares(windowStartMs, windowEndMs, signal))];
  const known = shares.filter((s) => s.energyJ !== null);
  return {
    windowStartMs,
    windowEndMs,
    shares,
    totalEnergyJ: known.reduce((sum, s) => sum + s.energyJ!, 0),
    totalUncertaintyJ: known.reduce((sum, s) => sum + s.uncertaintyJ!, 0),
    complete: known.length === shares.length,
  };
}

/** The remote nodes' flags, for the run's own flags (each once). */
export function nodeFlags(record: RunNodesRecord): string[] {
  return [...new Set(record.shares.flatMap((s) => s.flags))];
}

/**
 * The factor that turns the local node's phase energies into every node's: the known total over
 * the local total (1 when the local total is not positive, with nothing to apportion by).
 */
export function apportionFactor(record: RunNodesRecord | null, localEnergyJ: number): number {
  if (record === null || !(localEnergyJ > 0)) return 1;
  return record.totalEnergyJ / localEnergyJ;
}

/** What the report says of a benchmark across nodes. */
export function nodesNote(nodes: RemoteNodes): string {
  const { prometheus, exporters, clockSkewMs } = nodes.option;
  return (
    `nodes: each run adds the GPU energy of ${exporters.join(', ')}, the increase of ${ENERGY_METRIC} in Prometheus (${prometheus}, ` +
    `scraped about every ${nodes.scrapeIntervalS.toFixed(2)} s) interpolated at the run's edges; this node's own figures are its high-resolution ones. ` +
    `Clock-skew assumption: this node's clock and the Prometheus server's agree within ${clockSkewMs} ms; each scrape's value is taken ` +
    `${nodes.timing.counterLagMs} ms before its timestamp (the counter steps every 100 ms), and each edge's uncertainty covers ` +
    `${nodes.timing.edgeUncertaintyMs} ms at the node's power plus where the counter can be between the scrapes around it. ` +
    `phaseWhPer1000 apportions the remote energy to the phases as this node's GPU energy is split between them; ` +
    `a run with a node's counter missing or reset is flagged (node-counter-missing, node-counter-reset) and left out of the means`
  );
}
