// 园区实时负荷: the park's total power now and over the last hour.
import { onRender } from '../app.ts';
import { areaFade, axisStyle, COLORS, FONT, tooltipStyle } from '../echarts-setup.ts';
import { num, tweenNumber } from '../format.ts';
import { t } from '../i18n.ts';
import { chart, px } from '../scale.ts';
import { appendSample, HOUR } from '../trends.ts';

export function setupPower(): void {
  const power = chart('chart-power', (c) =>
    c.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: px(52), right: px(14), top: px(18), bottom: px(24) },
      tooltip: { ...tooltipStyle(), trigger: 'axis', valueFormatter: (v: number) => `${num(v)} kW` },
      xAxis: { type: 'time', ...axisStyle(), splitLine: { show: false } },
      yAxis: { type: 'value', name: 'kW', scale: true, ...axisStyle() },
      series: [{ type: 'line', smooth: true, showSymbol: false, data: [], lineStyle: { color: COLORS.series2, width: px(2) }, areaStyle: areaFade(COLORS.series2) }],
    }),
  );
  const total = document.getElementById('power-total')!;
  const util = document.getElementById('power-util')!;

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
    if (redraw) power().setOption({ series: [{ data: app.history.power }] });
  });
}
