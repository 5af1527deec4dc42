// Alert rule ids and their names (zh-CN, English): part of the alert contract (shared/schema.ts
// re-exports them), kept free of zod so the browser apps import them without the schema library.

/**
 * The rules the ingest evaluates (thresholds in shared/park/alert-rules.json). Enterprise rules
 * (`enterprise-overload`) are keyed by the enterprise; every other rule by the device.
 */
export const ALERT_RULE_IDS = [
  'camera-offline',
  'camera-intrusion',
  'camera-tamper',
  'camera-loitering',
  'camera-video-loss',
  'node5g-offline',
  'node5g-degraded',
  'meter-offline',
  'enterprise-overload',
  'power-spike',
  'stale-data',
] as const;
export type AlertRuleId = (typeof ALERT_RULE_IDS)[number];

/** Each rule's name, zh-CN and English: alert titles (`name · device`) and the console's labels. */
export const ALERT_RULE_NAMES: Readonly<Record<AlertRuleId, readonly [string, string]>> = {
  'camera-offline': ['摄像机离线', 'Camera offline'],
  'camera-intrusion': ['入侵告警', 'Intrusion'],
  'camera-tamper': ['摄像机遭破坏', 'Camera tampering'],
  'camera-loitering': ['人员徘徊', 'Loitering'],
  'camera-video-loss': ['视频丢失', 'Video loss'],
  'node5g-offline': ['5G基站离线', '5G node offline'],
  'node5g-degraded': ['5G信号劣化', '5G signal degraded'],
  'meter-offline': ['电表离线', 'Meter offline'],
  'enterprise-overload': ['负荷超合同容量', 'Load above contract'],
  'power-spike': ['功率突增', 'Power spike'],
  'stale-data': ['数据滞后', 'Stale data'],
};
