/** Timeline export: CSV and JSON of a GPU's power samples. */
import type { TimelineSamples } from './types.js';

/** CSV with a header: t_ns (monotonic), power_w, counter_j (empty where the read failed). */
export function timelineToCsv(s: TimelineSamples): string {
  const lines = ['gpu,t_ns,power_w,counter_j'];
  for (let i = 0; i < s.tNs.length; i++) {
    const c = s.counterJ[i]!;
    lines.push(`${s.gpu},${s.tNs[i]},${s.powerW[i]},${Number.isFinite(c) ? c : ''}`);
  }
  return lines.join('\n') + '\n';
}

/** A JSON-safe object: timestamps as decimal strings of ns, power in W, counter in J (null on failure). */
export function timelineToJson(s: TimelineSamples): { gpu: number; tNs: string[]; powerW: number[]; counterJ: Array<number | null> } {
  return {
    gpu: s.gpu,
    tNs: Array.from(s.tNs, (t) => t.toString()),
    powerW: Array.from(s.powerW),
    counterJ: Array.from(s.counterJ, (c) => (Number.isFinite(c) ? c : null)),
  };
}
