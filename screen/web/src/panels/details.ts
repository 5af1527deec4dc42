// Detail pages for the carousel: security (every camera's status, 24 h of events, the latest
// events) and energy (load vs contracted capacity, today's kWh, 24 h of park power).
import { onRender, type App } from '../app.ts';
import { areaFade, axisStyle, COLORS, echarts, FONT, timeAxis, timeTooltip, tooltipStyle, valueAxis } from '../echarts-setup.ts';
import { escapeHtml, num } from '../format.ts';
import { pick, t } from '../i18n.ts';
import { chart, px } from '../scale.ts';
import { eventRows } from './events.ts';
import { enterpriseRows } from './ranking.ts';

const DAY = 86_400_000;
/** 24 h charts: a label every 3 hours, at the park's 00:00, 03:00, ... */
const TICK_24H_MS = 3 * 3_600_000;

function cameraGrid(app: App): string {
  const openAlert = new Set(app.live.alerts.filter((a) => a.state !== 'cleared').map((a) => a.device));
  return app.model.devices
    .filter((d) => d.kind === 'camera')
    .map((d) => {
      const live = app.live.devices.get(d.id);
      const state = live?.status ?? 'unknown';
      const fps = live?.t?.fps;
      return `<div class="cam ${state}${openAlert.has(d.id) ? ' alerting' : ''}" data-device="${escapeHtml(d.id)}" data-status="${state}"><b>${escapeHtml(d.id)}</b><span>${escapeHtml(pick(d.name, d.nameEn))}</span><em>${state === 'online' && typeof fps === 'number' ? `${fps} fps` : escapeHtml(t(state))}</em></div>`;
    })
    .join('');
}

export function setupDetails(): void {
  const events24 = chart('chart-events-24h', (c) =>
    c.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: px(48), right: px(16), top: px(24), bottom: px(28) },
      tooltip: timeTooltip([t('eventsUnit')]),
      xAxis: timeAxis(Date.now() - DAY, Date.now(), TICK_24H_MS),
      yAxis: valueAxis(),
      series: [{ type: 'bar', data: [], barMaxWidth: px(18), itemStyle: { color: COLORS.series1 } }],
    }),
  );
  const capacity = chart('chart-capacity', (c) =>
    c.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: px(60), right: px(20), top: px(36), bottom: px(60) },
      legend: { top: 0, textStyle: { color: '#D3D6DD', fontSize: px(14) } },
      tooltip: { ...tooltipStyle(), trigger: 'axis' },
      xAxis: { type: 'category', data: [], ...axisStyle(), axisLabel: { ...(axisStyle().axisLabel as object), interval: 0, rotate: 20 } },
      yAxis: { type: 'value', name: 'kW', ...axisStyle() },
      series: [
        { name: t('contract'), type: 'bar', data: [], barGap: '-100%', itemStyle: { color: 'rgba(101,134,236,.25)', borderColor: '#6586EC' } },
        { name: t('kw'), type: 'bar', data: [], itemStyle: { color: COLORS.series1 } },
      ],
    }),
  );
  const kwhRank = chart('chart-kwh-rank', (c) =>
    c.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: px(110), right: px(60), top: px(10), bottom: px(20) },
      tooltip: { ...tooltipStyle(), trigger: 'axis' },
      xAxis: { type: 'value', ...axisStyle() },
      yAxis: { type: 'category', inverse: true, data: [], ...axisStyle() },
      series: [{ type: 'bar', data: [], barMaxWidth: px(14), label: { show: true, position: 'right', color: '#FFF', fontSize: px(12) }, itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: '#956FD4' }, { offset: 1, color: '#3EACE5' }]) } }],
    }),
  );
  const power24 = chart('chart-power-24h', (c) =>
    c.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: px(60), right: px(16), top: px(24), bottom: px(28) },
      tooltip: timeTooltip(['kW']),
      xAxis: timeAxis(Date.now() - DAY, Date.now(), TICK_24H_MS),
      yAxis: valueAxis({ name: 'kW', scale: true }),
      // Symbols stay on while there are few points, so a young store still shows something.
      series: [{ type: 'line', smooth: true, showSymbol: true, showAllSymbol: 'auto', symbolSize: px(4), data: [], lineStyle: { color: COLORS.series2, width: px(2) }, itemStyle: { color: COLORS.series2 }, areaStyle: areaFade(COLORS.series2) }],
    }),
  );
  const grid = document.getElementById('camera-grid')!;
  const list = document.getElementById('latest-events-detail')!;

  onRender((app, reason) => {
    if (reason.history || reason.all) {
      // Always the full last 24 h, however little data there is yet.
      const now = app.serverNow();
      events24().setOption({ xAxis: timeAxis(now - DAY, now, TICK_24H_MS), series: [{ data: app.history.events24h }] });
      power24().setOption({ xAxis: timeAxis(now - DAY, now, TICK_24H_MS), series: [{ data: app.history.power24h }] });
    }
    if (!(reason.live || reason.all) || !app.live.summary) return;
    grid.innerHTML = cameraGrid(app);
    list.innerHTML = eventRows(app, app.live.summary.cameras.latestEvents, 10);
    const rows = enterpriseRows(app);
    const byLoad = [...rows].sort((a, b) => b.contractKw - a.contractKw);
    capacity().setOption({
      xAxis: { data: byLoad.map((r) => r.name) },
      series: [
        { data: byLoad.map((r) => r.contractKw) },
        { data: byLoad.map((r) => ({ value: Math.round(r.kw), itemStyle: { color: r.loadPct > 100 ? COLORS.critical : COLORS.series1 } })) },
      ],
    });
    kwhRank().setOption({ yAxis: { data: rows.map((r) => r.name) }, series: [{ data: rows.map((r) => Math.round(r.kwhToday)), label: { fontSize: px(14), formatter: (p: { value: number }) => num(p.value) } }] });
  });
}
