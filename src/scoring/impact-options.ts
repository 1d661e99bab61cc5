/** The impact estimate's options, validated with zod (internal: the public type is ImpactOptions). */
import { z } from 'zod';
import type { SameType } from '../util/same-type.js';
import type { ImpactOptions } from './impact.js';
import { REGION_FACTORS, type Region } from './impact-factors.js';

export const ImpactOptionsSchema = z
  .object({
    /** GPU energy per 1,000 queries, Wh (from the benchmark). */
    gpuWhPer1000: z.number().min(0),
    cpuWhPer1000: z.number().min(0).optional(),
    ramWhPer1000: z.number().min(0).optional(),
    networkWhPer1000: z.number().min(0).optional(),
    storageWhPer1000: z.number().min(0).optional(),
    bytesPerQuery: z.number().min(0).optional(),
    pue: z.number().min(1).max(5).optional(),
    gridGCo2ePerKwh: z.number().min(0).max(2000).optional(),
    wueLPerKwh: z.number().min(0).max(100).optional(),
    region: z.enum(Object.keys(REGION_FACTORS) as [Region, ...Region[]]).optional(),
    /** Queries per day, for the daily and yearly figures. */
    queriesPerDay: z.number().min(0).optional(),
  })
  .strict();

// The plain type (impact.ts) and the schema must agree; this fails to compile otherwise.
const optionsAgree: SameType<z.input<typeof ImpactOptionsSchema>, ImpactOptions> = true;
void optionsAgree;
