/**
 * report.html for a result wattscope did not measure itself (an optimum-benchmark or
 * ai_energy_benchmarks benchmark_report.json, a GPU_ENERGY_SUMMARY.json): its GPU energy per 1,000
 * queries, each phase or the reason it is unknown, the warnings about how comparable it is, and
 * the label when rated. No timeline: such results carry none.
 */
import type { BenchmarkResult } from '../formats/result-reader.js';
import { esc, labelHtml, PAGE_CSS, starsHtml, type ReportPageExtras } from './html.js';

export function buildResultHtml(result: BenchmarkResult, extras: ReportPageExtras = {}): string {
  const title = `wattscope: ${result.model ?? 'a benchmark result'} (${result.format})`;
  const phaseRows = Object.entries(result.phases)
    .map(([phase, p]) =>
      p.energyWh === null
        ? `<tr><td>${esc(phase)}</td><td data-testid="phase-${esc(phase)}" data-value="" title="${esc(p.reason ?? '')}">– (${esc(p.reason ?? 'unknown')})</td></tr>`
        : `<tr><td>${esc(phase)}</td><td data-testid="phase-${esc(phase)}" data-value="${p.energyWh}">${p.energyWh.toFixed(3)}</td></tr>`,
    )
    .join('\n');
  const warnings = result.warnings.map((w) => `<li>${esc(w)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${PAGE_CSS}</style></head>
<body>
<header><h1>${esc(title)}</h1><p>read from ${esc(result.source)}${result.hardware ? ` · ${esc(result.hardware)}` : ''}${result.date ? ` · ${esc(result.date)}` : ''}</p></header>
<main>
<section id="summary"><h2>GPU energy per 1,000 queries (Wh)</h2><div class="score"><div>
<p>GPU_ENERGY_WH: <b data-testid="gpu-energy-wh" data-value="${result.energyWh}">${result.energyWh.toFixed(2)}</b> Wh per 1,000 queries${starsHtml(extras)}</p>
<table><thead><tr><th>phase</th><th>Wh per 1,000 queries</th></tr></thead><tbody>
${phaseRows}
</tbody></table>
</div>${labelHtml(extras)}</div></section>
<section id="flags"><h2>Comparability</h2>${warnings ? `<ul data-testid="warnings">${warnings}</ul>` : '<p data-testid="no-flags">No warning.</p>'}</section>
</main>
</body></html>
`;
}
