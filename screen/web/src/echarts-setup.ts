// ECharts tree-shaken from echarts/core: only what the wall uses.
import * as echarts from 'echarts/core';
import { BarChart, EffectScatterChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { GeoComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { num } from './format.ts';
import { hm, hms, ticks, ymd } from './park-time.ts';
import { px } from './scale.ts';

echarts.use([BarChart, EffectScatterChart, LineChart, PieChart, ScatterChart, GeoComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

export { echarts };

export const COLORS = {
  critical: '#F4023C',
  major: '#F48C02',
  minor: '#E3B337',
  warning: '#09CAF3',
  online: '#07F7A8',
  offline: '#A0A0A0',
  unknown: '#3E4A5B',
  series1: '#09CAF3',
  series2: '#FC9010',
  series3: '#956FD4',
  axis: '#7EB7FD',
  split: 'rgba(31,99,163,.2)',
} as const;

export const FONT = '"Barlow Condensed", "Noto Sans SC", "Noto Sans CJK SC", sans-serif';

/** Axis styling in design px (docs/screen-design.md §5). */
export function axisStyle(): Record<string, unknown> {
  return {
    axisLabel: { color: COLORS.axis, fontSize: px(14), fontFamily: FONT },
    axisLine: { lineStyle: { color: 'rgba(126,183,253,.35)' } },
    splitLine: { lineStyle: { color: COLORS.split } },
    nameTextStyle: { color: COLORS.axis, fontSize: px(14) },
  };
}

export function tooltipStyle(): Record<string, unknown> {
  return {
    backgroundColor: 'rgba(0,0,0,.6)',
    borderColor: 'rgba(147,235,248,.8)',
    textStyle: { color: '#FFF', fontSize: px(14) },
  };
}

/** A line series' area: the series colour at alpha .7 fading to 0. */
export function areaFade(color: string): Record<string, unknown> {
  return {
    color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [
      { offset: 0, color: `${color}B3` },
      { offset: 1, color: `${color}00` },
    ]),
  };
}

/**
 * A time axis over exactly [min, max] (never the data's extent: a young series must not give a
 * ten-second axis with labels on top of each other), ticked every `stepMs` at the park's round
 * times, labelled `HH:mm` in the park's zone (midnight is 00:00, not a day number).
 */
export function timeAxis(min: number, max: number, stepMs: number): Record<string, unknown> {
  const values = ticks(min, max, stepMs);
  const style = axisStyle();
  return {
    type: 'time',
    min,
    max,
    ...style,
    splitLine: { show: false },
    axisTick: { customValues: values },
    axisLabel: { ...(style.axisLabel as object), customValues: values, hideOverlap: true, formatter: (v: number) => hm(v) },
    axisPointer: { label: { formatter: (p: { value: number }) => hms(p.value) } },
  };
}

/** Value-axis labels with no more precision than the axis needs (`minInterval` keeps steps whole). */
export function valueAxis(extra: Record<string, unknown> = {}, minInterval = 1): Record<string, unknown> {
  const style = axisStyle();
  const digits = minInterval >= 1 ? 0 : Math.ceil(-Math.log10(minInterval));
  return { type: 'value', minInterval, ...style, axisLabel: { ...(style.axisLabel as object), formatter: (v: number) => num(v, digits) }, ...extra };
}

interface TooltipParam {
  marker?: string;
  seriesName?: string;
  value: [number, number] | number;
}

/** Axis tooltip of a time chart: the time in the park's zone, then each series with its unit. */
export function timeTooltip(units: readonly string[] = [], digits = 0): Record<string, unknown> {
  return {
    ...tooltipStyle(),
    trigger: 'axis',
    className: 'chart-tip',
    formatter: (params: TooltipParam | TooltipParam[]) => {
      const list = Array.isArray(params) ? params : [params];
      const first = list[0]?.value;
      const head = Array.isArray(first) ? `${ymd(first[0])} ${hms(first[0])}` : '';
      const lines = list.map((p, i) => {
        const v = Array.isArray(p.value) ? p.value[1] : p.value;
        return `${p.marker ?? ''}${p.seriesName && list.length > 1 ? `${p.seriesName} ` : ''}${num(v, digits)}${units[i] ?? units[0] ? ` ${units[i] ?? units[0]}` : ''}`;
      });
      return [head, ...lines].join('<br/>');
    },
  };
}
