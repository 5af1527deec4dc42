// ECharts tree-shaken from echarts/core: only what the wall uses.
import * as echarts from 'echarts/core';
import { BarChart, EffectScatterChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { GeoComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
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

/** Axis styling in design px (SCREEN-DESIGN.md §5). */
export function axisStyle(): Record<string, unknown> {
  return {
    axisLabel: { color: COLORS.axis, fontSize: px(12), fontFamily: FONT },
    axisLine: { lineStyle: { color: 'rgba(126,183,253,.35)' } },
    splitLine: { lineStyle: { color: COLORS.split } },
    nameTextStyle: { color: COLORS.axis, fontSize: px(12) },
  };
}

export function tooltipStyle(): Record<string, unknown> {
  return {
    backgroundColor: 'rgba(0,0,0,.6)',
    borderColor: 'rgba(147,235,248,.8)',
    textStyle: { color: '#FFF', fontSize: px(13) },
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
