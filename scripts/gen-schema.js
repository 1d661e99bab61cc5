// Writes schema/wattscope-report.schema.json from the zod schema (run after `npm run build`).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportJsonSchema } from '../dist/public/runner.js';

const out = path.resolve(import.meta.dirname, '..', 'schema', 'wattscope-report.schema.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(reportJsonSchema(), null, 2) + '\n');
console.log(`wrote ${out}`);
