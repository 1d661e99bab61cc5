/** The label (SVG and PNG) and the impact estimates, with hand-computed examples. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { estimateImpact, labelPng, labelSvg } from '../src/public/scoring.js';
import { runCli } from './helpers/cli.js';
import { configureSim } from './helpers/sim.js';
import { decodePng, differingPixels } from './helpers/png.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'wattscope-label-'));
beforeEach(() => void configureSim());
const data = {
  model: 'org/model-7b <beta>',
  date: '2026-11-23',
  task: 'text-generation',
  hardware: 'NVIDIA H100 80GB HBM3',
  energyWh: 133.7118,
  stars: 3 as const,
};

function pngSize(buf: Buffer): { width: number; height: number } {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe('the label', () => {
  it('a result not comparable with the leaderboard says so on its face, with the reasons; a comparable one has no band', () => {
    const reasons = ['measured on the simulated GPU, not a real one', "120 queries per run, not the methodology's 1,000"];
    const marked = labelSvg({ ...data, notComparable: reasons });
    expect(marked).toContain('NOT LEADERBOARD-COMPARABLE');
    expect(marked).toContain('measured on the simulated GPU, not a real one (+1 more)');
    expect(marked).toContain(`Not comparable with the AI Energy Score leaderboard: ${reasons.join('; ').replace("'", '&apos;')}`);
    expect(labelSvg(data)).not.toContain('NOT LEADERBOARD-COMPARABLE');
  });

  it('wattscope label of a demo result (simulated, few queries): the drawn label carries the band', () => {
    const out = tmp();
    expect(runCli(['demo', '--out', out, '--runs', '1', '--queries', '30', '--idle', '0.1']).status).toBe(0);
    const svgOut = path.join(out, 'label.svg');
    const r = runCli(['label', out, '--stars', '3', '--out', svgOut]);
    expect(r.status, r.stderr).toBe(0);
    const svg = readFileSync(svgOut, 'utf8');
    expect(svg).toContain('NOT LEADERBOARD-COMPARABLE');
    expect(svg).toMatch(/simulated GPU/);
  }, 60_000);

  it('SVG: design size, the fields, escaped text, five stars (filled and empty)', async () => {
    const svg = labelSvg(data);
    expect(svg).toMatch(/<svg [^>]*width="260" height="364"/);
    expect(svg).toContain('AI Energy Score');
    expect(svg).toContain('org/model-7b &lt;beta&gt;');
    expect(svg).toContain('2026-11-23');
    expect(svg).toContain('text-generation');
    expect(svg).toContain('NVIDIA H100 80GB HBM3');
    expect(svg).toContain('GPU energy (Wh) per 1,000 queries');
    expect(svg).toMatch(/id="energy"[^>]*>133\.71</);
    expect(svg.match(/class="star-filled"/g)).toHaveLength(3);
    expect(svg.match(/class="star-empty"/g)).toHaveLength(2);
    expect(svg).toContain('huggingface.co/spaces/AIEnergyScore/Leaderboard');
    // Well-formed enough for a real SVG renderer to parse it.
    const { Resvg } = await import('@resvg/resvg-js');
    expect(new Resvg(svg).width).toBe(260);
  });

  it('PNG at 2x: 520 x 728, not blank, its text drawn with the bundled font', async () => {
    const svg = labelSvg(data);
    const png = await labelPng(svg);
    expect(pngSize(png)).toEqual({ width: 520, height: 728 });
    const image = decodePng(png);
    const white = decodePng(await labelPng('<svg xmlns="http://www.w3.org/2000/svg" width="260" height="364"/>'));
    const pixels = image.width * image.height;
    // Not blank: a fifth or more of the label is drawn.
    expect(differingPixels(image, white) / pixels).toBeGreaterThan(0.2);
    // The text is drawn (a missing font draws none): the label without its text differs in 2% or more of its pixels.
    const withoutText = decodePng(await labelPng(svg.replace(/<text\b[^>]*>[^<]*<\/text>/g, '')));
    expect(svg.match(/<text\b/g)!.length).toBeGreaterThan(5);
    expect(differingPixels(image, withoutText) / pixels).toBeGreaterThan(0.02);
  });

  it('wattscope label writes SVG and PNG from a result directory and a leaderboard', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'GPU_ENERGY_WH.txt'), '2.50\n');
    const csv = path.join(dir, 'lb.csv');
    writeFileSync(csv, 'model,total_gpu_energy\na,0.001\nb,0.006\n');
    const svgOut = path.join(dir, 'label.svg');
    let r = runCli(['label', dir, '--model', 'me/m', '--task', 'summarization', '--leaderboard', csv, '--out', svgOut]);
    expect(r.stderr).toBe('');
    expect(readFileSync(svgOut, 'utf8')).toMatch(/class="star-filled"/);
    expect(r.stdout).toMatch(/4 stars/);
    const pngOut = path.join(dir, 'label.png');
    r = runCli(['label', dir, '--model', 'me/m', '--task', 'summarization', '--stars', '2', '--out', pngOut]);
    expect(r.status).toBe(0);
    expect(pngSize(readFileSync(pngOut))).toEqual({ width: 520, height: 728 });
    r = runCli(['label', dir, '--model', 'me/m', '--task', 'summarization', '--out', pngOut]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/give --leaderboard CSV/);
  });
});

describe('impact estimates', () => {
  it('a hand-computed example with every factor given', () => {
    const e = estimateImpact({
      gpuWhPer1000: 100,
      cpuWhPer1000: 10,
      ramWhPer1000: 2,
      networkWhPer1000: 3,
      storageWhPer1000: 5,
      pue: 1.5,
      gridGCo2ePerKwh: 402,
      wueLPerKwh: 2,
      region: 'france',
      queriesPerDay: 1e6,
    });
    // (100 + 10 + 2 + 3 + 5) x 1.5 = 180 Wh = 0.18 kWh per 1,000 queries.
    expect(e.per1000Queries.energyWh).toBeCloseTo(180, 10);
    expect(e.per1000Queries.carbonGCo2e).toBeCloseTo(0.18 * 402, 10); // 72.36 g
    expect(e.per1000Queries.waterL).toBeCloseTo(0.36, 12);
    expect(e.per1000Queries.adpeKgSbEq).toBeCloseTo(0.18 * 4.858e-8, 20);
    expect(e.per1000Queries.primaryEnergyMj).toBeCloseTo(0.18 * 11.3, 10); // 2.034 MJ
    // 1e6 queries a day = 1,000 x per-1,000: 180 kWh, 72.36 kg CO2e; a year is 365 days.
    expect(e.perDay!.energyWh).toBeCloseTo(180_000, 6);
    expect(e.perDay!.carbonGCo2e).toBeCloseTo(72_360, 6);
    expect(e.perYear!.energyWh).toBeCloseTo(180_000 * 365, 3);
    expect(e.defaulted).toEqual({});
  });

  it('defaults are used and named with their source; regions switch ADPe and PE', () => {
    const e = estimateImpact({ gpuWhPer1000: 133.71 });
    expect(e.inputs.pue).toBe(1.58);
    expect(e.inputs.gridGCo2ePerKwh).toBe(402);
    expect(e.inputs.region).toBe('world');
    expect(e.inputs.peMjPerKwh).toBe(9.99);
    expect(Object.keys(e.defaulted).sort()).toEqual([
      'bytesPerQuery',
      'cpuFractionOfGpu',
      'gridGCo2ePerKwh',
      'networkWhPer1000',
      'pue',
      'ramFractionOfGpu',
      'region',
      'storageWhPer1000',
      'wueLPerKwh',
    ]);
    // 4096 B x 1,000 queries = 4.096e-3 GB x 0.06 kWh/GB = 0.24576 Wh.
    expect(e.inputs.networkWhPer1000).toBeCloseTo(0.24576, 10);
    expect(e.inputs.cpuWhPer1000).toBeCloseTo(133.71 * 0.0589, 10);
    for (const [region, adpe, pe] of [
      ['eea', 6.423e-8, 12.9],
      ['usa', 9.855e-8, 11.4],
      ['china', 8.515e-8, 14.1],
    ] as const) {
      const r = estimateImpact({ gpuWhPer1000: 1000, cpuWhPer1000: 0, ramWhPer1000: 0, networkWhPer1000: 0, storageWhPer1000: 0, pue: 1, region });
      expect(r.per1000Queries.adpeKgSbEq).toBeCloseTo(adpe, 20);
      expect(r.per1000Queries.primaryEnergyMj).toBeCloseTo(pe, 10);
    }
  });

  it('bad inputs: an unknown region, a negative energy, a PUE under 1', () => {
    expect(() => estimateImpact({ gpuWhPer1000: 1, region: 'mars' as never })).toThrow(
      expect.objectContaining({ code: 'WATTSCOPE_INVALID_OPTIONS', field: 'region' }),
    );
    expect(() => estimateImpact({ gpuWhPer1000: -1 })).toThrow(expect.objectContaining({ field: 'gpuWhPer1000' }));
    expect(() => estimateImpact({ gpuWhPer1000: 1, pue: 0.9 })).toThrow(expect.objectContaining({ field: 'pue' }));
    const dir = tmp();
    writeFileSync(path.join(dir, 'GPU_ENERGY_WH.txt'), '1.00\n');
    const r = runCli(['impact', dir, '--region', 'atlantis']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown region "atlantis" \(known: world, eea, usa, china, france\)/);
    const j = runCli(['impact', dir, '--region', 'USA', '--volume', '2000', '--json']);
    expect(JSON.parse(j.stdout).inputs.region).toBe('usa');
  });

  it("the default grid intensity is said to be a gas plant's, not a grid average; a given one is not", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'GPU_ENERGY_WH.txt'), '1.00\n');
    const defaulted = runCli(['impact', dir]);
    expect(defaulted.stdout).toMatch(/grid 402 g CO2e\/kWh \(default: a gas combined-cycle plant, not a grid average; set --grid\)/);
    expect(defaulted.stdout).toMatch(/region world \(ADPe and PE factors only\)/);
    const given = runCli(['impact', dir, '--grid', '56']);
    expect(given.stdout).toMatch(/grid 56 g CO2e\/kWh, WUE/);
  });
});
