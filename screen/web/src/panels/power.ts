// 园区实时负荷: the park's total power now and over the last hour (the axis always spans the hour,
// ticked every 10 minutes in the park's zone).
import { onRender } from '../app.ts';
import { areaFade, COLORS, FONT, timeAxis, timeTooltip, valueAxis } from '../echarts-setup.ts';
import { num, tweenNumber } from '../format.ts';
import { t } from '../i18n.ts';
import { chart, px } from '../scale.ts';
import { appendSample, HOUR } from '../trends.ts';

const TICK_MS = 10 * 60_000;

export function setupPower(): void {
  const power = chart('chart-power', (c) =>
    c.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: px(52), right: px(14), top: px(18), bottom: px(24) },
      tooltip: timeTooltip(['kW']),
      xAxis: timeAxis(Date.now() - HOUR, Date.now(), TICK_MS),
      yAxis: valueAxis({ name: 'kW', scale: true }),
      series: [{ type: 'line', smooth: true, showSymbol: false, data: [], lineStyle: { color: COLORS.series2, width: px(2) }, areaStyle: areaFade(COLORS.series2) }],
    }),
  );
  const total = document.getElementById('power-total')!;
  const util = document.getElementById('power-util')!;
  let axisMinute = 0;

  onRender((app, reason) => {
    const s = app.live.summary;
    let redraw = Boolean(reason.history || reason.all);
    if (s && (reason.live || reason.all)) {
      tweenNumber(total, s.energy.totalKw);
      const contract = app.model.enterprises.reduce((sum, e) => sum + e.contractKw, 0);
      const missing = s.energy.metersTotal - s.energy.metersOnline;
      util.textContent = `${t('utilisation')} ${num((s.energy.totalKw / contract) * 100, 1)}%` + (missing > 0 ? ` · ${t('metersOffline', { n: missing })}` : '');
      util.classList.toggle('warn', missing > 0);
      if (s.newest.meter !== null && appendSample(app.history.power, s.at, s.energy.totalKw, 5_000, HOUR)) redraw = true;
    }
    // The window slides with the clock (once a minute is enough for 10-minute ticks).
    const now = Math.max(app.serverNow(), app.history.power.at(-1)?.[0] ?? 0);
    const minute = Math.floor(now / 60_000);
    if (redraw || minute !== axisMinute) {
      axisMinute = minute;
      power().setOption({ xAxis: timeAxis(now - HOUR, now, TICK_MS), series: [{ data: app.history.power }] });
    }
  });
}
