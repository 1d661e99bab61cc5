/**
 * The source's layers only point down: a module may import its own layer or a lower one, never a
 * higher one. Lowest first: small shared utilities; the native addon and NVML; the simulated GPU's
 * controls; measurement (what the sampler gives, one GPU's samples: sampling; the estimators over them;
 * the timeline that holds them; the monitor with its scopes and runs); file formats (the report schema, the AI Energy Score and optimum formats,
 * timeline export); other nodes' energy through Prometheus; the benchmark runner; integrations (the OpenAI-compatible client, serving
 * statistics, node-llama-cpp); scoring; the report page; the CLI; the package's subpath entries (public/); and its
 * main entry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');
const LAYERS = [
  'util',
  'native',
  'nvml',
  'cpu',
  'sim',
  'sampling',
  'estimators',
  'timeline',
  'monitor',
  'formats',
  'fleet',
  'runner',
  'server',
  'llama',
  'scoring',
  'report',
  'metrics',
  'cli',
  'public',
  '.',
];

/** Relative import specifiers of a source file: static imports, re-exports and dynamic import(). */
export function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) found.push(match[1]!);
  return found;
}

function layerOf(file: string): number {
  const dir = path.dirname(path.relative(SRC, file)).split(path.sep)[0]!;
  const index = LAYERS.indexOf(dir);
  if (index < 0) throw new Error(`${path.relative(SRC, file)}: its folder is in no layer (add it to LAYERS)`);
  return index;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every import that points up a layer, as "from -> to". */
export function upwardImports(files: Array<{ file: string; source: string }>): string[] {
  const upward: string[] = [];
  for (const { file, source } of files) {
    for (const spec of relativeImports(source)) {
      const target = path.resolve(path.dirname(file), spec);
      if (layerOf(target) > layerOf(file)) upward.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
    }
  }
  return upward;
}

describe('layers', () => {
  it('no module imports a higher layer', () => {
    const files = sourceFiles(SRC).map((file) => ({ file, source: readFileSync(file, 'utf8') }));
    expect(files.length).toBeGreaterThan(50);
    expect(upwardImports(files)).toEqual([]);
  });

  it('the check sees static imports, type imports, re-exports and dynamic imports pointing up', () => {
    const file = path.join(SRC, 'monitor', 'example.ts');
    const source = [
      "import { a } from '../runner/runner.js';",
      "import type { B } from '../report/html.js';",
      "export { c } from '../cli/main.js';",
      "const d = await import('../server/client.js');",
      "import '../scoring/stars.js';",
      "import { e } from '../util/errors.js';",
      "import { f } from './timeline.js';",
    ].join('\n');
    expect(upwardImports([{ file, source }])).toEqual([
      'monitor/example.ts -> runner/runner.js',
      'monitor/example.ts -> report/html.js',
      'monitor/example.ts -> cli/main.js',
      'monitor/example.ts -> server/client.js',
      'monitor/example.ts -> scoring/stars.js',
    ]);
  });
});
