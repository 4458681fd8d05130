/**
 * The report's charts: line charts and histograms drawn as SVG (pure functions of the data) and rendered to PNG
 * with sharp. No plotting library: axes, ticks, grid, legend and series are a few dozen SVG elements.
 */
import sharp from 'sharp';

/** One line of a chart. */
export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** Draw a marker at each point. @defaultValue true when there are at most 40 points */
  markers?: boolean;
  dashed?: boolean;
}

/** A line chart. */
export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Axis ranges. @defaultValue [0, 1] both */
  x?: [number, number];
  y?: [number, number];
  /** Legend corner. @defaultValue 'bottom-left' */
  legend?: 'bottom-left' | 'top-right' | 'bottom-right' | 'top-left';
  /** A vertical marker (e.g. the configured threshold) with its label. */
  marker?: { x: number; label: string };
}

/** A histogram. */
export interface Histogram {
  title: string;
  xLabel: string;
  values: readonly number[];
  /** Range and bin width. */
  range: [number, number];
  bin: number;
}

const W = 720;
const H = 460;
const M = { left: 70, right: 24, top: 48, bottom: 60 };
/** Colour-blind friendly palette (Okabe-Ito). */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const FONT = 'DejaVu Sans, Arial, Helvetica, sans-serif';

/** XML-escapes text. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toFixed(2)).toString();
}

/** Tick values: about `n` round steps across [lo, hi]. */
export function ticks(lo: number, hi: number, n = 5, integer = false): number[] {
  const span = hi - lo || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const step = integer ? Math.max(1, Math.ceil(nice)) : nice;
  const out: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + 1e-9; i++) {
    // Rounded to the step's decimals (0.6, not 0.6000000000000001), and never -0.
    out.push(Number((i * step).toFixed(Math.max(0, -Math.floor(Math.log10(step)) + 1))) + 0);
  }
  return out;
}

function frame(title: string, xLabel: string, yLabel: string, x: [number, number], y: [number, number], integerY = false): { parts: string[]; sx: (v: number) => number; sy: (v: number) => number } {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v: number) => M.left + ((v - x[0]) / (x[1] - x[0] || 1)) * pw;
  const sy = (v: number) => M.top + ph - ((v - y[0]) / (y[1] - y[0] || 1)) * ph;
  const parts = [
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of ticks(x[0], x[1])) {
    parts.push(`<line x1="${sx(t)}" y1="${M.top}" x2="${sx(t)}" y2="${M.top + ph}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${sx(t)}" y="${M.top + ph + 18}" text-anchor="middle" font-size="12" fill="#333">${fmt(t)}</text>`);
  }
  for (const t of ticks(y[0], y[1], 5, integerY)) {
    parts.push(`<line x1="${M.left}" y1="${sy(t)}" x2="${M.left + pw}" y2="${sy(t)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${M.left - 8}" y="${sy(t) + 4}" text-anchor="end" font-size="12" fill="#333">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#555"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 16}" text-anchor="middle" font-size="14">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(20 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="14">${esc(yLabel)}</text>`);
  return { parts, sx, sy };
}

function svg(parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="${FONT}">${parts.join('')}</svg>`;
}

/** Pure: a line chart as SVG. Series with no point are listed in the legend as "(no data)". */
export function lineChartSvg(c: LineChart): string {
  const x = c.x ?? [0, 1];
  const y = c.y ?? [0, 1];
  const { parts, sx, sy } = frame(c.title, c.xLabel, c.yLabel, x, y);
  if (c.marker) {
    const mx = sx(c.marker.x);
    parts.push(`<line x1="${mx}" y1="${M.top}" x2="${mx}" y2="${H - M.bottom}" stroke="#888" stroke-dasharray="4 4"/>`);
    parts.push(`<text x="${mx + 4}" y="${M.top + 14}" font-size="12" fill="#555">${esc(c.marker.label)}</text>`);
  }
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    if (s.points.length > 0) {
      const d = s.points.map(([px, py], k) => `${k ? 'L' : 'M'}${sx(px).toFixed(1)},${sy(py).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="7 5"' : ''}/>`);
      if (s.markers ?? s.points.length <= 40) {
        for (const [px, py] of s.points) {
          parts.push(`<circle cx="${sx(px).toFixed(1)}" cy="${sy(py).toFixed(1)}" r="3.5" fill="${color}"/>`);
        }
      }
    }
  });
  // Legend box.
  const rows = c.series.map((s, i) => ({ text: s.points.length ? s.name : `${s.name} (no data)`, color: COLORS[i % COLORS.length], dashed: s.dashed }));
  if (rows.length > 0) {
    const lw = Math.min(360, 44 + Math.max(...rows.map((r) => r.text.length)) * 7.4);
    const lh = 10 + rows.length * 20;
    const corner = c.legend ?? 'bottom-left';
    const lx = corner.endsWith('left') ? M.left + 10 : W - M.right - 10 - lw;
    const ly = corner.startsWith('top') ? M.top + 10 : H - M.bottom - 10 - lh;
    parts.push(`<rect x="${lx}" y="${ly}" width="${lw}" height="${lh}" fill="#ffffff" fill-opacity="0.9" stroke="#bbb"/>`);
    rows.forEach((r, k) => {
      const yy = ly + 20 + k * 20;
      parts.push(`<line x1="${lx + 8}" y1="${yy - 4}" x2="${lx + 32}" y2="${yy - 4}" stroke="${r.color}" stroke-width="3"${r.dashed ? ' stroke-dasharray="7 5"' : ''}/>`);
      parts.push(`<text x="${lx + 38}" y="${yy}" font-size="13">${esc(r.text)}</text>`);
    });
  }
  return svg(parts);
}

/** Pure: bin counts of `values` over [range) in bins of `bin` (values outside go to the end bins). */
export function binCounts(values: readonly number[], range: [number, number], bin: number): number[] {
  const n = Math.max(1, Math.round((range[1] - range[0]) / bin));
  const counts = new Array<number>(n).fill(0);
  for (const v of values) {
    counts[Math.min(n - 1, Math.max(0, Math.floor((v - range[0]) / bin + 1e-9)))]++;
  }
  return counts;
}

/** Pure: a histogram as SVG. */
export function histogramSvg(h: Histogram): string {
  const counts = binCounts(h.values, h.range, h.bin);
  // Headroom above the highest bar; whole counts on the axis.
  const yMax = Math.max(2, Math.ceil(Math.max(...counts) * 1.15));
  const { parts, sx, sy } = frame(h.title, h.xLabel, 'count', h.range, [0, yMax], true);
  counts.forEach((c, i) => {
    if (c === 0) {
      return;
    }
    const x0 = sx(h.range[0] + i * h.bin);
    const x1 = sx(h.range[0] + (i + 1) * h.bin);
    parts.push(`<rect x="${(x0 + 1).toFixed(1)}" y="${sy(c).toFixed(1)}" width="${(x1 - x0 - 2).toFixed(1)}" height="${(sy(0) - sy(c)).toFixed(1)}" fill="${COLORS[0]}"/>`);
  });
  const zero = sx(0);
  if (zero > M.left && zero < W - M.right) {
    parts.push(`<line x1="${zero}" y1="${M.top}" x2="${zero}" y2="${H - M.bottom}" stroke="#D55E00" stroke-width="1.5" stroke-dasharray="4 3"/>`);
  }
  if (h.values.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="16" fill="#777">no matched alert</text>`);
  }
  return svg(parts);
}

/** Renders an SVG to a PNG file. */
export async function writePng(svgText: string, file: string): Promise<void> {
  await sharp(Buffer.from(svgText)).png().toFile(file);
}
