// The console's words, zh-CN first (the control room's language), English with ?lang=en.
import { ALERT_RULE_NAMES } from '../../../../shared/alert-rules-meta.ts';
import { monthDayTime } from '../park-time.ts';
export const lang: 'zh' | 'en' = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'zh';

const TEXT = {
  title: ['告警处置台', 'Alert Console'],
  park: ['丹徒高新技术产业园', 'Dantu High-tech Park'],
  signIn: ['登录', 'Sign in'],
  signOut: ['退出', 'Sign out'],
  name: ['账号', 'Operator'],
  password: ['密码', 'Password'],
  signInHint: ['仅限值班人员。账号由管理员通过 `operator add` 创建。', 'Operators only. An administrator adds accounts with `operator add`.'],
  live: ['实时告警', 'Live alerts'],
  history: ['历史查询', 'History'],
  audit: ['审计记录', 'Audit trail'],
  trends: ['数据趋势', 'Trends'],
  range: ['时间范围', 'Range'],
  lastHour: ['近1小时', 'Last hour'],
  lastDay: ['近24小时', 'Last day'],
  lastWeek: ['近7天', 'Last week'],
  custom: ['自定义', 'Custom'],
  show: ['显示', 'Show'],
  bucket: ['每点 {b}', 'one point per {b}'],
  parkPower: ['园区负荷 kW', 'Park power kW'],
  network: ['5G 下行/上行 Mbps', '5G downlink/uplink Mbps'],
  latency: ['5G 平均时延 ms', '5G latency ms'],
  cameraEvents: ['安防事件（起）', 'Camera events'],
  energyByEnterprise: ['各企业用电量 kWh（所选范围）', 'Energy by enterprise, kWh (range)'],
  alertCounts: ['告警数量（按发生时间）', 'Alerts opened'],
  brushHint: ['在图上框选一段时间可放大到该范围；滚轮或下方滑块缩放。', 'Brush a span on a chart to zoom the range to it; wheel or the slider below zooms.'],
  badRange: ['请填写开始和结束时间（结束晚于开始，最长31天）', 'Give a start and an end (end after start, 31 days at most)'],
  severity: ['级别', 'Severity'],
  state: ['状态', 'State'],
  kind: ['设备类型', 'Device type'],
  zone: ['区域', 'Zone'],
  rule: ['规则', 'Rule'],
  all: ['全部', 'All'],
  alert: ['告警', 'Alert'],
  device: ['设备', 'Device'],
  opened: ['发生时间', 'Opened'],
  lastSeen: ['最近', 'Last seen'],
  count: ['次数', 'Count'],
  actions: ['操作', 'Actions'],
  ack: ['确认', 'Acknowledge'],
  shelve: ['搁置', 'Shelve'],
  unshelve: ['取消搁置', 'Unshelve'],
  note: ['处置说明', 'Note'],
  noteRequired: ['请填写处置说明', 'A note is required'],
  duration: ['搁置时长', 'Shelve for'],
  cancel: ['取消', 'Cancel'],
  submit: ['提交', 'Submit'],
  none: ['暂无告警', 'No alerts'],
  noneMatch: ['没有符合条件的告警', 'No alert matches the filters'],
  connecting: ['连接中…', 'Connecting…'],
  open: ['实时', 'Live'],
  lost: ['连接中断，重连中', 'Connection lost, retrying'],
  keyword: ['关键词', 'Keyword'],
  from: ['开始', 'From'],
  to: ['结束', 'To'],
  search: ['查询', 'Search'],
  more: ['加载更多', 'Load more'],
  exportCsv: ['导出CSV', 'Export CSV'],
  verify: ['校验完整性', 'Verify chain'],
  verified: ['审计链完整，共 {n} 条记录', 'Chain intact: {n} records'],
  broken: ['审计链在第 {seq} 条记录处被破坏（{reason}）', 'Chain broken at record #{seq} ({reason})'],
  actor: ['操作人', 'Actor'],
  time: ['时间', 'Time'],
  action: ['动作', 'Action'],
  result: ['结果', 'Result'],
  refusedOnly: ['仅看被拒绝的', 'Refused only'],
  ok: ['成功', 'OK'],
  refused: ['拒绝', 'Refused'],
  ackBy: ['{by} 于 {at} 确认：{note}', 'Acknowledged by {by} at {at}: {note}'],
  shelvedBy: ['{by} 搁置至 {until}：{note}', 'Shelved by {by} until {until}: {note}'],
  recovered: ['已恢复，待确认', 'Recovered, awaiting acknowledgement'],
  escalated: ['已升级 {n} 次', 'Escalated {n}×'],
  cleared: ['{at} 解除：{reason}', 'Cleared {at}: {reason}'],
  minutes: ['{n} 分钟', '{n} min'],
  hours: ['{n} 小时', '{n} h'],
  details: ['详情', 'Details'],
  close: ['关闭', 'Close'],
  sessionEnded: ['会话已结束，请重新登录', 'Your session ended; sign in again'],
  timeout: ['告警服务未及时响应，结果未知，请刷新确认', 'The alert service did not answer in time; the outcome is unknown, check the alert'],
  error: ['操作失败', 'Failed'],
  grouped: ['按规则和区域分组', 'Group by rule and zone'],
  clearSelection: ['清除选择', 'Clear selection'],
  selectAll: ['全选', 'Select all'],
  selectGroup: ['选择本组', 'Select group'],
  selectedCount: ['已选 {n} 条', '{n} selected'],
  verbMany: ['{verb} {n} 条', '{verb} {n}'],
  verbGroup: ['{verb}本组（{n}）', '{verb} group ({n})'],
  groupSize: ['共 {n} 条', '{n} alerts'],
  oneNoteEach: ['同一处置说明记入每条告警的审计记录，并署名当前值班人员。', 'The one note goes into each alert\'s own audit record, signed by you.'],
  batchDone: ['已{verb} {n} 条。', '{verb}: {n} done.'],
  batchRefused: ['{n} 条未执行：{why}', '{n} not done: {why}'],
  normalSince: ['{at} 起已恢复正常，待自动解除', 'Back to normal since {at}; clears shortly'],
  timeHint: ['格式 2024-06-30 21:00（{zone}）', 'Format 2024-06-30 21:00 ({zone})'],
  badTime: ['时间格式应为 2024-06-30 21:00', 'Write the time as 2024-06-30 21:00'],
} as const satisfies Record<string, readonly [string, string]>;

export type TextKey = keyof typeof TEXT;

export function t(key: TextKey, vars: Record<string, string | number> = {}): string {
  let s: string = TEXT[key][lang === 'en' ? 1 : 0];
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

type Table = Record<string, readonly [string, string]>;
const pick = (table: Table, key: string): string => table[key]?.[lang === 'en' ? 1 : 0] ?? key;

const SEVERITY: Table = { critical: ['紧急', 'Critical'], major: ['重要', 'Major'], minor: ['一般', 'Minor'], warning: ['提示', 'Warning'] };
// The same words as the wall (screen/web/src/i18n.ts), so an operator reads one vocabulary.
const STATE: Table = { active: ['未确认', 'Unacknowledged'], flapping: ['频繁波动', 'Flapping'], acknowledged: ['已确认', 'Acknowledged'], shelved: ['已搁置', 'Shelved'], cleared: ['已恢复', 'Cleared'] };
const KIND: Table = { camera: ['摄像机', 'Camera'], node5g: ['5G基站', '5G node'], meter: ['电表', 'Meter'] };
const REASON: Table = {
  'back-online': ['设备恢复在线', 'device back online'],
  'video-restored': ['视频恢复', 'video restored'],
  'signal-restored': ['信号恢复正常', 'signal back to normal'],
  'load-normal': ['负荷恢复正常', 'load back under contract'],
  'data-fresh': ['数据恢复实时', 'data current again'],
  quiet: ['无新事件', 'no further events'],
  'acknowledged-after-recovery': ['恢复后已确认', 'acknowledged after recovery'],
  'device-offline': ['设备离线（见离线告警）', 'device offline (see its offline alert)'],
  'rule-disabled': ['规则已停用', 'rule disabled'],
  'not-in-model': ['设备已移除', 'device removed'],
};
const ACTION: Table = {
  raise: ['产生', 'raised'], flapping: ['转为波动', 'flapping'], recovered: ['条件恢复', 'recovered'], recurred: ['再次出现', 'recurred'],
  clear: ['解除', 'cleared'], escalate: ['升级', 'escalated'], 'shelve-expired': ['搁置到期', 'shelving expired'],
  ack: ['确认', 'acknowledge'], shelve: ['搁置', 'shelve'], unshelve: ['取消搁置', 'unshelve'], 'sign-in': ['登录', 'sign-in'], 'invalid-request': ['无效请求', 'invalid request'],
};
const CODE: Table = {
  'already-acknowledged': ['该告警已被确认', 'already acknowledged'],
  'already-cleared': ['该告警已解除', 'already cleared'],
  'already-shelved': ['该告警已搁置', 'already shelved'],
  'not-shelved': ['该告警未搁置', 'not shelved'],
  'alert-not-found': ['告警不存在', 'no such alert'],
  'not-signed-in': ['未登录', 'not signed in'],
  'cross-origin': ['跨站请求', 'cross-origin request'],
  'origin-required': ['缺少来源', 'no origin'],
  'bad-credentials': ['账号或密码错误', 'wrong name or password'],
  'rate-limited': ['尝试过于频繁，请稍后再试', 'too many attempts, try again later'],
  expired: ['请求已过期', 'request expired'],
  'no-operators': ['尚未创建值班账号', 'no operator registered'],
  'ingest-timeout': ['告警服务未及时响应', 'the alert service did not answer'],
};

export const severityLabel = (s: string): string => pick(SEVERITY, s);
export const stateLabel = (s: string): string => pick(STATE, s);
export const kindLabel = (s: string): string => pick(KIND, s);
export const ruleLabel = (s: string): string => pick(ALERT_RULE_NAMES, s);
export const reasonLabel = (s: string): string => pick(REASON, s);
export const actionLabel = (s: string): string => pick(ACTION, s);
export const codeLabel = (s: string): string => pick(CODE, s);

/** `MM-DD HH:mm:ss` in the park's time zone (never the browser's, nor its locale's order). */
export function formatTime(ms: number | null): string {
  if (ms === null) return '—';
  return monthDayTime(ms);
}

/** The alert's title in the page's language: the same words the wall shows for it. */
export function alertTitle(a: { title: string; titleEn: string }): string {
  return lang === 'en' && a.titleEn ? a.titleEn : a.title;
}
