/**
 * On the simulated GPU only: the simulator's exact energy beside which a report's estimates can be
 * judged (src/cli/demo-truth.ts computes it). The plain type and its zod schema, kept the same by
 * a compile-time check.
 */
import { z } from 'zod';
import type { SameType } from '../util/same-type.js';
import type { SimulatedTruth } from './report-parts.js';

export type { SimulatedRunTruth, SimulatedTruth } from './report-parts.js';

const Joules = z.record(z.string(), z.number());

export const SimulatedTruthSchema = z.object({
  sensorProfile: z.string(),
  counter: z.string(),
  phaseWhPer1000: Joules,
  totalWhPer1000: z.number(),
  isolatedWhPer1000: Joules.optional(),
  separatePassesWhPer1000: Joules.optional(),
  runs: z.array(z.object({ index: z.number().int(), phaseJ: Joules, isolatedJ: Joules.optional(), separatePassesJ: Joules.optional() })).optional(),
});

const truthAgrees: SameType<z.infer<typeof SimulatedTruthSchema>, SimulatedTruth> = true;
void truthAgrees;
