/**
 * timeline.json's shape, checked as strictly as the report's: every field typed, no unknown keys,
 * spans' columns of one length and their phase indices in range. The page draws only what passes.
 */
import { z } from 'zod';
import type { SameType } from '../util/same-type.js';
import type { TimelineFile } from './timeline-recorder.js';

const finite = z.number().finite();
const nonNegativeInt = z.number().int().nonnegative();
const nullableEnergy = finite.nullable();

const TimelineCpuSchema = z.strictObject({
  packageEnergyJ: nullableEnergy,
  dramEnergyJ: nullableEnergy,
  reason: z.string().nullable(),
  phases: z.record(z.string(), z.strictObject({ packageEnergyJ: nullableEnergy, dramEnergyJ: nullableEnergy })),
});

export const TimelineFileSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    binMs: z.number().positive().finite(),
    originNs: z.string().regex(/^-?\d+$/),
    gpus: z.array(z.strictObject({ index: nonNegativeInt, name: z.string().nullable(), powerW: z.array(finite.nullable()) })),
    phases: z.array(z.string()),
    spans: z.strictObject({ run: z.array(nonNegativeInt), phase: z.array(nonNegativeInt), startMs: z.array(finite), endMs: z.array(finite) }),
    runs: z.array(z.strictObject({ index: nonNegativeInt, startMs: finite, endMs: finite, cpu: TimelineCpuSchema.nullable().optional() })),
  })
  .superRefine((file, ctx) => {
    const { run, phase, startMs, endMs } = file.spans;
    for (const [name, column] of Object.entries({ phase, startMs, endMs })) {
      if (column.length !== run.length)
        ctx.addIssue({ code: 'custom', path: ['spans', name], message: `has ${column.length} entries where run has ${run.length}` });
    }
    const badPhase = phase.findIndex((p) => p >= file.phases.length);
    if (badPhase >= 0) ctx.addIssue({ code: 'custom', path: ['spans', 'phase', badPhase], message: `phase index ${phase[badPhase]} is not in phases` });
  });

// The plain type (timeline-recorder.ts) and the schema must agree; this fails to compile otherwise.
const timelineAgrees: SameType<z.infer<typeof TimelineFileSchema>, TimelineFile> = true;
void timelineAgrees;
