/**
 * A run's figures by the AI Energy Score's own method (separate passes, src/runner/separate-passes.ts),
 * as wattscope-report.json and the run files keep them: the plain type and its zod schema, which a
 * compile-time check keeps the same.
 */
import { z } from 'zod';
import type { SameType } from '../util/same-type.js';
import type { SeparatePassesRecord } from './report-parts.js';

export type { ScoreMethod, SeparatePassesRecord } from './report-parts.js';

export const SeparatePassesSchema = z.object({
  passes: z.array(z.object({ endsAfter: z.string(), energyJ: z.number(), uncertaintyJ: z.number(), durationS: z.number(), queries: z.number().int() })),
  phases: z.record(z.string(), z.object({ energyJ: z.number(), uncertaintyJ: z.number() })),
  phaseWhPer1000: z.record(z.string(), z.number()),
});

export const ScoreMethodSchema = z.enum(['in-situ', 'separate-passes']);

const passesAgree: SameType<z.infer<typeof SeparatePassesSchema>, SeparatePassesRecord> = true;
void passesAgree;
