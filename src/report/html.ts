/**
 * report.html: one self-contained, offline page (uPlot, its CSS, the data and the
 * page code inlined; no network). The summary is rendered here as HTML with the
 * exact values in data-value attributes; the browser draws the charts.
 */
import { readFileSync } from 'node:fs';
import { runTotalWh } from '../runner/analysis.js';
import { isolatedSummary } from '../runner/isolated-summary.js';
import { passesSummary } from '../runner/passes-summary.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describeSensor, driverShaped } from '../sampling/sensor-detect.js';
import type { WattscopeReport } from '../formats/report-types.js';
import { drawPhaseLegend, drawRunChart, drawTimelines, powerEnvelope, reportClient } from './page-client.js';
import type { TimelineFile } from '../formats/timeline-recorder.js';

export const PHASE_COLORS: Record<string, string> = { preprocess: '#8e6cc9', prefill: '#e0752d', decode: '#2e9e44' };
const EXTRA_COLORS = ['#d14f84', '#2a9fb8', '#b59a1b', '#6b7a8f'];

export interface ReportPageExtras {
  /** The AI Energy Score label (SVG) and stars, when rated against a leaderboard. */
  labelSvg?: string;
  stars?: number;
  leaderboard?: string;
}

/** Text made safe for HTML. */
export const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);

/** " · N of 5 stars against <leaderboard>", when rated. */
export const starsHtml = (extras: ReportPageExtras): string =>
  extras.stars
    ? ` · <b data-testid="stars" data-value="${extras.stars}">${extras.stars} of 5 stars</b> against ${esc(extras.leaderboard ?? 'the leaderboard')}`
    : '';

/** The label beside the summary, when rated. */
export const labelHtml = (extras: ReportPageExtras): string =>
  extras.labelSvg ? `<div id="label">${extras.labelSvg.replace(/^<\?xml[^>]*>\s*/, '')}</div>` : '';
const num = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const cell = (id: string, v: number, d = 3) => `<td data-testid="${esc(id)}" data-value="${v}">${num(v, d)}</td>`;
/** A figure that may be unknown: unknown shows a dash and carries no data-value (never a 0). */
const maybeCell = (id: string, v: number | null | undefined, d = 3) =>
  v === null || v === undefined ? `<td data-testid="${esc(id)}" data-value="" title="not measured">–</td>` : cell(id, v, d);
const pct = (fraction: number | null) => (fraction === null ? null : fraction * 100);

function uplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('uplot'));
  return { js: readFileSync(path.join(dist, 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(path.join(dist, 'uPlot.min.css'), 'utf8') };
}

/** JSON safe to place inside a <script> element. */
const inlineJson = (v: unknown) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** The page's own styles (uPlot's come first). */
export const PAGE_CSS = `body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#b9c2d0}
main{padding:10px 28px 40px;max-width:1180px}section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 18px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px}h3{font-size:14px;margin:8px 0}table{border-collapse:collapse;font-size:13px}
td,th{padding:4px 10px;border-bottom:1px solid #eef0f3;text-align:right}th{text-align:left;font-weight:600}tr.total td,tr.total th{font-weight:700}
tr.excluded{color:#9aa3af}.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.kv{display:grid;grid-template-columns:max-content auto;gap:3px 14px;font-size:13px}.score{display:flex;gap:24px;align-items:flex-start}
.band-note{font-size:12px;color:#8a5a00;min-height:14px}.hint{font-size:12px;color:#5b6472}
section.not-comparable{background:#fdecea;border-color:#b3261e}section.not-comparable h2{color:#b3261e}
`;

/** The summary table's rows: each phase's mean and interval (with the simulator's truth when known), the total, the unattributed rest. */
function summaryRowsHtml(report: WattscopeReport, colors: Record<string, string>, truthCells: (p: string, estimate: number | null) => string): string {
  const a = report.aggregate;
  if (!a) return '<tr><td colspan="5">No completed run yet.</td></tr>';
  const rows = report.benchmark.phases.map((p) => {
    const s = a.phaseWhPer1000[p];
    const head = `<tr><th><span class="swatch" style="background:${colors[p]}"></span>${esc(p)}</th>`;
    if (!s) return `${head}<td colspan="4" data-testid="phase-${esc(p)}-mean" data-value="">not measured in any included run</td>${truthCells(p, null)}</tr>`;
    return `${head}${cell(`phase-${p}-mean`, s.mean)}${cell(`phase-${p}-ci-low`, s.ci95[0])}${cell(`phase-${p}-ci-high`, s.ci95[1])}${maybeCell(`phase-${p}-cv`, pct(s.cv), 2)}${truthCells(p, s.mean)}</tr>`;
  });
  rows.push(
    `<tr class="total"><th>total</th>${cell('total-mean', a.totalWhPer1000.mean)}${cell('total-ci-low', a.totalWhPer1000.ci95[0])}${cell('total-ci-high', a.totalWhPer1000.ci95[1])}${maybeCell('total-cv', pct(a.totalWhPer1000.cv), 2)}</tr>`,
  );
  rows.push(
    `<tr><th>unattributed (between phases)</th>${cell('unattributed-mean', a.unattributedWhPer1000.mean)}${cell('unattributed-ci-low', a.unattributedWhPer1000.ci95[0])}${cell('unattributed-ci-high', a.unattributedWhPer1000.ci95[1])}<td></td></tr>`,
  );
  return rows.join('\n');
}

/**
 * Each phase in situ and alone, and what interleaving them cost (Wh per 1,000 queries as measured),
 * when a calibration pass gave the alone figures; nothing otherwise.
 */
function isolatedHtml(report: WattscopeReport, colors: Record<string, string>): string {
  const summary = isolatedSummary(report.runs);
  if (!summary) return '';
  const rows = Object.entries(summary.phases).map(
    ([p, s]) =>
      `<tr><th><span class="swatch" style="background:${colors[p] ?? '#6b7a8f'}"></span>${esc(p)}</th>${cell(`insitu-${p}`, s.inSituWh)}${cell(`insitu-${p}-within`, s.inSituWithinWh)}${cell(`alone-${p}`, s.aloneWh)}${cell(`alone-${p}-within`, s.aloneWithinWh)}</tr>`,
  );
  rows.push(
    `<tr class="total"><th>interleaving overhead (${num(summary.overheadShare * 100, 1)}% of the run)</th><td></td><td></td>${cell('interleaving-overhead', summary.overheadWh)}${cell('interleaving-overhead-within', summary.overheadWithinWh)}</tr>`,
  );
  return `<section id="alone" data-testid="alone"><h2>Each phase in situ and alone (Wh per 1,000 queries, as measured, mean over ${summary.runs} runs)</h2>
<p class="hint">In situ: what the GPU drew while the phase ran, switching included. Alone: the phase's power where it ran by itself (the calibration pass) times its time. The interleaving overhead is the run less its gaps and the phases alone: energy that belongs to no phase.</p>
<table><thead><tr><th>phase</th><th>in situ Wh</th><th>±</th><th>alone Wh</th><th>±</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></section>`;
}

/** Each phase by the AI Energy Score's separate passes beside in situ (Wh per 1,000 queries as measured), where the passes ran. */
function passesHtml(report: WattscopeReport): string {
  const summary = passesSummary(report.runs);
  if (!summary) return '';
  const rows = Object.entries(summary.phases).map(
    ([p, s]) =>
      `<tr><th>${esc(p)}</th>${cell(`passes-${p}`, s.passesWh)}${cell(`passes-${p}-within`, s.passesWithinWh)}${cell(`passes-insitu-${p}`, s.inSituWh)}${cell(`passes-insitu-${p}-within`, s.inSituWithinWh)}</tr>`,
  );
  const scored =
    report.aiEnergyScore?.method === 'separate-passes' ? 'The AI Energy Score files hold these.' : 'The AI Energy Score files hold the in-situ figures.';
  return `<section id="separate-passes" data-testid="separate-passes"><h2>Each phase by the AI Energy Score's separate passes (Wh per 1,000 queries, as measured, mean over ${summary.runs} runs)</h2>
<p class="hint">Before each run, one pass of the dataset per phase but the last, each query ended after that phase, each pass measured whole by the counter; a phase is its pass less the pass before (the run is the last pass), gaps and switching included. ${scored}</p>
<table><thead><tr><th>phase</th><th>separate passes Wh</th><th>±</th><th>in situ Wh</th><th>±</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></section>`;
}

/** A banner on the page's face when the result is not comparable with the leaderboard, with every reason. */
function notComparableHtml(comparability: WattscopeReport['comparability']): string {
  if (comparability.leaderboardComparable) return '';
  const reasons = comparability.reasons.map((r) => `<li>${esc(r)}</li>`).join('');
  return `<section id="not-comparable" data-testid="not-comparable" class="not-comparable"><h2>Not comparable with the AI Energy Score leaderboard</h2><ul>${reasons}</ul></section>`;
}

export function buildReportHtml(report: WattscopeReport, timeline: TimelineFile | null, extras: ReportPageExtras = {}): string {
  const phases = report.benchmark.phases;
  const colors: Record<string, string> = {};
  phases.forEach((p, i) => (colors[p] = PHASE_COLORS[p] ?? EXTRA_COLORS[i % EXTRA_COLORS.length]!));
  const title = `wattscope: ${report.benchmark.model ?? report.benchmark.workload}`;
  // On the simulated GPU: the simulator's exact energy beside each estimate.
  const truth = report.simulatedTruth;
  const truthCells = (p: string, estimate: number | null) => {
    if (!truth) return '';
    const t = truth.phaseWhPer1000[p];
    return `${maybeCell(`truth-${p}`, t)}${maybeCell(`truth-${p}-error-pct`, t === undefined || estimate === null ? null : ((estimate - t) / t) * 100, 2)}`;
  };
  const truthHead = truth ? '<th>truth Wh (simulator)</th><th>error %</th>' : '';
  const sensors = report.device.gpus.map((g) => `GPU ${g.index}: ${describeSensor(g.sensor, driverShaped(g))}`).join('; ');
  const methods = [...new Set(report.runs.filter((r) => r.included).map((r) => r.method))].join(', ') || 'n/a';
  const summaryRows = summaryRowsHtml(report, colors, truthCells);
  const flagItems: string[] = [];
  for (const r of report.runs) {
    const reasons = [...r.unstable, ...r.flags.filter((f) => !r.unstable.some((u) => u.includes(f)))];
    if (reasons.length)
      flagItems.push(
        `<li data-testid="run-${r.index}-flags"><b>run ${r.index}${r.included ? '' : ' (excluded from the means)'}</b>: ${reasons.map(esc).join('; ')}</li>`,
      );
  }
  const notes = report.notes.map((n) => `<li>${esc(n)}</li>`).join('');
  const runsTable = report.runs
    .map((r) => {
      const total = runTotalWh(r, phases);
      return `<tr${r.included ? '' : ' class="excluded"'}><td>${r.index}</td>${phases.map((p) => maybeCell(`run-${r.index}-${p}`, r.phaseWhPer1000[p])).join('')}${cell(`run-${r.index}-total`, total)}<td>${num(r.durationS, 2)}</td><td>${r.failedQueries}</td><td>${esc(r.method)}</td></tr>`;
    })
    .join('\n');
  const device = report.device;
  const data = {
    timeline,
    phases,
    colors,
    runs: report.runs.map((r) => ({ index: r.index, included: r.included, phaseWh: r.phaseWhPer1000, totalWh: runTotalWh(r, phases) })),
  };
  const { js, css } = uplotAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${css}
${PAGE_CSS}</style></head>
<body>
<header><h1>${esc(title)}</h1><p>${esc(report.benchmark.workload)} · ${report.benchmark.dataset.rows} queries × ${report.runs.length} of ${report.benchmark.runsPlanned} runs · ${device.simulated ? 'simulated ' : ''}${esc(device.gpus.map((g) => g.name ?? 'GPU').join(', '))} · status <span data-testid="status">${report.status}</span></p></header>
<main>
${notComparableHtml(report.comparability)}
<section id="summary"><h2>GPU energy per 1,000 queries (Wh), mean over included runs</h2>
<div class="score"><div>
<table><thead><tr><th>phase</th><th>mean Wh</th><th>95% CI low</th><th>95% CI high</th><th>CV %</th>${truthHead}</tr></thead><tbody>
${summaryRows}
</tbody></table>
<p>AI Energy Score (GPU_ENERGY_WH): <b data-testid="gpu-energy-wh" data-value="${report.aiEnergyScore?.gpuEnergyWh ?? ''}">${report.aiEnergyScore ? report.aiEnergyScore.gpuEnergyWh.toFixed(2) : 'n/a'}</b> Wh per 1,000 queries${starsHtml(extras)}</p>
<div class="kv"><span>idle power</span><span data-testid="idle-w" data-value="${report.idle?.powerW ?? ''}">${report.idle ? num(report.idle.powerW, 1) + ' W' : 'not measured'}</span>
<span>driver</span><span>${esc(device.driverVersion ?? 'n/a')} (NVML ${esc(device.nvmlVersion ?? 'n/a')})</span>
<span>sampling</span><span>${report.settings.sampleHz} Hz</span>
<span>power sensor</span><span data-testid="sensor">${esc(sensors)}</span><span>method</span><span data-testid="method">${esc(methods)}</span>
${truth ? `<span>simulated</span><span data-testid="simulated-profile">sensor profile ${esc(truth.sensorProfile)}, counter ${esc(truth.counter)}</span>` : ''}<span>updated</span><span>${esc(report.updatedAt)}</span></div>
</div>${labelHtml(extras)}</div></section>
${isolatedHtml(report, colors)}
${passesHtml(report)}
<section id="timeline"><h2>Power timeline</h2><p class="hint">Drag to zoom, double-click to reset. Phases: <span id="phase-legend"></span></p><div id="timeline-charts"></div></section>
<section id="runs"><h2>Energy per run (Wh per 1,000 queries)</h2><div id="runs-chart"></div>
<table><thead><tr><th>run</th>${phases.map((p) => `<th>${esc(p)}</th>`).join('')}<th>total</th><th>s</th><th>failed</th><th>method</th></tr></thead><tbody>
${runsTable}
</tbody></table></section>
<section id="flags"><h2>Stability flags</h2>${flagItems.length ? `<ul>${flagItems.join('')}</ul>` : '<p data-testid="no-flags">No run was flagged.</p>'}${notes ? `<h3>Notes</h3><ul>${notes}</ul>` : ''}</section>
</main>
<script>${js}</script>
<script type="application/json" id="report-data">${inlineJson(data)}</script>
<script>${[powerEnvelope, drawTimelines, drawPhaseLegend, drawRunChart, reportClient].map((f) => f.toString()).join('\n')}
reportClient(JSON.parse(document.getElementById('report-data').textContent));</script>
</body></html>
`;
}
