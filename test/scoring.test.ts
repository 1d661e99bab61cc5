/** Star ratings against the published leaderboard, edge cases, placing a result, model classes. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bandEdges, modelClass, parseLeaderboard, placeResult, rate, readLeaderboard, starRating } from '../src/public/scoring.js';

const dir = path.resolve(import.meta.dirname, 'fixtures', 'ai-energy-score-leaderboard-2025-02');

describe('the published February 2025 leaderboard', () => {
  it('reproduces every energy_score from total_gpu_energy alone (105 rows: 104 models, one listed twice)', () => {
    let rows = 0;
    const models = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.csv'))) {
      const board = readLeaderboard(path.join(dir, f));
      for (const e of rate(board)) {
        expect({ file: f, model: e.model, stars: e.stars }).toEqual({ file: f, model: e.model, stars: e.publishedStars });
        rows++;
        models.add(`${f}:${e.model}`);
      }
    }
    expect(rows).toBe(105);
    expect(models.size).toBe(104);
  });

  it('text generation is rated within classes A, B, C', () => {
    const board = readLeaderboard(path.join(dir, 'text_generation.csv'));
    expect(new Set(board.map((e) => e.class))).toEqual(new Set(['A', 'B', 'C']));
    // Rated as one group, some models would get other stars: the classes matter.
    const pooled = rate(board.map((e) => ({ ...e, class: null })));
    expect(pooled.some((e, i) => e.stars !== board[i]!.publishedStars)).toBe(true);
  });
});

describe('edge cases (documented in src/scoring/stars.ts)', () => {
  it('a single model, or all equal: 5 stars', () => {
    expect(starRating(3, 3, 3)).toBe(5);
    const one = parseLeaderboard('model,total_gpu_energy\nm,0.5\n', 'one.csv');
    expect(rate(one)[0]!.stars).toBe(5);
    expect(rate(parseLeaderboard('model,total_gpu_energy\na,2\nb,2\n', 'eq.csv')).map((e) => e.stars)).toEqual([5, 5]);
  });

  it('band edges: min is 5, an exact edge falls into the less efficient band, max is 1', () => {
    expect(starRating(0, 0, 10)).toBe(5);
    expect(starRating(1.999, 0, 10)).toBe(5);
    expect(starRating(2, 0, 10)).toBe(4);
    expect(starRating(4, 0, 10)).toBe(3);
    expect(starRating(8, 0, 10)).toBe(1);
    expect(starRating(10, 0, 10)).toBe(1);
    // A computed edge with floating-point noise still counts as the edge.
    const min = 0.1;
    const max = 0.7;
    expect(starRating(min + ((max - min) * 3) / 5, min, max)).toBe(2);
    expect(bandEdges(0, 10).map((b) => [b.stars, b.from, b.to])).toEqual([
      [5, 0, 2],
      [4, 2, 4],
      [3, 4, 6],
      [2, 6, 8],
      [1, 8, 10],
    ]);
  });

  it('a missing, non-numeric or negative energy, or no energy column, is an error naming the line', () => {
    expect(() => parseLeaderboard('model,total_gpu_energy\na,1\nb,\n', 'm.csv')).toThrow(
      expect.objectContaining({
        code: 'WATTSCOPE_BAD_LEADERBOARD',
        line: 3,
        field: 'total_gpu_energy',
        message: expect.stringMatching(/m\.csv:3: model "b": total_gpu_energy is missing/),
      }),
    );
    expect(() => parseLeaderboard('model,total_gpu_energy\na,abc\n', 'n.csv')).toThrow(
      expect.objectContaining({ line: 2, message: expect.stringMatching(/"abc" is not a number/) }),
    );
    expect(() => parseLeaderboard('model,total_gpu_energy\na,-0.2\n', 'neg.csv')).toThrow(
      expect.objectContaining({ line: 2, message: expect.stringMatching(/negative/) }),
    );
    expect(() => parseLeaderboard('model,energy\na,1\n', 'cols.csv')).toThrow(
      expect.objectContaining({ line: 1, field: 'total_gpu_energy', message: expect.stringMatching(/no "total_gpu_energy" column/) }),
    );
  });
});

describe('placing a new result', () => {
  const board = parseLeaderboard('model,total_gpu_energy,energy_score\na,0.001,5\nb,0.003,3\nc,0.006,1\n', 'b.csv');

  it('inside the range: stars from the existing bands, nobody else changes', () => {
    const p = placeResult(board, { model: 'new', energyWh: 2.5 });
    expect(p.entry).toMatchObject({ model: 'new', stars: 4, added: true });
    expect(p.rank).toBe(2);
    expect(p.of).toBe(4);
    expect(p.widensRange).toBe(false);
    expect(p.changed).toEqual([]);
    expect(p.bandEdgesWh[0]).toEqual({ stars: 5, from: 1, to: 2 });
  });

  it('outside the range: it widens it and says whose stars change', () => {
    const p = placeResult(board, { model: 'hungry', energyWh: 16 });
    expect(p.entry.stars).toBe(1);
    expect(p.widensRange).toBe(true);
    expect(p.changed).toEqual([
      { model: 'b', before: 3, after: 5 },
      { model: 'c', before: 1, after: 4 },
    ]);
  });
});

describe('model classes', () => {
  it('A up to 20 B, B up to 66 B, C above, at FP16; INT8/INT4 reduce the memory', () => {
    expect(modelClass(7e9)).toEqual({ class: 'A', memoryGb: 16.8 });
    expect(modelClass(20e9).class).toBe('A');
    expect(modelClass(21e9).class).toBe('B');
    expect(modelClass(66e9).class).toBe('B');
    expect(modelClass(70e9).class).toBe('C');
    expect(modelClass(40e9, 'int8')).toEqual({ class: 'A', memoryGb: 48 });
    expect(modelClass(70e9, 'int4').class).toBe('A');
    expect(modelClass(120e9, 'int8').class).toBe('B');
    expect(modelClass(20e9, 'fp32').class).toBe('B');
    expect(() => modelClass(-1)).toThrow(expect.objectContaining({ code: 'WATTSCOPE_INVALID_ARGUMENT', field: 'parameters' }));
    expect(() => modelClass(1e9, 'int3' as never)).toThrow(expect.objectContaining({ field: 'precision' }));
  });

  it('modelClass gives the published class of every text-generation model whose name states its size', () => {
    // "7B", "8x7B" (a mixture of experts: at most 8 x 7B held), "135M"; names without a size are skipped.
    const statedParameters = (name: string): number | null => {
      const m = /(?:(\d+)x)?(\d+(?:\.\d+)?)([BbMm])(?![a-zA-Z])/.exec(name.split('/')[1]!);
      if (!m) return null;
      return Number(m[1] ?? 1) * Number(m[2]) * (m[3]!.toUpperCase() === 'B' ? 1e9 : 1e6);
    };
    const checked = readLeaderboard(path.join(dir, 'text_generation.csv')).flatMap((e) => {
      const parameters = statedParameters(e.model);
      return parameters === null ? [] : [{ model: e.model, class: modelClass(parameters).class, published: e.class }];
    });
    expect(checked.length).toBe(29);
    expect(new Set(checked.map((c) => c.published))).toEqual(new Set(['A', 'B', 'C']));
    for (const c of checked) expect({ model: c.model, class: c.class }).toEqual({ model: c.model, class: c.published });
  });
});
