/**
 * The page of a concurrency sweep (sweep.html): energy per output token against mean inter-token
 * latency, one point per max_num_seqs, the Pareto frontier drawn through the points no other beats
 * on both; then the table of points with their stability. A self-contained SVG: no script, works
 * offline.
 */
import type { MlEnergyLlmRecord } from '../formats/mlenergy-records.js';
import { esc } from './html.js';

export interface SweepPagePoint {
  maxNumSeqs: number;
  record: MlEnergyLlmRecord | null;
  onFrontier: boolean;
  error: string | null;
}

const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = 60;

/** The plot: x = mean ITL (ms), y = J per output token, both from 0. */
function plotSvg(points: SweepPagePoint[]): string {
  const measured = points.filter((p): p is SweepPagePoint & { record: MlEnergyLlmRecord } => p.record !== null);
  if (measured.length === 0) return '<p>No point has a steady state to plot.</p>';
  const maxX = Math.max(...measured.map((p) => p.record.mean_itl_ms)) * 1.15 || 1;
  const maxY = Math.max(...measured.map((p) => p.record.energy_per_token_joules)) * 1.15 || 1;
  const sx = (x: number) => MARGIN + (x / maxX) * (WIDTH - 2 * MARGIN);
  const sy = (y: number) => HEIGHT - MARGIN - (y / maxY) * (HEIGHT - 2 * MARGIN);
  const frontier = measured.filter((p) => p.onFrontier).sort((a, b) => a.record.mean_itl_ms - b.record.mean_itl_ms);
  const line = frontier.map((p) => `${sx(p.record.mean_itl_ms).toFixed(1)},${sy(p.record.energy_per_token_joules).toFixed(1)}`).join(' ');
  const dots = measured
    .map((p) => {
      const [x, y] = [sx(p.record.mean_itl_ms), sy(p.record.energy_per_token_joules)];
      const fill = p.onFrontier ? '#c0392b' : '#7f8c8d';
      return `<circle class="point${p.onFrontier ? ' frontier' : ''}" data-max-num-seqs="${p.maxNumSeqs}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="${fill}"/><text x="${(x + 8).toFixed(1)}" y="${(y - 8).toFixed(1)}" font-size="12">${p.maxNumSeqs}</text>`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="J per token against mean ITL">`,
    `<line x1="${MARGIN}" y1="${HEIGHT - MARGIN}" x2="${WIDTH - MARGIN}" y2="${HEIGHT - MARGIN}" stroke="#333"/>`,
    `<line x1="${MARGIN}" y1="${MARGIN}" x2="${MARGIN}" y2="${HEIGHT - MARGIN}" stroke="#333"/>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 20}" text-anchor="middle" font-size="13">mean inter-token latency, ms (0 to ${maxX.toPrecision(3)})</text>`,
    `<text x="18" y="${HEIGHT / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 18 ${HEIGHT / 2})">energy per output token, J (0 to ${maxY.toPrecision(3)})</text>`,
    frontier.length > 1 ? `<polyline class="frontier" points="${line}" fill="none" stroke="#c0392b" stroke-dasharray="4 3"/>` : '',
    dots,
    '</svg>',
  ].join('');
}

/** The sweep's page. */
export function buildSweepHtml(title: string, points: SweepPagePoint[]): string {
  const rows = points
    .map((p) => {
      const r = p.record;
      if (!r) return `<tr><td>${p.maxNumSeqs}</td><td colspan="5">${esc(p.error ?? 'no record')}</td></tr>`;
      const stable = r.is_stable ? 'yes' : `no: ${esc(r.stability_reasons)}`;
      return `<tr><td>${p.maxNumSeqs}</td><td>${r.energy_per_token_joules.toFixed(4)}</td><td>${r.mean_itl_ms.toFixed(2)}</td><td>${r.output_throughput_tokens_per_sec.toFixed(1)}</td><td>${p.onFrontier ? 'yes' : ''}</td><td>${stable}</td></tr>`;
    })
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head>
<body><h1>${esc(title)}</h1>
<p>Energy per output token against mean inter-token latency, one point per max_num_seqs (the requests in flight at once), from each benchmark's steady state. The dashed line joins the Pareto frontier: the points no other beats on both.</p>
${plotSvg(points)}
<table><thead><tr><th>max_num_seqs</th><th>J/token</th><th>mean ITL, ms</th><th>tokens/s</th><th>frontier</th><th>stable (ML.ENERGY rules)</th></tr></thead><tbody>${rows}</tbody></table>
</body></html>
`;
}
