// Fitting the 1920x1080 design to any display without blurring it.
//
// Nothing is scaled with a CSS transform: every length is `calc(N * var(--u…))`, so text and SVG
// render at the display's real pixels, and each chart is initialised at its real size and the
// display's real devicePixelRatio (a 3840x2160 wall gets a 3840x2160 canvas, not an upscale).
// `fit=letterbox` (default) keeps the 16:9 proportions with bars; `fit=fill` stretches to fill.
// ECharts 6 ignores a new devicePixelRatio on resize() (apache/echarts#21386), so a DPR change
// (window moved to another screen, browser zoom) disposes and re-creates every chart.
import * as echarts from 'echarts/core';

export const DESIGN = { width: 1920, height: 1080 } as const;
const params = new URLSearchParams(location.search);
const fitMode = params.get('fit') === 'fill' ? 'fill' : 'letterbox';

/**
 * Wall shapes: `16x9` (one 1920x1080 design canvas), `32x9` and `48x9` (two or three canvases
 * side by side: the overview, then the detail pages beside it instead of in turn). Chosen from the
 * display's aspect ratio (21:9 and narrower stay 16x9) or by `?layout=`. Every layout keeps one unit
 * for both axes, so the map is never stretched.
 */
export const LAYOUTS = { '16x9': 1, '32x9': 2, '48x9': 3 } as const;
export type Layout = keyof typeof LAYOUTS;

export function chooseLayout(width: number, height: number, asked: string | null): Layout {
  if (asked && asked in LAYOUTS) return asked as Layout;
  const aspect = width / height;
  if (aspect >= 4.4) return '48x9';
  if (aspect >= 2.9) return '32x9';
  return '16x9';
}

/** The layout chosen at load (a wall does not change shape while it runs). */
export const layout: Layout = chooseLayout(innerWidth, innerHeight, params.get('layout'));
/** Design width of the whole wall, design px. */
export const designWidth = DESIGN.width * LAYOUTS[layout];

let unit = 1; // display px per design px (the smaller of the two axes)

/** Design px -> display px, for chart options (fonts, widths, symbol sizes). */
export function px(n: number): number {
  return Math.round(n * unit * 100) / 100;
}

interface ChartSlot {
  el: HTMLElement;
  chart: echarts.ECharts | null;
  /** Sets the chart's base option (sizes through px()); data follows from the next render. */
  setup(chart: echarts.ECharts): void;
}

const slots = new Map<string, ChartSlot>();
const afterRebuild: (() => void)[] = [];

/** Minimum text size on the wall, design px (docs/screen.md): ECharts would draw unsized text at 12. */
export const MIN_TEXT = 14;

function applySetup(slot: ChartSlot): void {
  slot.chart!.setOption({ textStyle: { fontSize: px(MIN_TEXT) } });
  slot.setup(slot.chart!);
}

function init(slot: ChartSlot): void {
  slot.chart = echarts.init(slot.el, null, { renderer: 'canvas', devicePixelRatio: window.devicePixelRatio });
  applySetup(slot);
}

/** Creates a chart in the element with the given id; returns a getter (the instance changes on DPR change). */
export function chart(id: string, setup: (chart: echarts.ECharts) => void): () => echarts.ECharts {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no element #${id}`);
  const slot: ChartSlot = { el, chart: null, setup };
  slots.set(id, slot);
  init(slot);
  return () => slot.chart!;
}

/** The chart in the element with this id (diagnostics and tests), or null. */
export function chartById(id: string): echarts.ECharts | null {
  return slots.get(id)?.chart ?? null;
}

/** Called after charts were re-created (DPR change) so the app can render its data again. */
export function onChartsRebuilt(fn: () => void): void {
  afterRebuild.push(fn);
}

function applyUnits(): void {
  const sx = innerWidth / designWidth;
  const sy = innerHeight / DESIGN.height;
  unit = Math.min(sx, sy);
  const root = document.documentElement.style;
  root.setProperty('--dw', String(designWidth));
  document.body.dataset.layout = layout;
  root.setProperty('--u', `${unit}px`);
  root.setProperty('--ux', `${fitMode === 'fill' ? sx : unit}px`);
  root.setProperty('--uy', `${fitMode === 'fill' ? sy : unit}px`);
}

function resizeAll(): void {
  applyUnits();
  for (const slot of slots.values()) {
    if (!slot.chart) continue;
    slot.chart.resize();
    applySetup(slot); // sizes in the option follow the new unit
  }
  for (const fn of afterRebuild) fn();
}

function rebuildAll(): void {
  applyUnits();
  for (const slot of slots.values()) {
    slot.chart?.dispose();
    init(slot);
  }
  for (const fn of afterRebuild) fn();
}

let resizeTimer: number | undefined;
let dprQuery: MediaQueryList | null = null;
function watchDpr(): void {
  dprQuery?.removeEventListener('change', onDprChange);
  dprQuery = matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
  dprQuery.addEventListener('change', onDprChange);
}
function onDprChange(): void {
  watchDpr();
  rebuildAll();
}

/** Applies the units now and keeps them right on resize (debounced 200 ms) and DPR change. */
export function startFitting(): void {
  applyUnits();
  addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(resizeAll, 200);
  });
  watchDpr();
}

/** Charts of pages that become visible get their real size (a hidden element measures 0). */
export function resizeVisible(): void {
  for (const slot of slots.values()) if (slot.el.offsetWidth > 0) slot.chart?.resize();
}
