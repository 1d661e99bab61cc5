/** The report's JSON Schema (draft 2020-12), generated from its zod schema (which stays internal). */
import { z } from 'zod';
import { WattscopeReportSchema } from './report-schema.js';

export function reportJsonSchema(): unknown {
  return z.toJSONSchema(WattscopeReportSchema, { target: 'draft-2020-12' });
}
