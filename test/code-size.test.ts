/** One job per file and per function: no source file over 300 lines, no function over 80. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Functions longer than `maxLines` in one file's text, as "file:name (lines)". */
export function longFunctions(file: string, text: string, maxLines: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const name = (node as { name?: ts.Node }).name?.getText(source) ?? '<anonymous>';
      if (last - first + 1 > maxLines) found.push(`${file}:${name} (${last - first + 1})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('code size', () => {
  const files = sourceFiles(SRC).map((full) => ({ file: path.relative(SRC, full), text: readFileSync(full, 'utf8') }));

  it('no source file is over 300 lines', () => {
    expect(files.filter((f) => f.text.split('\n').length - 1 > 300).map((f) => f.file)).toEqual([]);
  });

  it('no function is over 80 lines', () => {
    expect(files.flatMap((f) => longFunctions(f.file, f.text, 80))).toEqual([]);
  });

  it('the function check sees a long function', () => {
    const body = Array.from({ length: 85 }, (_, i) => `  const x${i} = ${i};`).join('\n');
    expect(longFunctions('x.ts', `export function big() {\n${body}\n}\n`, 80)).toEqual(['x.ts:big (87)']);
  });
});
