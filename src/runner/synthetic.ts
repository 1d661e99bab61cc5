/**
 * The demo's built-in synthetic workload: a deterministic 1,000-query dataset and
 * a handler whose phases draw known power from the simulated H100 for known
 * times (preprocess 110 W for 1 ms, prefill 420-670 W for 1.3-2.4 ms growing with
 * input length, decode 330 W for 1.6 ms and 10 tokens), so the result can be checked by
 * hand. Phases span several samples at the demo's 5 kHz sampling.
 */
import type { QueryContext } from '../monitor/scope.js';
import type { Dataset, DatasetRow } from './dataset.js';
import type { BenchmarkHandler } from './runner.js';

const WORDS = [
  'energy',
  'watt',
  'joule',
  'model',
  'token',
  'prefill',
  'decode',
  'query',
  'tensor',
  'kernel',
  'memory',
  'batch',
  'layer',
  'attention',
  'sample',
  'score',
];

/** A deterministic dataset of `queries` text rows (20-399 words each). */
export function syntheticDataset(queries = 1000): Dataset {
  const rows: DatasetRow[] = [];
  for (let i = 0; i < queries; i++) {
    let seed = ((i + 1) * 2654435761) % 2 ** 32;
    const nWords = 20 + ((i * 37) % 380);
    const words: string[] = [];
    for (let w = 0; w < nWords; w++) {
      seed = (seed * 1664525 + 1013904223) % 2 ** 32;
      words.push(WORDS[seed % WORDS.length]!);
    }
    const text = words.join(' ');
    rows.push({ index: i, id: String(i + 1), text, inputs: { text } });
  }
  return { name: `synthetic-${queries}`, source: 'builtin:synthetic', format: 'builtin', columns: ['text'], rows };
}

/** Power (W) and duration (ms) of each phase for a row: the workload's ground truth. */
export function syntheticPhasePlan(row: DatasetRow): Array<{ phase: 'preprocess' | 'prefill' | 'decode'; powerW: number; durationMs: number; tokens: number }> {
  const words = row.text.split(' ').length;
  return [
    { phase: 'preprocess', powerW: 110, durationMs: 1.0, tokens: 0 },
    { phase: 'prefill', powerW: 420 + (Math.min(words, 400) / 400) * 250, durationMs: 1.2 + words * 0.003, tokens: words },
    { phase: 'decode', powerW: 330, durationMs: 1.6, tokens: 10 },
  ];
}

function spin(ms: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < end) {
    // busy: the phase "computes"
  }
}

/** The handler: each phase sets the simulated power, computes for its duration, counts its tokens. */
export function syntheticHandler(control: { set(watts: number): unknown }, idleW = 70): BenchmarkHandler {
  return async (row: DatasetRow, q: QueryContext) => {
    for (const step of syntheticPhasePlan(row)) {
      await q.phase(
        step.phase,
        () => {
          control.set(step.powerW);
          spin(step.durationMs);
        },
        step.phase === 'preprocess' ? { samples: 1 } : { tokens: step.tokens },
      );
    }
    control.set(idleW);
  };
}
