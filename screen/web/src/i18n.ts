// zh-CN first, English with ?lang=en. Every visible label comes from here.

export type Lang = 'zh' | 'en';

export const lang: Lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'zh';

const TEXT = {
  title: ['丹徒高新技术产业园 · 智慧园区运行监测', 'Dantu High-tech Industrial Park · Live Operations'],
  connecting: ['连接中', 'Connecting'],
  open: ['实时', 'Live'],
  lost: ['连接中断', 'Disconnected'],
  lostBanner: ['与服务器的连接已中断，{s} 秒后重连 · 显示的数据截至 {t}，可能已过时', 'Connection to the server lost, retrying in {s} s · data shown is as of {t} and may be out of date'],
  lostBannerNever: ['尚未连接到服务器，{s} 秒后重试', 'Not connected to the server yet, retrying in {s} s'],
  noDataHeader: ['数据中断', 'No data'],
  silentBanner: ['服务器无响应 · 显示的数据截至 {t}，可能已过时', 'The server is not answering · data shown is as of {t} and may be out of date'],
  brokerBanner: ['服务器与消息总线的连接已中断 · 显示的数据截至 {t}，可能已过时', 'The server lost the message broker · data shown is as of {t} and may be out of date'],
  ingestBanner: ['接入服务无数据 · 显示的数据截至 {t}，可能已过时', 'No data from the ingest service · data shown is as of {t} and may be out of date'],
  ingestRate: ['接入', 'Ingest'],
  msgPerSec: ['条/秒', 'msg/s'],
  notices: ['信息发布', 'Notices'],
  noNotices: ['暂无通知', 'No notices'],
  security: ['5G综合安防', '5G Security'],
  network: ['5G专网', '5G Private Network'],
  power: ['园区实时负荷', 'Park Power'],
  map: ['园区态势', 'Park Map'],
  alerts: ['告警信息', 'Active Alerts'],
  economy: ['经济运行', 'Economy'],
  ranking: ['今日用电排名', "Today's Energy by Enterprise"],
  projects: ['项目推进', 'Projects'],
  online: ['在线', 'Online'],
  offline: ['离线', 'Offline'],
  unknown: ['未知', 'Unknown'],
  total: ['总数', 'Total'],
  eventsPerHour: ['近1小时事件', 'Events, last hour'],
  nodesUp: ['在线基站', 'Nodes up'],
  nodesDown: ['离线基站', 'Nodes down'],
  latencyMs: ['平均时延 ms', 'Latency ms'],
  dlMbps: ['下行 Mbps', 'Downlink Mbps'],
  ulMbps: ['上行 Mbps', 'Uplink Mbps'],
  colTime: ['时间', 'Time'],
  colLevel: ['级别', 'Level'],
  colWhere: ['设备 / 位置', 'Device / place'],
  colWhat: ['告警 · 区域', 'Alert · zone'],
  colState: ['状态', 'State'],
  noAlerts: ['当前无告警', 'No active alerts'],
  alertsMore: ['另有 {n} 条未显示：', '{n} more not shown: '],
  alertsPage: ['第 {p}/{n} 页', 'page {p}/{n}'],
  alertsNew: ['新', 'NEW'],
  recovering: ['已恢复', 'Recovered'],
  shelvedUntil: ['搁置至 {t}', 'until {t}'],
  shelvedBy: ['{by} 搁置至 {t}', '{by}, until {t}'],
  ackedBy: ['{by} 确认', 'by {by}'],
  enterprise: ['企业', 'Enterprise'],
  kwhToday: ['今日电量 kWh', 'Today kWh'],
  loadVsContract: ['负荷/合同容量', 'Load / contract'],
  loadVsContractTitle: ['企业负荷与合同容量', 'Enterprise load vs contracted capacity'],
  cameraWall: ['摄像机状态', 'Camera status'],
  events24h: ['近24小时安防事件', 'Security events, last 24 h'],
  latestEvents: ['最新事件', 'Latest events'],
  power24h: ['近24小时园区负荷', 'Park power, last 24 h'],
  eventsUnit: ['起', 'events'],
  ago: ['{n} 秒前', '{n} s ago'],
  agoMin: ['{n} 分钟前', '{n} min ago'],
  agoHour: ['{n} 小时前', '{n} h ago'],
  noData: ['暂无数据', 'No data yet'],
  period: ['统计期', 'Period'],
  source: ['来源', 'Source'],
  yoy: ['同比', 'YoY'],
  signed: ['新签约亿元以上', 'Signed ≥ 100M'],
  inTalks: ['在手在谈亿元以上', 'In talks ≥ 100M'],
  keyProjects: ['市、区重点项目', 'Key projects'],
  started: ['已开工市重点项目', 'City key projects started'],
  over10yi: ['其中10亿元以上 {n} 个', '{n} ≥ CNY 1 bn'],
  over30yi: ['30亿元以上 {n} 个', '{n} ≥ 3 bn'],
  cityDistrict: ['市级 {c} 个（续建 {k}）· 区级 {d} 个', 'City {c} ({k} cont.), district {d}'],
  spotlight: ['企业风采', 'Enterprise spotlight'],
  approx: ['约', '~'],
  unitProjects: ['个', ''],
  kw: ['kW', 'kW'],
  legendCamera: ['摄像机', 'Camera'],
  legendNode: ['5G基站', '5G node'],
  legendMeter: ['电表', 'Meter'],
  contract: ['合同容量', 'Contract'],
  utilisation: ['负荷率', 'Utilisation'],
  metersOffline: ['{n} 台电表离线（按最后读数计）', '{n} meters offline (last reading counted)'],
  mute: ['静音', 'Muted'],
  unmute: ['提示音', 'Chime on'],
  sev_critical: ['紧急', 'Critical'],
  sev_major: ['重要', 'Major'],
  sev_minor: ['一般', 'Minor'],
  sev_warning: ['提示', 'Warning'],
  state_active: ['未确认', 'Unacknowledged'],
  state_flapping: ['频繁波动', 'Flapping'],
  state_acknowledged: ['已确认', 'Acknowledged'],
  state_shelved: ['已搁置', 'Shelved'],
  state_cleared: ['已恢复', 'Cleared'],
  ev_intrusion: ['区域入侵', 'Intrusion'],
  ev_tamper: ['遮挡/破坏', 'Tamper'],
  ev_loitering: ['人员徘徊', 'Loitering'],
  ev_video_loss: ['视频丢失', 'Video loss'],
  ev_motion: ['移动侦测', 'Motion'],
  page_overview: ['总览', 'Overview'],
  page_security: ['安防', 'Security'],
  page_energy: ['能耗', 'Energy'],
} as const satisfies Record<string, readonly [string, string]>;

export type TextKey = keyof typeof TEXT;

/** The label in the page's language, with `{name}` placeholders filled. */
export function t(key: TextKey, vars: Record<string, string | number> = {}): string {
  let s: string = TEXT[key][lang === 'en' ? 1 : 0];
  for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
  return s;
}

export function applyStaticText(root: ParentNode = document): void {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as TextKey);
  document.title = t('title');
}

/** Picks the zh or en variant of a data field pair. */
export function pick(zh: string, en: string | null | undefined): string {
  return lang === 'en' && en ? en : zh;
}
