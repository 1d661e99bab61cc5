/**
 * The suite must pass in a clone with nothing beside it: no test, script or benchmark may
 * reach outside the repository (for instance ../shared, which exists only in the developers'
 * workspace). `.ci/run` also runs the whole suite in such a copy; this test names the culprit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const scanned = ['test', 'scripts', 'bench', 'src', '.ci'];
const outsidePatterns = [/['"`]\.\.['"`]\s*,\s*['"`]\.\.['"`]\s*,\s*['"`]shared/, /\.\.\/shared\b/, /\.\.\/\.\.\/shared\b/];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'fixtures' || name === 'results') return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs|sh)$|^run$/.test(name) ? [full] : [];
  });
}

describe('self-contained suite', () => {
  it('no test, script or benchmark refers to ../shared', () => {
    const offenders: string[] = [];
    for (const file of scanned.flatMap((d) => sourceFiles(path.join(root, d)))) {
      if (file === import.meta.filename) continue;
      const text = readFileSync(file, 'utf8');
      text.split('\n').forEach((line, i) => {
        if (outsidePatterns.some((re) => re.test(line))) offenders.push(`${path.relative(root, file)}:${i + 1}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('the published fixtures are present, with their source and licence', () => {
    const readme = readFileSync(path.join(root, 'test', 'fixtures', 'README.md'), 'utf8');
    for (const task of ['asr', 'image_classification', 'question_answering', 'summarization', 'text_generation']) {
      const csv = readFileSync(path.join(root, 'test', 'fixtures', 'ai-energy-score-leaderboard-2025-02', `${task}.csv`), 'utf8');
      expect(csv.split('\n')[0]).toMatch(/^model,total_gpu_energy,energy_score/);
    }
    expect(readme).toMatch(/licence/i);
    expect(readme).toMatch(/Apache License 2\.0/);
    const report = JSON.parse(readFileSync(path.join(root, 'test', 'fixtures', 'optimum-benchmark-report-example', 'benchmark_report.json'), 'utf8'));
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['preprocess', 'prefill', 'decode']));
  });
});
