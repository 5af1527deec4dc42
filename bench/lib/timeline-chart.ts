// A self-contained HTML page of line charts (inline SVG, no script, no network): throughput and
// latency of a benchmark run over time, to open from bench/results/<run>/.
import { writeFileSync } from 'node:fs';

export interface Series {
  name: string;
  color: string;
  /** [seconds since start, value]; null values leave a gap. */
  points: [number, number | null][];
}

export interface Chart {
  title: string;
  unit: string;
  series: Series[];
  /** A shaded span, e.g. the measured steady state. */
  band?: { from: number; to: number; label: string };
  /** Horizontal reference lines, e.g. a target. */
  lines?: { value: number; label: string }[];
}

const W = 960;
const H = 300;
const PAD = { l: 70, r: 20, t: 36, b: 40 };

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function renderChart(c: Chart): string {
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...c.series.flatMap((s) => s.points.map((p) => p[1] ?? 0)), ...(c.lines ?? []).map((l) => l.value)];
  const xMax = Math.max(1, ...xs);
  const yMax = niceMax(Math.max(0, ...ys));
  const x = (t: number): number => PAD.l + (t / xMax) * (W - PAD.l - PAD.r);
  const y = (v: number): number => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`];
  parts.push(`<text x="${PAD.l}" y="20" font-size="15" font-weight="bold">${esc(c.title)} (${esc(c.unit)})</text>`);
  if (c.band) {
    parts.push(`<rect x="${x(c.band.from)}" y="${PAD.t}" width="${x(c.band.to) - x(c.band.from)}" height="${H - PAD.t - PAD.b}" fill="#eef4ff"/>`);
    parts.push(`<text x="${x(c.band.from) + 4}" y="${PAD.t + 14}" fill="#567">${esc(c.band.label)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    parts.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${PAD.l - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toPrecision(3))}</text>`);
  }
  const step = xMax > 120 ? 30 : xMax > 40 ? 10 : 5;
  for (let t = 0; t <= xMax; t += step) parts.push(`<text x="${x(t)}" y="${H - PAD.b + 16}" text-anchor="middle">${t}s</text>`);
  for (const l of c.lines ?? []) {
    parts.push(`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(l.value)}" y2="${y(l.value)}" stroke="#c00" stroke-dasharray="6 4"/><text x="${W - PAD.r - 4}" y="${y(l.value) - 4}" text-anchor="end" fill="#c00">${esc(l.label)}</text>`);
  }
  c.series.forEach((s, i) => {
    const segments: string[][] = [[]];
    for (const [t, v] of s.points) {
      if (v === null) segments.push([]);
      else segments.at(-1)!.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    }
    for (const seg of segments) if (seg.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${seg.join(' ')}"/>`);
    const lx = PAD.l + 10 + i * 190;
    parts.push(`<rect x="${lx}" y="${H - 14}" width="14" height="4" fill="${s.color}"/><text x="${lx + 20}" y="${H - 8}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export function writeTimelineHtml(path: string, title: string, subtitle: string, charts: Chart[]): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}h1{font-size:20px}p{color:#555}svg{display:block;margin:16px 0;border:1px solid #eee}</style></head>
<body><h1>${esc(title)}</h1><p>${esc(subtitle)}</p>${charts.map(renderChart).join('\n')}</body></html>\n`;
  writeFileSync(path, html);
}
