// 5G专网: nodes up/down, the RSRP/SINR distribution over nodes (with the alert thresholds), and
// throughput and latency over the last hour.
import { onRender, type App } from '../app.ts';
import { axisStyle, COLORS, FONT, timeAxis, timeTooltip, tooltipStyle, valueAxis } from '../echarts-setup.ts';
import { num, tweenNumber } from '../format.ts';
import { pick, t } from '../i18n.ts';
import { chart, px } from '../scale.ts';
import { appendSample, HOUR } from '../trends.ts';

/** Thresholds of the degraded-node alert rule (ingest/alerts): drawn so the wall shows why. */
const RSRP_MIN = -110;
const SINR_MIN = 0;
const TICK_MS = 15 * 60_000;

export function setupNetwork(): void {
  const radio = chart('chart-radio', (c) =>
    c.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: px(44), right: px(10), top: px(22), bottom: px(26) },
      tooltip: { ...tooltipStyle(), trigger: 'item', formatter: (p: { data: { name: string; value: number[] } }) => `${p.data.name}<br/>RSRP ${p.data.value[0]} dBm · SINR ${p.data.value[1]} dB` },
      // Every 20 dB: at 14 px, ticks every 10 dB touch in this narrow chart.
      xAxis: { type: 'value', name: 'RSRP dBm', nameLocation: 'middle', nameGap: px(20), min: -140, max: -60, interval: 20, ...axisStyle(), axisLabel: { ...(axisStyle().axisLabel as object), hideOverlap: true } },
      yAxis: { type: 'value', name: 'SINR dB', min: -10, max: 35, interval: 10, ...axisStyle() },
      series: [
        {
          type: 'scatter',
          symbolSize: px(9),
          itemStyle: { color: COLORS.series1 },
          data: [],
          markLine: {
            silent: true,
            symbol: 'none',
            lineStyle: { color: COLORS.critical, type: 'dashed', width: px(1) },
            label: { color: COLORS.critical, fontSize: px(14) },
            data: [{ xAxis: RSRP_MIN }, { yAxis: SINR_MIN }],
          },
        },
      ],
    }),
  );
  const trend = chart('chart-throughput', (c) =>
    c.setOption({
      textStyle: { fontFamily: FONT },
      // The legend takes two lines at 14 px: the plot starts below both.
      grid: { left: px(44), right: px(30), top: px(46), bottom: px(22) },
      legend: { top: 0, right: 0, itemWidth: px(12), itemHeight: px(6), textStyle: { color: '#D3D6DD', fontSize: px(14) } },
      tooltip: timeTooltip(['Mbps', 'Mbps', 'ms']),
      xAxis: timeAxis(Date.now() - HOUR, Date.now(), TICK_MS),
      // Units are in the legend labels; axis names would sit under the legend.
      yAxis: [valueAxis(), valueAxis({ splitLine: { show: false } })],
      series: [
        { name: t('dlMbps'), type: 'line', smooth: true, showSymbol: false, data: [], lineStyle: { color: COLORS.series1, width: px(2) }, itemStyle: { color: COLORS.series1 } },
        { name: t('ulMbps'), type: 'line', smooth: true, showSymbol: false, data: [], lineStyle: { color: COLORS.series3, width: px(2) }, itemStyle: { color: COLORS.series3 } },
        { name: t('latencyMs'), type: 'line', smooth: true, showSymbol: false, yAxisIndex: 1, data: [], lineStyle: { color: COLORS.series2, width: px(2) }, itemStyle: { color: COLORS.series2 } },
      ],
    }),
  );
  let axisMinute = 0;
  const draw = (app: App): void => {
    const now = Math.max(app.serverNow(), app.history.dl.at(-1)?.[0] ?? 0);
    axisMinute = Math.floor(now / 60_000);
    trend().setOption({ xAxis: timeAxis(now - HOUR, now, TICK_MS), series: [{ data: app.history.dl }, { data: app.history.ul }, { data: app.history.latency }] });
  };
  // The window slides with the clock even when no sample is due.
  const slide = (app: App): void => {
    if (Math.floor(app.serverNow() / 60_000) !== axisMinute) draw(app);
  };
  const up = document.getElementById('node-up')!;
  const down = document.getElementById('node-down')!;
  const latency = document.getElementById('node-latency')!;
  const dl = document.getElementById('node-dl')!;

  onRender((app, reason) => {
    const s = app.live.summary;
    if (s && (reason.live || reason.all)) {
      tweenNumber(up, s.nodes.up);
      tweenNumber(down, s.nodes.down);
      latency.textContent = num(s.nodes.latencyMs, 1);
      tweenNumber(dl, s.nodes.dlMbps);
      const nodes = app.model.devices.filter((d) => d.kind === 'node5g');
      radio().setOption({
        series: [
          {
            data: nodes.flatMap((n) => {
              const live = app.live.devices.get(n.id);
              if (live?.status !== 'online' || !live.t) return [];
              const rsrp = live.t.rsrpDbm as number;
              const sinr = live.t.sinrDb as number;
              const bad = rsrp < RSRP_MIN || sinr < SINR_MIN;
              return [{ name: pick(n.name, n.nameEn), value: [rsrp, sinr], itemStyle: { color: bad ? COLORS.critical : COLORS.series1 } }];
            }),
          },
        ],
      });
      const h = app.history;
      const at = s.at;
      const changed = [appendSample(h.dl, at, s.nodes.dlMbps, 10_000, HOUR), appendSample(h.ul, at, s.nodes.ulMbps, 10_000, HOUR), appendSample(h.latency, at, s.nodes.latencyMs, 10_000, HOUR)];
      if (!changed.some(Boolean) && !reason.history && !reason.all) return slide(app);
    } else if (!reason.history && !reason.all) return slide(app);
    draw(app);
  });
}
