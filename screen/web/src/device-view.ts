// The device view, on the wall (a map marker, an alert row or a camera tile opens it) and in the
// console (a device named in a list): the device's live values with their age, its last hour as a
// chart, its recent camera events, status changes and alerts, its enterprise and zone. History and
// the log come from the store through the screen's endpoints (/api/devices/:id, the same reads for
// SQLite and InfluxDB), the alerts from /api/devices/:id/alerts; live values from the page's own
// live mirror. On the wall it closes by itself after a while (`?deviceClose=<seconds>`, default 60).
import type { DeviceLive } from '../../../shared/schema.ts';
import type { Device, ParkModelData } from '../../../shared/park-model.ts';
import { COLORS, echarts, FONT, timeTooltip, tooltipStyle, valueAxis } from './echarts-setup.ts';
import { hm, monthDayTime, ticks } from './park-time.ts';
import './device-view.css';

type Lang = 'zh' | 'en';
type Pair = readonly [string, string];

const TEXT = {
  close: ['关闭', 'Close'],
  live: ['实时数据', 'Live values'],
  lastHour: ['近1小时', 'Last hour'],
  events: ['最近事件', 'Recent events'],
  status: ['在线状态变化', 'Status changes'],
  alerts: ['相关告警', 'Alerts'],
  none: ['无', 'None'],
  noValues: ['尚无数据', 'No data yet'],
  enterprise: ['企业', 'Enterprise'],
  zone: ['区域', 'Zone'],
  public: ['园区公共', 'Park (shared)'],
  age: ['{n} 秒前', '{n} s ago'],
  ageMin: ['{n} 分钟前', '{n} min ago'],
  ageHour: ['{n} 小时前', '{n} h ago'],
  closesIn: ['{n} 秒后自动关闭', 'closes in {n} s'],
  loading: ['加载中…', 'Loading…'],
  failed: ['读取失败：{e}', 'Could not load: {e}'],
  online: ['在线', 'Online'],
  offline: ['离线', 'Offline'],
  unknown: ['未知', 'Unknown'],
  will: ['（异常断开）', ' (dropped)'],
  camera: ['摄像机', 'Camera'],
  node5g: ['5G基站', '5G node'],
  meter: ['电表', 'Meter'],
} as const satisfies Record<string, Pair>;

const FIELDS: Record<string, { label: Pair; unit: string; digits: number }> = {
  online: { label: ['在线', 'Online'], unit: '', digits: 0 },
  fps: { label: ['帧率', 'Frame rate'], unit: 'fps', digits: 0 },
  bitrateKbps: { label: ['码率', 'Bitrate'], unit: 'kbps', digits: 0 },
  storageUsedPct: { label: ['存储占用', 'Storage used'], unit: '%', digits: 1 },
  rsrpDbm: { label: ['RSRP', 'RSRP'], unit: 'dBm', digits: 1 },
  sinrDb: { label: ['SINR', 'SINR'], unit: 'dB', digits: 1 },
  dlMbps: { label: ['下行', 'Downlink'], unit: 'Mbps', digits: 1 },
  ulMbps: { label: ['上行', 'Uplink'], unit: 'Mbps', digits: 1 },
  latencyMs: { label: ['时延', 'Latency'], unit: 'ms', digits: 1 },
  connectedUes: { label: ['接入终端', 'Connected UEs'], unit: '', digits: 0 },
  kw: { label: ['负荷', 'Load'], unit: 'kW', digits: 1 },
  kwh: { label: ['累计电量', 'Energy counter'], unit: 'kWh', digits: 0 },
  voltage: { label: ['电压', 'Voltage'], unit: 'V', digits: 1 },
  current: { label: ['电流', 'Current'], unit: 'A', digits: 1 },
  powerFactor: { label: ['功率因数', 'Power factor'], unit: '', digits: 2 },
};

/** The chart's series per kind: [series, label, unit, axis]. */
const CHART: Record<Device['kind'], [string, Pair, string, 0 | 1][]> = {
  meter: [['park.power', ['负荷', 'Load'], 'kW', 0]],
  node5g: [['node5g.dl', ['下行', 'Downlink'], 'Mbps', 0], ['node5g.ul', ['上行', 'Uplink'], 'Mbps', 0], ['node5g.latency', ['时延', 'Latency'], 'ms', 1]],
  camera: [['camera.bitrate', ['码率', 'Bitrate'], 'kbps', 0], ['camera.events', ['事件', 'Events'], '', 1]],
};

const EVENTS: Record<string, Pair> = { intrusion: ['区域入侵', 'Intrusion'], tamper: ['遮挡/破坏', 'Tamper'], loitering: ['人员徘徊', 'Loitering'], video_loss: ['视频丢失', 'Video loss'], motion: ['移动侦测', 'Motion'] };
const SEVERITY: Record<string, Pair> = { critical: ['紧急', 'Critical'], major: ['重要', 'Major'], minor: ['一般', 'Minor'], warning: ['提示', 'Warning'] };
const STATE: Record<string, Pair> = { active: ['未确认', 'Unacknowledged'], flapping: ['频繁波动', 'Flapping'], acknowledged: ['已确认', 'Acknowledged'], shelved: ['已搁置', 'Shelved'], cleared: ['已恢复', 'Cleared'] };

interface DeviceAnswer {
  device: Device;
  enterprise: { id: string; name: string; short: string; nameEn: string; shortEn: string } | null;
  zone: { id: string; name: string; nameEn: string } | null;
  chart: { from: number; to: number; bucketMs: number; series: Record<string, { t: number; v: number }[]> };
  log: { events: { ts: number; seq: number; type: string; confidence: number | null }[]; status: { ts: number; seq: number; state: string; will: boolean }[] };
}
interface WallAlert {
  id: string;
  severity: string;
  state: string;
  title: string;
  titleEn: string;
  openedAt: number;
  clearedAt: number | null;
  ack: { by: string; at: number } | null;
  shelvedUntil: number | null;
  shelf: { by: string; at: number } | null;
}

export interface DeviceViewOptions {
  model: ParkModelData;
  lang: Lang;
  /** Where the view is placed (the wall's #screen, the console's body). */
  container: HTMLElement;
  /** The device's newest live state and the server's clock now. */
  live(id: string): { device: DeviceLive | undefined; serverNow: number };
  /** ms after which it closes by itself (the wall), null: stays until closed (the console). */
  autoCloseMs: number | null;
  /** Design px -> display px for the chart (the wall's unit; identity in the console). */
  px(n: number): number;
}

export interface DeviceView {
  open(id: string): Promise<void>;
  close(): void;
  /** The open device's id, or null. */
  readonly current: string | null;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function createDeviceView(opts: DeviceViewOptions): DeviceView {
  const L = opts.lang === 'en' ? 1 : 0;
  const tr = (key: keyof typeof TEXT, vars: Record<string, string | number> = {}): string => {
    let s: string = TEXT[key][L];
    for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
    return s;
  };
  const pick = (p: Pair | undefined, fallback: string): string => (p ? p[L] : fallback);
  const num = (v: number, digits: number): string => v.toLocaleString(opts.lang === 'en' ? 'en-GB' : 'zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const age = (ms: number): string => {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) return tr('age', { n: s });
    if (s < 7200) return tr('ageMin', { n: Math.round(s / 60) });
    return tr('ageHour', { n: Math.round(s / 3600) });
  };

  const el = document.createElement('section');
  el.className = 'device-view';
  el.id = 'device-view';
  el.hidden = true;
  el.setAttribute('role', 'dialog');
  opts.container.append(el);

  let current: string | null = null;
  let openedAt = 0;
  let chart: echarts.ECharts | null = null;
  let tick: number | undefined;
  let seq = 0;

  function close(): void {
    current = null;
    el.hidden = true;
    el.removeAttribute('data-device');
    window.clearInterval(tick);
    chart?.dispose();
    chart = null;
    el.innerHTML = '';
  }

  function renderLive(d: Device): void {
    const box = el.querySelector<HTMLElement>('.dv-live');
    if (!box) return;
    const { device: live, serverNow } = opts.live(d.id);
    const status = live?.status ?? 'unknown';
    const when = live?.seenAt ?? live?.ts ?? null;
    const values = live?.t
      ? Object.entries(live.t).filter(([k]) => k !== 'online').map(([k, v]) => {
          const f = FIELDS[k];
          const text = typeof v === 'boolean' ? (v ? tr('online') : tr('offline')) : num(v, f?.digits ?? 1);
          return `<div class="dv-value" data-field="${esc(k)}"><span>${esc(pick(f?.label, k))}</span><b>${esc(text)}</b>${f?.unit ? `<small>${esc(f.unit)}</small>` : ''}</div>`;
        })
      : [];
    box.innerHTML = `<div class="dv-status st-${status}" data-status="${status}"><i></i>${esc(tr(status))}${when !== null ? ` · <span class="dv-age" data-age-ms="${Math.max(0, serverNow - when)}">${esc(age(serverNow - when))}</span>` : ''}</div>
      <div class="dv-values">${values.length > 0 ? values.join('') : `<p class="dv-empty">${esc(tr('noValues'))}</p>`}</div>`;
    if (opts.autoCloseMs !== null) {
      const left = Math.max(0, Math.ceil((openedAt + opts.autoCloseMs - Date.now()) / 1000));
      const c = el.querySelector('.dv-closes');
      if (c) c.textContent = tr('closesIn', { n: left });
    }
  }

  function renderChart(a: DeviceAnswer): void {
    const host = el.querySelector<HTMLElement>('.dv-chart');
    if (!host) return;
    const px = opts.px;
    chart = echarts.init(host, null, { renderer: 'canvas', devicePixelRatio: window.devicePixelRatio });
    const defs = CHART[a.device.kind];
    const axisFont = { fontSize: px(14), fontFamily: FONT, color: COLORS.axis };
    const step = 15 * 60_000;
    const values = ticks(a.chart.from, a.chart.to, step);
    chart.setOption({
      textStyle: { fontFamily: FONT, fontSize: px(14) },
      grid: { left: px(56), right: px(56), top: px(36), bottom: px(28) },
      legend: { top: 0, textStyle: { color: '#D3D6DD', fontSize: px(14) }, itemHeight: px(8) },
      tooltip: { ...timeTooltip(defs.map((d) => d[2])), ...tooltipStyle(), textStyle: { color: '#FFF', fontSize: px(14) } },
      xAxis: { type: 'time', min: a.chart.from, max: a.chart.to, axisLabel: { ...axisFont, customValues: values, formatter: (v: number) => hm(v) }, axisTick: { customValues: values }, splitLine: { show: false } },
      yAxis: [0, 1].map((i) => ({ ...valueAxis({}, defs.some((d) => d[3] === i && d[0] === 'camera.events') ? 1 : 0.1), axisLabel: { ...axisFont }, show: defs.some((d) => d[3] === i), splitLine: { show: i === 0, lineStyle: { color: COLORS.split } } })),
      series: defs.map(([s, label, unit, axis], i) => ({
        name: `${label[L]}${unit ? ` ${unit}` : ''}`,
        type: s === 'camera.events' ? 'bar' : 'line',
        yAxisIndex: axis,
        showSymbol: false,
        smooth: true,
        barMaxWidth: px(6),
        itemStyle: { color: [COLORS.series1, COLORS.series3, COLORS.series2][i] },
        data: (a.chart.series[s] ?? []).map((p) => [p.t, Math.round(p.v * 100) / 100]),
      })),
    });
  }

  function listHtml(items: string[]): string {
    return items.length > 0 ? items.join('') : `<li class="dv-empty">${esc(tr('none'))}</li>`;
  }

  async function open(id: string): Promise<void> {
    const d = opts.model.devices.find((x) => x.id === id);
    if (!d) return;
    close();
    const mine = ++seq;
    current = id;
    openedAt = Date.now();
    el.hidden = false;
    el.dataset.device = id;
    el.dataset.state = 'loading';
    const name = opts.lang === 'en' ? d.nameEn : d.name;
    el.innerHTML = `<header class="dv-head"><h2><span class="dv-kind">${esc(tr(d.kind))}</span> <span class="dv-name">${esc(name)}</span> <small>${esc(d.id)}</small></h2>
      <span class="dv-closes"></span><button type="button" class="dv-close" aria-label="${esc(tr('close'))}">✕ ${esc(tr('close'))}</button></header>
      <div class="dv-where"></div>
      <div class="dv-body"><div class="dv-live"></div><div class="dv-history"><h3>${esc(tr('lastHour'))}</h3><div class="dv-chart"></div></div></div>
      <div class="dv-logs"><p class="dv-loading">${esc(tr('loading'))}</p></div>`;
    el.querySelector('.dv-close')!.addEventListener('click', close);
    renderLive(d);
    tick = window.setInterval(() => {
      if (opts.autoCloseMs !== null && Date.now() - openedAt >= opts.autoCloseMs) return close();
      renderLive(d);
    }, 1000);
    try {
      const get = async <T>(path: string): Promise<T> => {
        const res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return (await res.json()) as T;
      };
      const [a, al] = await Promise.all([get<DeviceAnswer>(`/api/devices/${encodeURIComponent(id)}`), get<{ alerts: WallAlert[] }>(`/api/devices/${encodeURIComponent(id)}/alerts`)]);
      if (mine !== seq) return; // another device was opened meanwhile
      const ent = a.enterprise ? (opts.lang === 'en' ? a.enterprise.nameEn : a.enterprise.name) : tr('public');
      const zone = a.zone ? (opts.lang === 'en' ? a.zone.nameEn : a.zone.name) : d.zone;
      el.querySelector('.dv-where')!.innerHTML = `<span>${esc(tr('enterprise'))}：<b class="dv-enterprise">${esc(ent)}</b></span><span>${esc(tr('zone'))}：<b class="dv-zone">${esc(zone)}</b></span>`;
      const events = a.log.events.map((e) => `<li><time>${esc(monthDayTime(e.ts))}</time> ${esc(pick(EVENTS[e.type], e.type))}${e.confidence !== null ? ` · ${num(e.confidence * 100, 0)}%` : ''}</li>`);
      const status = a.log.status.map((s) => `<li class="st-${esc(s.state)}"><time>${esc(monthDayTime(s.ts))}</time> ${esc(s.state === 'online' ? tr('online') : tr('offline'))}${s.will ? esc(tr('will')) : ''}</li>`);
      const alerts = al.alerts.map((x) => {
        const st = pick(STATE[x.state], x.state);
        const who = x.state === 'shelved' && x.shelf ? ` · ${x.shelf.by} → ${x.shelvedUntil ? hm(x.shelvedUntil) : ''}` : x.ack ? ` · ${x.ack.by}` : '';
        return `<li class="sev-${esc(x.severity)}" data-alert-id="${esc(x.id)}"><time>${esc(monthDayTime(x.openedAt))}</time> <b>${esc(pick(SEVERITY[x.severity], x.severity))}</b> ${esc(opts.lang === 'en' && x.titleEn ? x.titleEn : x.title)} · ${esc(st)}${esc(who)}</li>`;
      });
      el.querySelector('.dv-logs')!.innerHTML = `
        <div class="dv-log"><h3>${esc(tr('alerts'))}</h3><ul class="dv-alerts">${listHtml(alerts)}</ul></div>
        ${d.kind === 'camera' ? `<div class="dv-log"><h3>${esc(tr('events'))}</h3><ul class="dv-events">${listHtml(events)}</ul></div>` : ''}
        <div class="dv-log"><h3>${esc(tr('status'))}</h3><ul class="dv-status-log">${listHtml(status)}</ul></div>`;
      renderChart(a);
      el.dataset.state = 'ready';
      el.dataset.points = String(Object.values(a.chart.series).reduce((n, s) => n + s.length, 0));
    } catch (err) {
      if (mine !== seq) return;
      el.dataset.state = 'failed';
      el.querySelector('.dv-logs')!.innerHTML = `<p class="dv-error">${esc(tr('failed', { e: (err as Error).message }))}</p>`;
    }
  }

  addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && current) close();
  });
  // A touch or click inside the view on the wall restarts its clock: someone is reading it.
  el.addEventListener('pointerdown', () => (openedAt = Date.now()));

  return {
    open,
    close,
    get current() {
      return current;
    },
  };
}

