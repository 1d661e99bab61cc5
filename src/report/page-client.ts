/// <reference lib="dom" />
/**
 * The report page's browser code. Each function is serialized with Function.prototype.toString
 * into report.html, where they are declared side by side: no imports, and no outer variables but
 * each other.
 * It draws the power timeline (min/max envelope per pixel, recomputed on zoom from
 * the full 1 ms data, phases as coloured bands when few enough are in view) and
 * the per-run energy chart. The summary figures are rendered as HTML beforehand.
 */
/* eslint-disable */
/** What the page's script draws from (the report's figures are in the HTML already). */
export interface ReportData {
  timeline: {
    binMs: number;
    gpus: Array<{ index: number; name: string | null; powerW: Array<number | null> }>;
    phases: string[];
    spans: { run: number[]; phase: number[]; startMs: number[]; endMs: number[] };
    runs: Array<{ index: number; startMs: number; endMs: number }>;
  } | null;
  runs: Array<{ index: number; totalWh: number; phaseWh: Record<string, number>; included: boolean }>;
  phases: string[];
  colors: Record<string, string>;
}

/** The min/max envelope of 1 ms power bins over [fromMs, toMs], at most 4,000 points: [seconds, min W, max W]. */
export function powerEnvelope(
  power: Array<number | null>,
  binMs: number,
  fromMs: number,
  toMs: number,
): [number[], Array<number | null>, Array<number | null>] {
  const maxPoints = 4000;
  const i0 = Math.max(0, Math.floor(fromMs / binMs));
  const i1 = Math.min(power.length, Math.ceil(toMs / binMs) + 1);
  const n = Math.max(0, i1 - i0);
  const step = Math.max(1, Math.ceil(n / maxPoints));
  const xs: number[] = [];
  const lo: Array<number | null> = [];
  const hi: Array<number | null> = [];
  for (let i = i0; i < i1; i += step) {
    let mn = Infinity;
    let mx = -Infinity;
    for (let k = i; k < Math.min(i + step, i1); k++) {
      const v = power[k];
      if (v === null || v === undefined) continue;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    xs.push(((i + step / 2) * binMs) / 1000);
    lo.push(mn === Infinity ? null : mn);
    hi.push(mx === -Infinity ? null : mx);
  }
  return [xs, lo, hi];
}

/** One power chart per GPU, zoomable, with the phases as coloured bands when few enough are in view. */
export function drawTimelines(data: ReportData): void {
  const U = (globalThis as unknown as { uPlot: any }).uPlot;
  const MAX_BANDS = 20000;
  const tl = data.timeline;
  const charts = document.getElementById('timeline-charts')!;
  if (tl && tl.gpus.length) {
    const spans = tl.spans;
    const bandsPlugin = {
      hooks: {
        drawClear: [
          (u: any) => {
            const [x0, x1] = [u.scales.x.min * 1000, u.scales.x.max * 1000];
            const visible: number[] = [];
            for (let i = 0; i < spans.startMs.length && visible.length <= MAX_BANDS; i++) {
              if (spans.endMs[i]! >= x0 && spans.startMs[i]! <= x1) visible.push(i);
            }
            const note = u.root.parentElement.querySelector('.band-note');
            if (note) note.textContent = visible.length > MAX_BANDS ? 'zoom in to see the phases as bands' : '';
            if (visible.length > MAX_BANDS) return;
            const ctx = u.ctx;
            ctx.save();
            ctx.globalAlpha = 0.28;
            for (const i of visible) {
              const left = u.valToPos(spans.startMs[i]! / 1000, 'x', true);
              const right = u.valToPos(spans.endMs[i]! / 1000, 'x', true);
              ctx.fillStyle = data.colors[tl.phases[spans.phase[i]!]!] ?? '#999';
              ctx.fillRect(left, u.bbox.top, Math.max(1, right - left), u.bbox.height);
            }
            ctx.restore();
          },
        ],
      },
    };
    for (const g of tl.gpus) {
      const wrap = document.createElement('div');
      wrap.className = 'chart';
      // Names from timeline.json reach the page as text only, never as markup.
      const heading = document.createElement('h3');
      heading.textContent = `GPU ${g.index}${g.name ? ' (' + g.name + ')' : ''}: power, W`;
      const bandNote = document.createElement('div');
      bandNote.className = 'band-note';
      wrap.append(heading, bandNote);
      charts.appendChild(wrap);
      const totalMs = g.powerW.length * tl.binMs;
      let busy = false;
      const plot = new U(
        {
          width: Math.min(1100, window.innerWidth - 60),
          height: 280,
          scales: { x: { time: false } },
          axes: [{ label: 'seconds' }, { label: 'W' }],
          series: [{ label: 's' }, { label: 'min W', stroke: '#35618f', width: 1 }, { label: 'max W', stroke: '#1d2330', width: 1 }],
          cursor: { drag: { x: true, y: false } },
          plugins: [bandsPlugin],
          hooks: {
            setScale: [
              (u: any, key: string) => {
                if (key !== 'x' || busy) return;
                busy = true;
                // Rescaling to the new window's data keeps uPlot's visible index range in step with it.
                u.setData(powerEnvelope(g.powerW, tl.binMs, u.scales.x.min * 1000, u.scales.x.max * 1000));
                busy = false;
              },
            ],
          },
        },
        powerEnvelope(g.powerW, tl.binMs, 0, totalMs),
        wrap,
      );
      wrap.addEventListener('dblclick', () => plot.setScale('x', { min: 0, max: totalMs / 1000 }));
    }
    drawPhaseLegend(tl.phases, data.colors);
  } else {
    charts.textContent = 'No timeline was recorded for this result.';
  }
}

/** The phases' colour legend; the names (from timeline.json) go in as text, never as markup. */
export function drawPhaseLegend(phases: string[], colors: Record<string, string>): void {
  const legend = document.getElementById('phase-legend')!;
  for (const p of phases) {
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colors[p] ?? '#999';
    legend.append(swatch, document.createTextNode(`${p} `));
  }
}

/** The per-run energy chart (total and each phase). */
export function drawRunChart(data: ReportData): void {
  const U = (globalThis as unknown as { uPlot: any }).uPlot;
  const runChart = document.getElementById('runs-chart')!;
  // Runs are whole numbers: ticks fall on integers only, and the labels drawn are kept on the
  // element (data-x-ticks) so that tests can read what the canvas shows.
  const runTickLabels = (_u: unknown, ticks: number[]) => {
    const labels = ticks.map((t) => (Number.isInteger(t) ? String(t) : ''));
    runChart.dataset.xTicks = labels.filter((l) => l !== '').join(',');
    return labels;
  };
  if (data.runs.length) {
    const xs = data.runs.map((r) => r.index);
    const series: any[] = [{ label: 'run' }, { label: 'total Wh/1000', stroke: '#1d2330', width: 2, points: { size: 7 } }];
    const cols: Array<Array<number | null>> = [data.runs.map((r) => r.totalWh)];
    for (const p of data.phases) {
      series.push({ label: `${p} Wh/1000`, stroke: data.colors[p] ?? '#999', width: 1.5, points: { size: 5 } });
      cols.push(data.runs.map((r) => r.phaseWh[p] ?? null));
    }
    new U(
      {
        width: Math.min(1100, window.innerWidth - 60),
        height: 260,
        scales: { x: { time: false } },
        axes: [{ label: 'run', incrs: [1, 2, 5, 10, 20, 50, 100], values: runTickLabels }, { label: 'Wh per 1,000 queries' }],
        series,
      },
      [xs, ...cols],
      runChart,
    );
  }
}

/** The page's entry: draws the charts, then marks the page ready (for tests and screenshots). */
export function reportClient(data: ReportData): void {
  drawTimelines(data);
  drawRunChart(data);
  document.body.setAttribute('data-ready', 'true');
}
