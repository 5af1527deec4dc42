// The big screen's first page: the three device groups live (cameras online/offline, 5G node
// quality, total park power), each with the age of its newest data.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { ParkModelData } from '../../../shared/park-model.ts';
import { connectLive, type LiveState } from './live-client.ts';
import './style.css';

echarts.use([BarChart, LineChart, PieChart, GridComponent, TooltipComponent, CanvasRenderer]);

const lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'zh';
const TEXT: Record<string, [string, string]> = {
  connecting: ['连接中…', 'Connecting…'],
  open: ['实时', 'Live'],
  lost: ['连接中断，重连中', 'Connection lost, retrying'],
  security: ['安防监控', 'Security cameras'],
  network: ['5G网络', '5G network'],
  power: ['园区总负荷', 'Park power'],
  online: ['在线', 'Online'],
  offline: ['离线', 'Offline'],
  total: ['总数', 'Total'],
  up: ['在线基站', 'Nodes up'],
  ago: ['秒前', 's ago'],
  rate: ['条/秒', 'msg/s'],
  title: ['丹徒高新技术产业园 智慧园区运行监测', 'Dantu High-tech Park · Live Operations'],
};
const t = (key: string): string => TEXT[key]?.[lang === 'en' ? 1 : 0] ?? key;
document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n!);
document.getElementById('title')!.textContent = t('title');
document.title = t('title');

// Designed on 1920x1080, fitted to the display with letterboxing; text and charts render at the
// display's real size (no CSS transform), so a 4K wall is crisp.
function fit(): void {
  const s = Math.min(innerWidth / 1920, innerHeight / 1080);
  document.documentElement.style.setProperty('--u', `${s}px`);
  for (const c of charts) c.resize();
}
const charts: echarts.ECharts[] = [];
const cameraChart = echarts.init(document.getElementById('chart-cameras')!);
const nodeChart = echarts.init(document.getElementById('chart-nodes')!);
const powerChart = echarts.init(document.getElementById('chart-power')!);
charts.push(cameraChart, nodeChart, powerChart);
let resizeTimer: number | undefined;
addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(fit, 200);
});
fit();

const axis = { axisLabel: { color: '#7EB7FD' }, splitLine: { lineStyle: { color: 'rgba(31,99,163,.2)' } } };
cameraChart.setOption({
  series: [{ type: 'pie', radius: ['50%', '72%'], label: { color: '#D3D6DD' }, data: [] }],
  color: ['#07F7A8', '#A0A0A0', '#3E4A5B'],
});
nodeChart.setOption({
  grid: { left: 40, right: 10, top: 20, bottom: 40 },
  xAxis: { type: 'category', data: [], ...axis, axisLabel: { color: '#7EB7FD', rotate: 45 } },
  yAxis: { type: 'value', name: 'SINR dB', ...axis },
  tooltip: { trigger: 'axis' },
  series: [{ type: 'bar', data: [], itemStyle: { color: '#09CAF3' } }],
});
const powerPoints: [number, number][] = [];
powerChart.setOption({
  grid: { left: 60, right: 16, top: 20, bottom: 30 },
  xAxis: { type: 'time', ...axis },
  yAxis: { type: 'value', name: 'kW', ...axis },
  tooltip: { trigger: 'axis' },
  series: [{ type: 'line', showSymbol: false, smooth: true, data: powerPoints, lineStyle: { color: '#FC9010' }, areaStyle: { color: 'rgba(252,144,16,.25)' } }],
});

let model: ParkModelData | null = null;
let live: LiveState | null = null;

function render(state: LiveState): void {
  live = state;
  const s = state.summary;
  if (!s) return;
  document.getElementById('cam-online')!.textContent = String(s.cameras.online);
  document.getElementById('cam-offline')!.textContent = String(s.cameras.offline);
  document.getElementById('cam-total')!.textContent = String(s.cameras.total);
  cameraChart.setOption({
    series: [{ data: [
      { name: t('online'), value: s.cameras.online },
      { name: t('offline'), value: s.cameras.offline },
      { name: '?', value: s.cameras.unknown },
    ] }],
  });
  document.getElementById('node-up')!.textContent = `${s.nodes.up}/${s.nodes.total}`;
  document.getElementById('node-rsrp')!.textContent = s.nodes.rsrpDbm === null ? '—' : s.nodes.rsrpDbm.toFixed(1);
  document.getElementById('node-sinr')!.textContent = s.nodes.sinrDb === null ? '—' : s.nodes.sinrDb.toFixed(1);
  const nodes = (model?.devices ?? []).filter((d) => d.kind === 'node5g');
  nodeChart.setOption({
    xAxis: { data: nodes.map((n) => n.id) },
    series: [{ data: nodes.map((n) => {
      const d = state.devices.get(n.id);
      return d?.status === 'online' && d.t ? d.t.sinrDb : null;
    }) }],
  });
  document.getElementById('power-total')!.textContent = s.energy.totalKw.toLocaleString('zh-CN', { maximumFractionDigits: 0 });
  if (s.newest.meter !== null) {
    const last = powerPoints.at(-1);
    if (!last || s.at - last[0] >= 5000) {
      powerPoints.push([s.at, s.energy.totalKw]);
      while (powerPoints.length > 0 && powerPoints[0]![0] < s.at - 3_600_000) powerPoints.shift();
      powerChart.setOption({ series: [{ data: powerPoints }] });
    }
  }
  document.getElementById('rate')!.textContent = `${s.ingest.ratePerSec.toFixed(0)} ${t('rate')}`;
}

/** Each panel shows the age of its newest data and greys out once older than its maximum age. */
const MAX_AGE_MS: Record<string, number> = { camera: 30_000, node5g: 30_000, meter: 30_000 };
function freshness(): void {
  const clock = new Date();
  document.getElementById('clock')!.textContent = clock.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
  if (!live?.summary) return;
  // Server clock now = its last message time + what elapsed here since.
  const serverNow = live.serverAt + (Date.now() - live.receivedAt);
  for (const el of document.querySelectorAll<HTMLElement>('[data-age-for]')) {
    const kind = el.dataset.ageFor as 'camera' | 'node5g' | 'meter';
    const newest = live.summary.newest[kind];
    const panel = el.closest('.panel')!;
    if (newest === null) {
      el.textContent = '—';
      panel.classList.add('stale');
      continue;
    }
    const age = Math.max(0, Math.round((serverNow - newest) / 1000));
    el.textContent = `${age} ${t('ago')}`;
    panel.classList.toggle('stale', age * 1000 > MAX_AGE_MS[kind]!);
  }
}
setInterval(freshness, 1000);

async function loadHistory(): Promise<void> {
  const to = Date.now();
  const from = to - 3_600_000;
  const res = await fetch(`/api/history?series=park.power&from=${from}&to=${to}&bucketMs=60000`);
  if (!res.ok) return;
  const body = (await res.json()) as { points: { t: number; v: number }[] };
  const hist = body.points.map((p) => [p.t, Math.round(p.v * 10) / 10] as [number, number]);
  powerPoints.unshift(...hist.filter((p) => p[0] < (powerPoints[0]?.[0] ?? Infinity)));
  powerChart.setOption({ series: [{ data: powerPoints }] });
}

async function boot(): Promise<void> {
  model = (await (await fetch('/api/park')).json()) as ParkModelData;
  await loadHistory().catch(() => {});
  const conn = document.getElementById('conn')!;
  connectLive({
    onState: render,
    onConnection(state, detail) {
      conn.dataset.state = state;
      conn.querySelector('span:last-child')!.textContent =
        state === 'lost' ? `${t('lost')} (${Math.round((detail.retryInMs ?? 0) / 1000)} s)` : t(state);
      document.body.classList.toggle('disconnected', state !== 'open');
    },
  });
}
void boot();
