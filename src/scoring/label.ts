/**
 * The AI Energy Score label: SVG at its design size (260 x 364 px), and PNG at 2x
 * (520 x 728) rendered by resvg with the bundled DejaVu Sans fonts, so the
 * output does not depend on the machine's fonts.
 */
import path from 'node:path';
import { WattscopeError } from '../util/errors.js';
import { peerDirectory, requirePeer } from '../util/peer.js';
import type { Stars } from './stars.js';

export const LABEL_WIDTH_PX = 260;
export const LABEL_HEIGHT_PX = 364;
export const LEADERBOARD_URL = 'https://huggingface.co/spaces/AIEnergyScore/Leaderboard';

export interface LabelData {
  model: string;
  /** YYYY-MM-DD */
  date: string;
  task: string;
  hardware: string;
  /** GPU energy per 1,000 queries, Wh. */
  energyWh: number;
  stars: Stars;
  /**
   * Why the result is not comparable with the leaderboard (simulated GPU, too few queries or runs,
   * failed queries...); when any, the label says so on its face, across the stars.
   */
  notComparable?: string[];
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** Shortens text to about `max` characters with an ellipsis. */
const fit = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function star(cx: number, cy: number, r: number, filled: boolean): string {
  const pts: string[] = [];
  for (let i = 0; i < 10; i++) {
    const rr = i % 2 === 0 ? r : r * 0.45;
    const a = (Math.PI / 5) * i - Math.PI / 2;
    pts.push(`${(cx + rr * Math.cos(a)).toFixed(2)},${(cy + rr * Math.sin(a)).toFixed(2)}`);
  }
  return `<polygon class="${filled ? 'star-filled' : 'star-empty'}" points="${pts.join(' ')}" fill="${filled ? '#2e9e44' : '#c8c8c8'}"/>`;
}

/** Model names shrink from 13 px down to 8 px to fit the 228 px line (bold DejaVu Sans: ~0.68 em per glyph). */
const modelFontPx = (name: string) => Math.max(8, Math.min(13, Math.floor((228 / (name.length * 0.68)) * 10) / 10));

/** Formats Wh for the label: 3 significant digits under 10, 2 decimals above. */
export function formatWh(wh: number): string {
  return wh >= 10 ? wh.toFixed(2) : wh >= 0.1 ? wh.toPrecision(3) : wh.toPrecision(2);
}

export function labelSvg(d: LabelData): string {
  if (!Number.isFinite(d.energyWh) || d.energyWh < 0) {
    throw new WattscopeError('WATTSCOPE_INVALID_ARGUMENT', `the label needs a non-negative energy, got ${d.energyWh}`, { field: 'energyWh' });
  }
  const font = 'font-family="DejaVu Sans"';
  const stars = [0, 1, 2, 3, 4].map((i) => star(62 + i * 34, 288, 14, i < d.stars)).join('');
  const rows: Array<[string, string, number]> = [
    ['Model', fit(d.model, 44), 100],
    ['Date', d.date, 136],
    ['Task', fit(d.task, 30), 158],
    ['Hardware', fit(d.hardware, 30), 180],
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH_PX}" height="${LABEL_HEIGHT_PX}" viewBox="0 0 ${LABEL_WIDTH_PX} ${LABEL_HEIGHT_PX}">
  <title>AI Energy Score: ${escapeXml(d.model)}, ${d.stars} of 5 stars</title>
  <rect x="0.5" y="0.5" width="259" height="363" rx="10" fill="#ffffff" stroke="#1d2330"/>
  <path d="M10.5 0.5 H249.5 A10 10 0 0 1 259.5 10.5 V64 H0.5 V10.5 A10 10 0 0 1 10.5 0.5 Z" fill="#1d2330"/>
  <text x="130" y="30" ${font} font-size="19" font-weight="bold" fill="#ffffff" text-anchor="middle">AI Energy Score</text>
  <text x="130" y="50" ${font} font-size="10" fill="#b9c2d0" text-anchor="middle">GPU energy of inference, measured</text>
  ${rows
    .map(([k, v, y]) =>
      k === 'Model'
        ? `<text x="16" y="${y - 14}" ${font} font-size="9" fill="#5b6472">MODEL</text><text id="model" x="16" y="${y + 2}" ${font} font-size="${modelFontPx(v)}" font-weight="bold" fill="#1d2330">${escapeXml(v)}</text>`
        : `<text x="16" y="${y}" ${font} font-size="10" fill="#5b6472">${k}</text><text id="${k.toLowerCase()}" x="244" y="${y}" ${font} font-size="10" fill="#1d2330" text-anchor="end">${escapeXml(v)}</text>`,
    )
    .join('\n  ')}
  <line x1="16" y1="194" x2="244" y2="194" stroke="#d5d9e0"/>
  <text x="130" y="214" ${font} font-size="10" fill="#5b6472" text-anchor="middle">GPU energy (Wh) per 1,000 queries</text>
  <text id="energy" x="130" y="250" ${font} font-size="30" font-weight="bold" fill="#1d2330" text-anchor="middle">${formatWh(d.energyWh)}</text>
  <g id="stars">${stars}</g>
  <text x="130" y="322" ${font} font-size="10" fill="#1d2330" text-anchor="middle">${d.stars} of 5 stars</text>
  ${notComparableBand(d.notComparable ?? [], font)}
  <text id="link" x="130" y="348" ${font} font-size="7.5" fill="#2f6fc0" text-anchor="middle">${escapeXml(LEADERBOARD_URL.replace('https://', ''))}</text>
</svg>
`;
}

/** A red band across the stars saying the result is not leaderboard-comparable, with the first reason; nothing when it is. */
function notComparableBand(reasons: string[], font: string): string {
  if (reasons.length === 0) return '';
  const more = reasons.length > 1 ? ` (+${reasons.length - 1} more)` : '';
  return `<g id="not-comparable"><title>Not comparable with the AI Energy Score leaderboard: ${escapeXml(reasons.join('; '))}</title><rect x="8" y="258" width="244" height="40" fill="#b3261e" opacity="0.92"/><text x="130" y="274" ${font} font-size="10.5" font-weight="bold" fill="#ffffff" text-anchor="middle">NOT LEADERBOARD-COMPARABLE</text><text x="130" y="290" ${font} font-size="7.5" fill="#ffffff" text-anchor="middle">${escapeXml(fit(reasons[0]! + more, 62))}</text></g>`;
}

/**
 * Renders the label SVG to PNG at `scale` (2 by default: 520 x 728) in DejaVu Sans. Needs the
 * optional peers @resvg/resvg-js and dejavu-fonts-ttf (WATTSCOPE_MISSING_PEER without them).
 */
export async function labelPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = requirePeer<typeof import('@resvg/resvg-js')>('@resvg/resvg-js', 'The PNG label');
  const fontsDir = path.join(peerDirectory('dejavu-fonts-ttf', 'The PNG label'), 'ttf');
  const r = new Resvg(svg, {
    fitTo: { mode: 'width', value: LABEL_WIDTH_PX * scale },
    font: {
      loadSystemFonts: false,
      fontFiles: [path.join(fontsDir, 'DejaVuSans.ttf'), path.join(fontsDir, 'DejaVuSans-Bold.ttf')],
      defaultFontFamily: 'DejaVu Sans',
    },
    background: '#ffffff',
  });
  return Buffer.from(r.render().asPng());
}
