/**
 * Records a benchmark's power timeline for the report page: every second it
 * pulls the monitor's new samples (well within its retention) and averages them
 * into 1 ms bins per GPU; phase spans are added per run. The result is written
 * as timeline.json beside the reports.
 */
import type { EnergyMonitor } from '../monitor/monitor.js';
import type { RunSummary } from '../monitor/types.js';

export interface TimelineFile {
  schemaVersion: 1;
  /** Bin width, ms; bin i covers [i * binMs, (i + 1) * binMs) after originNs. */
  binMs: number;
  /** Monotonic ns of bin 0. */
  originNs: string;
  gpus: Array<{ index: number; name: string | null; powerW: Array<number | null> }>;
  phases: string[];
  /** Phase spans, columnar: run index, phase (index into `phases`), start and end in ms after originNs. */
  spans: { run: number[]; phase: number[]; startMs: number[]; endMs: number[] };
  /**
   * Run windows in ms after originNs, with the run's CPU packages' and DRAM energy and each
   * phase's (RAPL, J; null figures with the reason; null when CPU energy is not read, absent in older files).
   */
  runs: Array<{ index: number; startMs: number; endMs: number; cpu?: TimelineCpu | null }>;
}

/** A run's CPU energy in timeline.json. */
export interface TimelineCpu {
  packageEnergyJ: number | null;
  dramEnergyJ: number | null;
  reason: string | null;
  phases: Record<string, { packageEnergyJ: number | null; dramEnergyJ: number | null }>;
}

/** The CPU figures of a run summary as timeline.json keeps them. */
function timelineCpu(summary: RunSummary): TimelineCpu | null {
  if (summary.cpu === null) return null;
  const phases: TimelineCpu['phases'] = {};
  for (const [name, total] of Object.entries(summary.phases)) {
    phases[name] = { packageEnergyJ: total.cpu?.packageEnergyJ ?? null, dramEnergyJ: total.cpu?.dramEnergyJ ?? null };
  }
  return { packageEnergyJ: summary.cpu.packageEnergyJ, dramEnergyJ: summary.cpu.dramEnergyJ, reason: summary.cpu.reason, phases };
}

export class TimelineRecorder {
  readonly binMs: number;
  readonly #monitor: EnergyMonitor;
  readonly #originNs: bigint;
  readonly #binNs: bigint;
  readonly #sinceNs: bigint[];
  readonly #sums: Array<Map<number, { sum: number; n: number }>>;
  readonly #power: Array<Array<number | null>>;
  readonly #phases: string[] = [];
  readonly #spans = { run: [] as number[], phase: [] as number[], startMs: [] as number[], endMs: [] as number[] };
  readonly #runs: TimelineFile['runs'] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(monitor: EnergyMonitor, binMs = 1) {
    this.#monitor = monitor;
    this.binMs = binMs;
    this.#binNs = BigInt(Math.round(binMs * 1e6));
    this.#originNs = process.hrtime.bigint();
    this.#sinceNs = monitor.gpus.map(() => this.#originNs);
    this.#sums = monitor.gpus.map(() => new Map());
    this.#power = monitor.gpus.map(() => []);
  }

  start(): void {
    this.#timer ??= setInterval(() => this.pull(), 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#monitor.closed) this.pull();
  }

  /** Bins the samples that arrived since the last pull. */
  pull(): void {
    if (this.#monitor.closed) return;
    this.#monitor.gpus.forEach((g, slot) => {
      const s = this.#monitor.timeline(g.index, this.#sinceNs[slot]! + 1n);
      const sums = this.#sums[slot]!;
      for (let i = 0; i < s.tNs.length; i++) {
        const bin = Number((s.tNs[i]! - this.#originNs) / this.#binNs);
        const acc = sums.get(bin) ?? { sum: 0, n: 0 };
        acc.sum += s.powerW[i]!;
        acc.n++;
        sums.set(bin, acc);
      }
      if (s.tNs.length) this.#sinceNs[slot] = s.tNs[s.tNs.length - 1]!;
      // Close every bin before the one still filling.
      const open = Number((this.#sinceNs[slot]! - this.#originNs) / this.#binNs);
      const power = this.#power[slot]!;
      for (const [bin, acc] of [...sums.entries()].sort((a, b) => a[0] - b[0])) {
        if (bin >= open) break;
        while (power.length < bin) power.push(null);
        power[bin] = Math.round((acc.sum / acc.n) * 10) / 10;
        sums.delete(bin);
      }
    });
  }

  /** Adds a finished run's window and phase spans (the summary must come from startRun(..., { keepSpans: true })). */
  addRun(index: number, summary: RunSummary): void {
    const ms = (ns: bigint) => Math.round(Number(ns - this.#originNs) / 1e3) / 1e3;
    this.#runs.push({ index, startMs: ms(summary.startNs), endMs: ms(summary.endNs), cpu: timelineCpu(summary) });
    for (const sp of summary.spans ?? []) {
      let p = this.#phases.indexOf(sp.phase);
      if (p < 0) p = this.#phases.push(sp.phase) - 1;
      this.#spans.run.push(index);
      this.#spans.phase.push(p);
      this.#spans.startMs.push(ms(sp.startNs));
      this.#spans.endMs.push(ms(sp.endNs));
    }
  }

  toJSON(): TimelineFile {
    return {
      schemaVersion: 1,
      binMs: this.binMs,
      originNs: this.#originNs.toString(),
      gpus: this.#monitor.gpus.map((g, slot) => ({ index: g.index, name: g.name, powerW: this.#power[slot]! })),
      phases: this.#phases,
      spans: this.#spans,
      runs: this.#runs,
    };
  }
}
