/**
 * report.html in a real browser: headless Chromium (Debian's package) driven by
 * playwright-core. Skipped, with the reason, where /usr/bin/chromium is absent
 * (.ci/run installs it, so CI runs these).
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildReportHtml } from '../src/report/html.js';
import type { TimelineFile } from '../src/formats/timeline-recorder.js';
import { WattscopeReportSchema, type WattscopeReport } from '../src/formats/report-schema.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { configureSim } from './helpers/sim.js';
import { runCli } from './helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const leaderboard = path.resolve(import.meta.dirname, 'fixtures', 'ai-energy-score-leaderboard-2025-02', 'text_generation.csv');

async function openPage(file: string) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1240, height: 1400 } });
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('request', (r) => !/^(file|data):/.test(r.url()) && problems.push(`network: ${r.url()}`));
  const started = Date.now();
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { browser, page, problems, readyMs: Date.now() - started };
}

describe.skipIf(!haveChromium)(
  `report.html in headless Chromium${haveChromium ? '' : " (skipped: Debian's chromium is not installed at /usr/bin/chromium)"}`,
  () => {
    it('opens offline with no console errors; the summary equals the JSON report; zoom and a screenshot work', async () => {
      configureSim();
      const out = mkdtempSync(path.join(tmpdir(), 'wattscope-page-'));
      expect(runCli(['demo', '--out', out, '--runs', '2', '--queries', '120', '--idle', '0.2']).status).toBe(0);
      const r = runCli(['report', out, '--leaderboard', leaderboard, '--class', 'A']);
      expect(r.stderr).toBe('');
      const report = WattscopeReportSchema.parse(JSON.parse(readFileSync(path.join(out, 'wattscope-report.json'), 'utf8')));
      const { browser, page, problems } = await openPage(path.join(out, 'report.html'));
      try {
        const value = async (id: string) => Number(await page.getAttribute(`[data-testid="${id}"]`, 'data-value'));
        const a = report.aggregate!;
        for (const p of report.benchmark.phases) {
          expect(await value(`phase-${p}-mean`)).toBe(a.phaseWhPer1000[p]!.mean);
          expect(await value(`phase-${p}-ci-low`)).toBe(a.phaseWhPer1000[p]!.ci95[0]);
          expect(await value(`phase-${p}-ci-high`)).toBe(a.phaseWhPer1000[p]!.ci95[1]);
          for (const run of report.runs) expect(await value(`run-${run.index}-${p}`)).toBe(run.phaseWhPer1000[p]);
        }
        expect(await value('total-mean')).toBe(a.totalWhPer1000.mean);
        // The demo shows the simulator's truth beside each estimate, and the sensor it measured.
        for (const p of report.benchmark.phases) expect(await value(`truth-${p}`)).toBe(report.simulatedTruth!.phaseWhPer1000[p]);
        expect(await page.textContent('[data-testid="sensor"]')).toMatch(
          /^GPU 0: (instant \(resolves|periodic, refreshed every \d+\.\d ms \(coarse|unknown after \d+ reading changes)/,
        );
        expect(await page.textContent('[data-testid="simulated-profile"]')).toMatch(/sensor profile (ideal|h100), counter (true|windowed)/);
        expect(await value('gpu-energy-wh')).toBe(report.aiEnergyScore!.gpuEnergyWh);
        expect(await page.textContent('[data-testid="gpu-energy-wh"]')).toBe(readFileSync(path.join(out, 'GPU_ENERGY_WH.txt'), 'utf8').trim());
        expect(await value('stars')).toBeGreaterThanOrEqual(1);
        // A simulated 120-query demo is not leaderboard-comparable: the page says so on its face, with every reason.
        expect(await page.locator('[data-testid="not-comparable"] li').allTextContents()).toEqual(report.comparability.reasons);
        expect(await page.locator('#label svg #not-comparable').count()).toBe(1);
        expect(await page.locator('#label svg').count()).toBe(1);
        // One timeline chart per GPU plus the per-run chart, drawn on canvases.
        expect(await page.locator('.uplot').count()).toBe(report.device.gpus.length + 1);
        // The per-run chart labels its x axis with whole run numbers only (not 0.5, 1.5, ...).
        const runTicks = (await page.getAttribute('#runs-chart', 'data-x-ticks'))!.split(',');
        expect(runTicks.length).toBeGreaterThan(0);
        for (const tick of runTicks) expect(tick).toMatch(/^\d+$/);
        const over = page.locator('#timeline-charts .u-over').first();
        const box = (await over.boundingBox())!;
        await page.mouse.move(box.x + box.width * 0.5, box.y + 40);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width * 0.503, box.y + 40);
        await page.mouse.up();
        await page.waitForTimeout(200);
        const shot = path.join(out, 'report.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(50_000);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 120_000);

    it('names from timeline.json reach the page as text: a handler planted in a GPU or phase name never runs', async () => {
      const out = mkdtempSync(path.join(tmpdir(), 'wattscope-inject-'));
      const base = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', 'report-minimal.json'), 'utf8')) as WattscopeReport;
      const planted = '<img src=x onerror="document.body.dataset.pwned=1">';
      const timeline: TimelineFile = {
        schemaVersion: 1,
        binMs: 1,
        originNs: '0',
        gpus: [{ index: 0, name: planted, powerW: [100, 200, 300, 200] }],
        phases: [planted],
        spans: { run: [0], phase: [0], startMs: [0], endMs: [2] },
        runs: [{ index: 0, startMs: 0, endMs: 4 }],
      };
      const file = path.join(out, 'report.html');
      writeFileAtomic(file, buildReportHtml(WattscopeReportSchema.parse(base), timeline));
      const { browser, page } = await openPage(file);
      try {
        await page.waitForTimeout(300);
        expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
        expect(await page.locator('#timeline-charts h3').first().textContent()).toBe(`GPU 0 (${planted}): power, W`);
        expect(await page.locator('#phase-legend').textContent()).toContain(planted);
        expect(await page.locator('#timeline-charts img, #phase-legend img').count()).toBe(0);
      } finally {
        await browser.close();
      }
    }, 60_000);

    it('an hour-long 1 kHz timeline stays responsive (downsampled for display, full data inline)', async () => {
      const out = mkdtempSync(path.join(tmpdir(), 'wattscope-hour-'));
      const base = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', 'report-minimal.json'), 'utf8')) as WattscopeReport;
      const bins = 3600 * 1000;
      const powerW = new Array<number>(bins);
      for (let i = 0; i < bins; i++) powerW[i] = i % 40 < 15 ? 600 : i % 40 < 30 ? 330 : 110;
      const spans = { run: [] as number[], phase: [] as number[], startMs: [] as number[], endMs: [] as number[] };
      for (let q = 0; q < 90_000; q++)
        for (let p = 0; p < 3; p++) {
          spans.run.push(0);
          spans.phase.push(p);
          spans.startMs.push(q * 40 + p * 15);
          spans.endMs.push(q * 40 + p * 15 + (p === 2 ? 10 : 15));
        }
      const timeline: TimelineFile = {
        schemaVersion: 1,
        binMs: 1,
        originNs: '0',
        gpus: [{ index: 0, name: 'NVIDIA H100 80GB HBM3', powerW }],
        phases: ['prefill', 'decode', 'preprocess'],
        spans,
        runs: [{ index: 0, startMs: 0, endMs: bins }],
      };
      const file = path.join(out, 'report.html');
      writeFileAtomic(file, buildReportHtml(WattscopeReportSchema.parse(base), timeline));
      const { browser, page, problems, readyMs } = await openPage(file);
      try {
        expect(readyMs).toBeLessThan(15_000);
        // A zoom redraw on the full hour's data stays quick.
        const over = page.locator('#timeline-charts .u-over').first();
        const box = (await over.boundingBox())!;
        const t0 = Date.now();
        await page.mouse.move(box.x + 100, box.y + 40);
        await page.mouse.down();
        await page.mouse.move(box.x + 102, box.y + 40);
        await page.mouse.up();
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
        expect(Date.now() - t0).toBeLessThan(3_000);
        expect(await page.locator('.band-note').first().textContent()).toBe('');
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 120_000);
  },
);

describe('timeline.json validation', () => {
  it('a timeline with an unknown key, a wrong type or a span out of range is an error naming the file and field', () => {
    configureSim();
    const out = mkdtempSync(path.join(tmpdir(), 'wattscope-timeline-bad-'));
    expect(runCli(['demo', '--out', out, '--runs', '1', '--queries', '20', '--idle', '0.2']).status).toBe(0);
    const tlFile = path.join(out, 'timeline.json');
    const good = JSON.parse(readFileSync(tlFile, 'utf8')) as TimelineFile & Record<string, unknown>;
    const cases: Array<[string, (t: TimelineFile & Record<string, unknown>) => void, string]> = [
      ['an unknown key', (t) => (t.onload = 'alert(1)'), 'file'],
      ['a GPU name of the wrong type', (t) => ((t.gpus[0] as unknown as Record<string, unknown>).name = { html: '<b>' }), 'gpus.0.name'],
      ['a span naming no phase', (t) => (t.spans.phase[0] = t.phases.length + 3), 'spans.phase.0'],
    ];
    for (const [what, edit, field] of cases) {
      const edited = structuredClone(good);
      edit(edited);
      writeFileAtomic(tlFile, JSON.stringify(edited));
      const r = runCli(['report', out]);
      expect(r.status, what).not.toBe(0);
      expect(r.stderr, what).toContain(tlFile);
      expect(r.stderr, what).toContain(field === 'file' ? 'Unrecognized key' : field);
    }
  }, 60_000);
});
