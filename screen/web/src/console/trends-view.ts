// Trends: the park's history over a range the operator picks (last hour, day, week, or a custom
// range typed in the park's time zone). Every chart zooms (wheel, slider) and a brushed span
// becomes the new range, read again from the store at a finer bucket. The server picks the bucket
// (screen/server/buckets.ts), so every answer is bounded whatever the range. Energy per enterprise
// over the range and alerts opened over time (by severity) sit beside the telemetry.
import { BrushComponent, DataZoomComponent, ToolboxComponent } from 'echarts/components';
import type { ParkModelData } from '../../../../shared/park-model.ts';
import { COLORS, echarts, FONT, timeTooltip, tooltipStyle, valueAxis } from '../echarts-setup.ts';
import { dateTime, hm, monthDayTime } from '../park-time.ts';
import { h } from './dom.ts';
import { lang, severityLabel, t } from './i18n.ts';
import { msOf, timeField } from './time-field.ts';

echarts.use([BrushComponent, DataZoomComponent, ToolboxComponent]);

const HOUR = 3_600_000;
const PRESETS = { hour: HOUR, day: 24 * HOUR, week: 7 * 24 * HOUR } as const;
const MAX_RANGE = 31 * 24 * HOUR;
const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;

type Points = { t: number; v: number }[];
type AlertCounts = { bucketMs: number; counts: { t: number; severity: string; n: number }[] };

async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function bucketText(ms: number): string {
  if (ms >= 86_400_000) return lang === 'en' ? `${ms / 86_400_000} d` : `${ms / 86_400_000} 天`;
  if (ms >= HOUR) return lang === 'en' ? `${ms / HOUR} h` : `${ms / HOUR} 小时`;
  if (ms >= 60_000) return lang === 'en' ? `${ms / 60_000} min` : `${ms / 60_000} 分钟`;
  return lang === 'en' ? `${ms / 1000} s` : `${ms / 1000} 秒`;
}

export function createTrendsView(model: ParkModelData): { el: HTMLElement; show(): void } {
  let range = { from: Date.now() - PRESETS.hour, to: Date.now(), preset: 'hour' as keyof typeof PRESETS | 'custom' };
  const error = h('p', { className: 'error', role: 'alert', id: 'trends-error' });
  const shown = h('span', { className: 'range-shown', id: 'trends-range' });
  const bucket = h('span', { className: 'range-bucket', id: 'trends-bucket' });
  const presetButtons = (Object.keys(PRESETS) as (keyof typeof PRESETS)[]).map((p) =>
    h('button', { type: 'button', 'data-range': p, onclick: () => setPreset(p) }, t(p === 'hour' ? 'lastHour' : p === 'day' ? 'lastDay' : 'lastWeek')),
  );
  const custom = h('form', { className: 'filters', id: 'trends-custom' }, timeField('from', t('from')), timeField('to', t('to')), h('button', { type: 'submit', className: 'primary' }, t('show')));
  custom.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(custom);
    const from = Number(msOf(f.get('from')));
    const to = Number(msOf(f.get('to')));
    if (!from || !to || to <= from || to - from > MAX_RANGE) {
      error.textContent = t('badRange');
      return;
    }
    setRange(from, to, 'custom');
  });
  const box = (id: string, title: string): HTMLElement => h('div', { className: 'trend' }, h('h3', {}, title), h('div', { className: 'trend-chart', id }));
  const charts = h(
    'div',
    { className: 'trend-grid' },
    box('trend-power', t('parkPower')),
    box('trend-network', t('network')),
    box('trend-latency', t('latency')),
    box('trend-events', t('cameraEvents')),
    box('trend-alerts', t('alertCounts')),
    box('trend-energy', t('energyByEnterprise')),
  );
  const el = h(
    'section',
    { className: 'view', id: 'view-trends', hidden: true },
    h('div', { className: 'toolbar trends-bar' }, h('div', { className: 'presets' }, h('span', {}, t('range')), ...presetButtons), custom),
    h('p', { className: 'range-line' }, shown, ' · ', bucket, ' · ', h('small', {}, t('brushHint'))),
    error,
    charts,
  );

  const instances = new Map<string, echarts.ECharts>();
  const chartOf = (id: string): echarts.ECharts => {
    let c = instances.get(id);
    if (!c) {
      c = echarts.init(document.getElementById(id)!, null, { renderer: 'canvas' });
      instances.set(id, c);
      if (id !== 'trend-energy') {
        c.group = 'trends'; // zoom one, zoom all
        c.on('brushEnd', (p: unknown) => {
          const area = (p as { areas?: { coordRange?: [number, number] }[] }).areas?.[0];
          if (area?.coordRange) setRange(Math.floor(area.coordRange[0]), Math.ceil(area.coordRange[1]), 'custom');
        });
      }
    }
    return c;
  };
  addEventListener('resize', () => {
    for (const c of instances.values()) c.resize();
  });

  const axisFont = { color: COLORS.axis, fontSize: 14, fontFamily: FONT };
  function timeChart(id: string, series: { name: string; data: Points; type?: 'line' | 'bar'; color: string; stack?: string }[], units: string[], digits = 0): void {
    const c = chartOf(id);
    const span = range.to - range.from;
    c.setOption(
      {
        textStyle: { fontFamily: FONT, fontSize: 14 },
        grid: { left: 64, right: 24, top: 34, bottom: 64 },
        legend: { top: 0, textStyle: { color: '#D3D6DD', fontSize: 14 } },
        tooltip: { ...timeTooltip(units, digits), ...tooltipStyle(), textStyle: { color: '#FFF', fontSize: 14 } },
        toolbox: { right: 0, top: 0, itemSize: 16, feature: { brush: { type: ['lineX', 'clear'] } }, iconStyle: { borderColor: COLORS.axis } },
        brush: { xAxisIndex: 0, brushType: 'lineX', brushMode: 'single', throttleType: 'debounce', throttleDelay: 300 },
        dataZoom: [{ type: 'inside', xAxisIndex: 0 }, { type: 'slider', xAxisIndex: 0, height: 18, bottom: 8, textStyle: { color: COLORS.axis, fontSize: 14 }, labelFormatter: (v: number) => (span > 2 * 86_400_000 ? monthDayTime(v).slice(0, 11) : hm(v)) }],
        xAxis: { type: 'time', min: range.from, max: range.to, axisLabel: { ...axisFont, hideOverlap: true, formatter: (v: number) => (span > 2 * 86_400_000 ? monthDayTime(v).slice(0, 5) : hm(v)) }, splitLine: { show: false } },
        yAxis: { ...valueAxis({}, digits > 0 ? 0.1 : 1), axisLabel: { ...axisFont } },
        series: series.map((s) => ({
          name: s.name,
          type: s.type ?? 'line',
          stack: s.stack,
          showSymbol: false,
          smooth: true,
          barMaxWidth: 14,
          itemStyle: { color: s.color },
          data: s.data.map((p) => [p.t, Math.round(p.v * 100) / 100]),
        })),
      },
      { notMerge: true },
    );
    // Brushing is on from the start: drag across a chart to zoom the range to that span.
    c.dispatchAction({ type: 'takeGlobalCursor', key: 'brush', brushOption: { brushType: 'lineX', brushMode: 'single' } });
  }

  async function load(): Promise<void> {
    error.textContent = '';
    const { from, to } = range;
    for (const b of presetButtons) b.classList.toggle('current', b.dataset.range === range.preset);
    shown.textContent = `${dateTime(from)} — ${dateTime(to)}`;
    el.dataset.state = 'loading';
    try {
      const series = (s: string) => get<{ bucketMs: number; points: Points }>(`/api/history?series=${s}&from=${from}&to=${to}`);
      const [power, dl, ul, latency, events, energy, counts] = await Promise.all([
        series('park.power'),
        series('node5g.dl'),
        series('node5g.ul'),
        series('node5g.latency'),
        series('camera.events'),
        get<{ enterprises: { enterprise: string; kwh: number }[] }>(`/api/energy?from=${from}&to=${to}`),
        get<AlertCounts>(`/api/alerts/counts?from=${from}&to=${to}`).catch((): AlertCounts => ({ bucketMs: 0, counts: [] })),
      ]);
      bucket.textContent = t('bucket', { b: bucketText(power.bucketMs) });
      el.dataset.bucketMs = String(power.bucketMs);
      el.dataset.points = String(power.points.length);
      timeChart('trend-power', [{ name: t('parkPower'), data: power.points, color: COLORS.series1 }], ['kW']);
      timeChart('trend-network', [{ name: lang === 'en' ? 'Downlink' : '下行', data: dl.points, color: COLORS.series1 }, { name: lang === 'en' ? 'Uplink' : '上行', data: ul.points, color: COLORS.series3 }], ['Mbps']);
      timeChart('trend-latency', [{ name: t('latency'), data: latency.points, color: COLORS.series2 }], ['ms'], 1);
      timeChart('trend-events', [{ name: t('cameraEvents'), data: events.points, type: 'bar', color: COLORS.warning }], ['']);
      timeChart(
        'trend-alerts',
        SEVERITIES.map((s) => ({ name: severityLabel(s), type: 'bar' as const, stack: 'alerts', color: COLORS[s], data: counts.counts.filter((c) => c.severity === s).map((c) => ({ t: c.t, v: c.n })) })),
        [''],
      );
      const names = new Map(model.enterprises.map((e) => [e.id, lang === 'en' ? e.shortEn : e.short]));
      const rows = [...energy.enterprises].sort((a, b) => a.kwh - b.kwh);
      chartOf('trend-energy').setOption(
        {
          textStyle: { fontFamily: FONT, fontSize: 14 },
          grid: { left: 140, right: 70, top: 10, bottom: 24 },
          tooltip: { ...tooltipStyle(), trigger: 'axis', textStyle: { color: '#FFF', fontSize: 14 } },
          xAxis: { ...valueAxis(), axisLabel: { ...axisFont } },
          yAxis: { type: 'category', data: rows.map((r) => names.get(r.enterprise) ?? r.enterprise), axisLabel: { ...axisFont, color: '#D3D6DD' } },
          series: [{ type: 'bar', data: rows.map((r) => Math.round(r.kwh)), itemStyle: { color: COLORS.series1 }, barMaxWidth: 16, label: { show: true, position: 'right', color: '#FFF', fontSize: 14 } }],
        },
        { notMerge: true },
      );
      el.dataset.state = 'ready';
    } catch (err) {
      el.dataset.state = 'failed';
      error.textContent = (err as Error).message;
    }
  }

  function setRange(from: number, to: number, preset: typeof range.preset): void {
    range = { from, to, preset };
    void load();
  }
  function setPreset(p: keyof typeof PRESETS): void {
    const now = Date.now();
    setRange(now - PRESETS[p], now, p);
  }

  return {
    el,
    show() {
      // Charts measure their box when shown (a hidden view has none).
      requestAnimationFrame(() => (range.preset === 'custom' ? void load() : setPreset(range.preset as keyof typeof PRESETS)));
    },
  };
}
