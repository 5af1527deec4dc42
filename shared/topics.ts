// Topic builders and parsers: the single source for every MQTT topic the park uses.
//
// Device topics:   park/{parkId}/{kind}/{deviceId}/{channel}
// Device command:  park/{parkId}/{kind}/{deviceId}/command   (devices subscribe, services publish)
// Derived topics:  park/{parkId}/live/{snapshot|delta}      (ingest publishes, screen subscribes)
//                  park/{parkId}/alerts/active              (ingest, retained: every open alert)
//                  park/{parkId}/alerts/reply/{requestId}   (ingest answers an operator action)
//                  park/{parkId}/ops/alerts                 (screen forwards operator actions to the ingest)
//                  park/{parkId}/notices/current            (screen, retained: the notice banner)
//                  park/{parkId}/notices/kpis               (screen, retained: the economic KPI set)

export const DEVICE_KINDS = ['camera', 'node5g', 'meter'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const CHANNELS = ['telemetry', 'event', 'status'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Ids of parks and devices: lower-case letters, digits and dashes, 1..64 chars, starting alphanumeric. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Longest topic we accept anywhere (bytes of UTF-8). MQTT allows 65535; nothing in the park needs more than ~100. */
export const MAX_TOPIC_LENGTH = 256;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function isDeviceKind(value: string): value is DeviceKind {
  return (DEVICE_KINDS as readonly string[]).includes(value);
}

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

function assertId(what: string, id: string): void {
  if (!isValidId(id)) throw new TypeError(`invalid ${what} id ${JSON.stringify(id)}: must match ${ID_PATTERN}`);
}

export function deviceTopic(parkId: string, kind: DeviceKind, deviceId: string, channel: Channel): string {
  assertId('park', parkId);
  assertId('device', deviceId);
  return `park/${parkId}/${kind}/${deviceId}/${channel}`;
}

export function commandTopic(parkId: string, kind: DeviceKind, deviceId: string): string {
  assertId('park', parkId);
  assertId('device', deviceId);
  return `park/${parkId}/${kind}/${deviceId}/command`;
}

/** Subscription filters that match every device message of one kind (never a bare `#`). */
export function deviceFilters(parkId: string): string[] {
  assertId('park', parkId);
  return DEVICE_KINDS.map((kind) => `park/${parkId}/${kind}/+/+`);
}

export const LIVE_SNAPSHOT = 'snapshot';
export const LIVE_DELTA = 'delta';

export function liveTopic(parkId: string, part: typeof LIVE_SNAPSHOT | typeof LIVE_DELTA): string {
  assertId('park', parkId);
  return `park/${parkId}/live/${part}`;
}

export function liveFilter(parkId: string): string {
  assertId('park', parkId);
  return `park/${parkId}/live/#`;
}

export function alertsActiveTopic(parkId: string): string {
  assertId('park', parkId);
  return `park/${parkId}/alerts/active`;
}

export function alertReplyTopic(parkId: string, requestId: string): string {
  assertId('park', parkId);
  assertId('request', requestId);
  return `park/${parkId}/alerts/reply/${requestId}`;
}

export function opsAlertsTopic(parkId: string): string {
  assertId('park', parkId);
  return `park/${parkId}/ops/alerts`;
}

export function noticesTopic(parkId: string, part: 'current' | 'kpis'): string {
  assertId('park', parkId);
  return `park/${parkId}/notices/${part}`;
}

export function alertsFilter(parkId: string): string {
  assertId('park', parkId);
  return `park/${parkId}/alerts/#`;
}

export function noticesFilter(parkId: string): string {
  assertId('park', parkId);
  return `park/${parkId}/notices/#`;
}

/** Operator actions and service-to-service requests (`ops/alerts`, replies). */
export function opsFilter(parkId: string): string {
  assertId('park', parkId);
  return `park/${parkId}/ops/#`;
}

/** The broker's own topics (MQTT-4.7.2: `$` topics are the server's). */
export const SYS_FILTER = '$SYS/#';

export interface DeviceTopic {
  parkId: string;
  kind: DeviceKind;
  deviceId: string;
  channel: Channel;
}

export type TopicParseError =
  | 'too-long'
  | 'bad-shape'
  | 'wrong-park'
  | 'bad-kind'
  | 'bad-device-id'
  | 'bad-channel';

export type TopicParseResult = { ok: true; topic: DeviceTopic } | { ok: false; error: TopicParseError };

/**
 * Parses a device topic. Never throws: hostile topics (wildcards, NUL, `..`, 100 levels) come back
 * as a reason the caller counts.
 */
export function parseDeviceTopic(topic: string, expectedParkId?: string): TopicParseResult {
  if (topic.length > MAX_TOPIC_LENGTH) return { ok: false, error: 'too-long' };
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'park') return { ok: false, error: 'bad-shape' };
  const [, parkId, kind, deviceId, channel] = parts as [string, string, string, string, string];
  if (!isValidId(parkId)) return { ok: false, error: 'bad-shape' };
  if (expectedParkId !== undefined && parkId !== expectedParkId) return { ok: false, error: 'wrong-park' };
  if (!isDeviceKind(kind)) return { ok: false, error: 'bad-kind' };
  if (!isValidId(deviceId)) return { ok: false, error: 'bad-device-id' };
  if (!isChannel(channel)) return { ok: false, error: 'bad-channel' };
  return { ok: true, topic: { parkId, kind, deviceId, channel } };
}
