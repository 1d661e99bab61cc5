/** The published JSON Schema of wattscope-report.json is generated from the zod schema and kept in step. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/native/binding.js';
import { reportJsonSchema } from '../src/formats/report-json-schema.js';
import { VERSION } from '../src/util/version.js';

describe('published schema and version', () => {
  it('schema/wattscope-report.schema.json equals the zod schema (npm run schema regenerates it)', () => {
    const published = JSON.parse(readFileSync(path.join(packageRoot, 'schema', 'wattscope-report.schema.json'), 'utf8'));
    expect(published).toEqual(reportJsonSchema());
    expect(published.properties.runs.type).toBe('array');
  });

  it("the version in reports is package.json's", () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version);
  });
});
