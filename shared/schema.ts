// The one schema module: device payloads, the live park state the ingest derives, and the
// WebSocket messages the screen speaks. Types come from the schemas, never beside them.
import { z } from 'zod';
import { isCleanText, UNCLEAN_TEXT } from './clean-text.ts';
import type { Channel, DeviceKind } from './topics.ts';

/** Largest device payload the ingest accepts (bytes). A full meter reading is ~130 bytes. */
export const MAX_DEVICE_PAYLOAD_BYTES = 4096;

// Every device message carries the device clock and a per-device counter (+1 per message), so
// loss and duplication are measurable end to end.
const envelope = {
  /** Device clock, ms since the Unix epoch. */
  ts: z.number().int().min(1_000_000_000_000).max(99_999_999_999_999),
  /** Per-device message counter, +1 per message across telemetry, event and status. */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
};

// Strict objects: an unknown field is a schema violation, counted and logged, so a firmware that
// drifts from the contract is noticed instead of half-read.
export const cameraTelemetrySchema = z.strictObject({
  ...envelope,
  online: z.boolean(),
  fps: z.number().min(0).max(240),
  bitrateKbps: z.number().min(0).max(1_000_000),
  storageUsedPct: z.number().min(0).max(100),
});

export const CAMERA_EVENT_TYPES = ['intrusion', 'tamper', 'loitering', 'video_loss', 'motion'] as const;
export type CameraEventType = (typeof CAMERA_EVENT_TYPES)[number];

export const cameraEventSchema = z.strictObject({
  ...envelope,
  type: z.enum(CAMERA_EVENT_TYPES),
  /** Free text from the camera: printable only (schema-invalid otherwise; shared/clean-text.ts). */
  zone: z.string().min(1).max(64).refine(isCleanText, UNCLEAN_TEXT),
  confidence: z.number().min(0).max(1),
});

export const node5gTelemetrySchema = z.strictObject({
  ...envelope,
  rsrpDbm: z.number().min(-156).max(-31),
  sinrDb: z.number().min(-23).max(40),
  dlMbps: z.number().min(0).max(100_000),
  ulMbps: z.number().min(0).max(100_000),
  latencyMs: z.number().min(0).max(60_000),
  connectedUes: z.number().int().min(0).max(1_000_000),
});

export const meterTelemetrySchema = z.strictObject({
  ...envelope,
  /** Active power, kW (negative when the site feeds back). */
  kw: z.number().min(-1_000_000).max(1_000_000),
  /** Cumulative energy counter, kWh; never decreases except at a meter replacement. */
  kwh: z.number().min(0).max(1e12),
  voltage: z.number().min(0).max(1_000_000),
  current: z.number().min(0).max(1_000_000),
  powerFactor: z.number().min(-1).max(1),
});

export const DEVICE_STATES = ['online', 'offline'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/**
 * Retained `online`/`offline`. A device's MQTT last will is composed at connect time, so it
 * repeats the `seq` of the `online` message that opened its session and sets `will: true`.
 */
export const statusSchema = z.strictObject({
  ...envelope,
  state: z.enum(DEVICE_STATES),
  will: z.boolean().optional(),
});

export type CameraTelemetry = z.infer<typeof cameraTelemetrySchema>;
export type CameraEvent = z.infer<typeof cameraEventSchema>;
export type Node5gTelemetry = z.infer<typeof node5gTelemetrySchema>;
export type MeterTelemetry = z.infer<typeof meterTelemetrySchema>;
export type DeviceStatus = z.infer<typeof statusSchema>;

/** Which schema validates which (kind, channel); a missing entry is a channel the kind does not speak. */
export const payloadSchemas: Readonly<Record<DeviceKind, Partial<Record<Channel, z.ZodType>>>> = Object.freeze({
  camera: { telemetry: cameraTelemetrySchema, event: cameraEventSchema, status: statusSchema },
  node5g: { telemetry: node5gTelemetrySchema, status: statusSchema },
  meter: { telemetry: meterTelemetrySchema, status: statusSchema },
});

export type TelemetryFor<K extends DeviceKind> = K extends 'camera'
  ? CameraTelemetry
  : K extends 'node5g'
    ? Node5gTelemetry
    : MeterTelemetry;

/** Numeric/boolean telemetry fields per kind, in a stable order (the store's columns). */
export const TELEMETRY_FIELDS = {
  camera: ['online', 'fps', 'bitrateKbps', 'storageUsedPct'],
  node5g: ['rsrpDbm', 'sinrDb', 'dlMbps', 'ulMbps', 'latencyMs', 'connectedUes'],
  meter: ['kw', 'kwh', 'voltage', 'current', 'powerFactor'],
} as const satisfies Record<DeviceKind, readonly string[]>;

// ---------------------------------------------------------------------------------------------
// Live park state: derived by the ingest, carried over MQTT to the screen, then to browsers. One
// model on both hops: the state (summary + devices) is the same object in a snapshot and a delta,
// and each stream numbers its messages with `seq`.

export const DEVICE_LIVE_STATUSES = ['online', 'offline', 'unknown'] as const;
/**
 * Why a device counts as offline:
 * - status-offline: it said so (retained `offline`, or its last will published by the broker)
 * - stream-down: a camera that is connected but streams nothing (telemetry `online: false`)
 * - no-telemetry: no telemetry for the silence allowance of its kind (the offline rule's `noTelemetryMs`)
 */
export const OFFLINE_CAUSES = ['status-offline', 'stream-down', 'no-telemetry'] as const;
export type OfflineCause = (typeof OFFLINE_CAUSES)[number];

export const deviceLiveSchema = z.object({
  id: z.string(),
  kind: z.enum(['camera', 'node5g', 'meter']),
  /**
   * The device's effective status, computed once by the ingest (the same decision its offline
   * alert rules make): `online` = reporting (a camera: and streaming), `offline` (see `cause`),
   * `unknown` = nothing current heard since the ingest started. The wall shows and counts this.
   */
  status: z.enum(DEVICE_LIVE_STATUSES),
  /** Why it is offline (null unless `status` is `offline`). */
  cause: z.enum(OFFLINE_CAUSES).nullable(),
  /** Device clock of the newest message, ms, never ahead of the ingest clock at its arrival; null before the first one. */
  ts: z.number().nullable(),
  /** Ingest clock when the newest message arrived, ms; null before the first one. Never moves backwards. */
  seenAt: z.number().nullable(),
  /** Newest telemetry values, by field name. */
  t: z.record(z.string(), z.union([z.number(), z.boolean()])).nullable(),
});
export type DeviceLive = z.infer<typeof deviceLiveSchema>;

export const liveEventSchema = z.object({
  device: z.string(),
  seq: z.number(),
  ts: z.number(),
  type: z.enum(CAMERA_EVENT_TYPES),
  zone: z.string(),
  confidence: z.number(),
});
export type LiveEvent = z.infer<typeof liveEventSchema>;

export const liveSummarySchema = z.object({
  /** Ingest clock when this summary was computed, ms. */
  at: z.number(),
  ingest: z.object({
    /** Accepted device messages per second over the last few seconds. */
    ratePerSec: z.number(),
    accepted: z.number(),
    rejected: z.number(),
    rejects: z.record(z.string(), z.number()),
    gaps: z.number(),
    duplicates: z.number(),
  }),
  /** Counts by effective status (deviceLiveSchema `status`): the same numbers the map and the lists show. */
  cameras: z.object({
    total: z.number(),
    online: z.number(),
    offline: z.number(),
    unknown: z.number(),
    eventsLastHour: z.number(),
    latestEvents: z.array(liveEventSchema),
  }),
  nodes: z.object({
    total: z.number(),
    up: z.number(),
    down: z.number(),
    unknown: z.number(),
    /** Means over nodes that are up; null when none is. */
    rsrpDbm: z.number().nullable(),
    sinrDb: z.number().nullable(),
    latencyMs: z.number().nullable(),
    /** Sums over nodes that are up. */
    dlMbps: z.number(),
    ulMbps: z.number(),
  }),
  energy: z.object({
    /** Sum of every meter's newest kW; a meter that went offline counts with its last reading. */
    totalKw: z.number(),
    metersOnline: z.number(),
    metersTotal: z.number(),
    enterprises: z.array(z.object({ id: z.string(), kw: z.number(), kwhToday: z.number() })),
  }),
  /** Device clock of the newest message per kind (never ahead of the ingest clock), ms; null before the first. */
  newest: z.object({ camera: z.number().nullable(), node5g: z.number().nullable(), meter: z.number().nullable() }),
});
export type LiveSummary = z.infer<typeof liveSummarySchema>;

/** The derived state: one shape in snapshots and deltas, on MQTT and on the WebSocket. */
const liveStateShape = {
  summary: liveSummarySchema,
  /** A snapshot: every device. A delta: every device whose state changed since message `seq - 1`. */
  devices: z.array(deviceLiveSchema),
};

/**
 * The ingest's live stream: retained on park/{p}/live/snapshot (every device, every few seconds)
 * and on park/{p}/live/delta (changed devices). A delta goes out every `heartbeatMs` even when
 * nothing changed: it is the ingest's heartbeat, by which the screen knows the pipeline is alive.
 */
export const liveMessageSchema = z.object({
  /** Stream counter: +1 per delta; a snapshot repeats the seq of the last delta. */
  seq: z.number().int(),
  /** ms between deltas: a screen that hears nothing for a few of these has lost the ingest. */
  heartbeatMs: z.number().int().positive(),
  ...liveStateShape,
});
export type LiveMessage = z.infer<typeof liveMessageSchema>;

// ---------------------------------------------------------------------------------------------
// Alerts: owned by the ingest (rules, lifecycle, audit); the screen shows them and forwards
// operator actions. Retained on park/{p}/alerts/active as the full list of open alerts.

export const ALERT_SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** `cleared` alerts leave the active list (they stay in history and the audit trail). */
export const ALERT_STATES = ['active', 'flapping', 'acknowledged', 'shelved', 'cleared'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

// Rule ids and names live in a module without zod, so the browser apps can use them cheaply.
export { ALERT_RULE_IDS, ALERT_RULE_NAMES, type AlertRuleId } from './alert-rules-meta.ts';
import { ALERT_RULE_IDS } from './alert-rules-meta.ts';

/**
 * Why an alert cleared (its `clearReason`); the values that showed it are in the audit record.
 * - back-online: the device reports again (status online, telemetry flowing, stream up)
 * - video-restored: the camera streams frames again after a video_loss event
 * - signal-restored: RSRP, SINR and latency all back within their thresholds
 * - load-normal: the enterprise's load is back under its contracted capacity
 * - data-fresh: the device's readings arrive current again
 * - quiet: no further event for the rule's quiet time (event rules)
 * - acknowledged-after-recovery: a latched alert acknowledged after its condition returned
 * - device-offline: superseded by the device's offline alert (degraded, stale data)
 * - rule-disabled / not-in-model: the rule or the device is gone from the configuration
 */
export const CLEAR_REASONS = [
  'back-online', 'video-restored', 'signal-restored', 'load-normal', 'data-fresh', 'quiet',
  'acknowledged-after-recovery', 'device-offline', 'rule-disabled', 'not-in-model',
] as const;
export type ClearReason = (typeof CLEAR_REASONS)[number];

const operatorNote = z.object({ by: z.string(), at: z.number(), note: z.string() });

export const alertSchema = z.object({
  /** Unique per occurrence: a (rule, subject) condition that clears and returns gets a new id. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,127}$/),
  /** `${rule}:${subject}` (subject: the device, or the enterprise for enterprise rules): one open alert per key at most. */
  key: z.string(),
  rule: z.enum(ALERT_RULE_IDS),
  severity: z.enum(ALERT_SEVERITIES),
  state: z.enum(ALERT_STATES),
  /** The device it is about; for an enterprise rule, the enterprise's first meter (where the map marks it). */
  device: z.string(),
  kind: z.enum(['camera', 'node5g', 'meter']),
  zone: z.string(),
  enterprise: z.string().nullable(),
  /** Short text for the wall, zh-CN and English. */
  title: z.string(),
  titleEn: z.string(),
  /** The values that made the condition true (e.g. { rsrpDbm: -114 }). */
  detail: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  /** ms: when the condition was first seen, last changed, last seen true. */
  openedAt: z.number(),
  updatedAt: z.number(),
  lastSeenAt: z.number(),
  /** Times the condition was confirmed by a device message or came back while open (1 when raised). */
  count: z.number().int(),
  ack: operatorNote.nullable(),
  shelvedUntil: z.number().nullable(),
  /** Who shelved it, when, and why (null when not shelved). */
  shelf: operatorNote.nullable().default(null),
  clearedAt: z.number().nullable(),
  /** One of CLEAR_REASONS once cleared. */
  clearReason: z.string().nullable(),
  /** Times an unacknowledged critical alert was escalated (re-notified). */
  escalations: z.number().int(),
  /** ms of the last escalation, null before the first. */
  escalatedAt: z.number().nullable().default(null),
  /**
   * A latched alert (intrusion, tamper) stays open after its condition returned to normal until
   * someone acknowledges it: this is when the condition returned (null while it holds).
   */
  recoveredAt: z.number().nullable().default(null),
  /** Condition changes within the flapping window (the state is `flapping` at the configured count). */
  flips: z.number().int().default(0),
  /**
   * A lasting condition (offline, degraded, overload, stale data) that is back to normal while the
   * alert waits out the rule's off-delay before it clears: since when (null while it holds, and
   * always for event rules). The wall shows such an alert as recovering, not as a current fault.
   */
  normalSince: z.number().nullable().default(null),
});
export type Alert = z.output<typeof alertSchema>;

export const alertsActiveSchema = z.object({ at: z.number(), alerts: z.array(alertSchema) });
export type AlertsActive = z.infer<typeof alertsActiveSchema>;

const requestId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);
/** An operator's name: letters (any script), digits, `.`, `_`, `-`; 1..32 characters. */
export const OPERATOR_NAME_PATTERN = /^[\p{L}\p{N}._-]{1,32}$/u;

/** What an operator tried and was refused at the screen (no session, wrong origin, failed sign-in). */
export const REFUSED_ATTEMPTS = ['ack', 'shelve', 'unshelve', 'sign-in'] as const;

/** Most alerts one group action (console: a group, or a selection) may name. */
export const MAX_BATCH_ALERTS = 500;
/**
 * Set when the action is one of a group action an operator took on several alerts with one note:
 * every alert still gets its own action and audit record; `id` ties them together in the trail.
 */
const batch = z.object({ id: requestId, size: z.number().int().min(1).max(MAX_BATCH_ALERTS) }).optional();

/** An operator action the screen forwards to the ingest on park/{p}/ops/alerts. */
export const alertActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('ack'), requestId, alertId: z.string(), by: z.string().min(1), note: z.string().trim().min(1).max(500), at: z.number(), batch }),
  z.object({ action: z.literal('shelve'), requestId, alertId: z.string(), by: z.string().min(1), note: z.string().trim().min(1).max(500), until: z.number(), at: z.number(), batch }),
  z.object({ action: z.literal('unshelve'), requestId, alertId: z.string(), by: z.string().min(1), note: z.string().max(500), at: z.number(), batch }),
  /**
   * A refusal the screen made itself (it cannot write the trail): recorded by the ingest so the
   * audit trail holds every refused attempt. `by` is who it claimed to be (`anonymous` if nobody).
   */
  z.object({
    action: z.literal('refused'),
    requestId,
    attempted: z.enum(REFUSED_ATTEMPTS),
    alertId: z.string().max(128).nullable(),
    by: z.string().min(1).max(64),
    code: z.string().min(1).max(64),
    ip: z.string().max(64).nullable(),
    /** Similar refusals this record stands for (> 1 when the screen summarised a flood). */
    count: z.number().int().min(1).default(1),
    at: z.number(),
  }),
]);
export type AlertAction = z.infer<typeof alertActionSchema>;

/** The ingest's answer on park/{p}/alerts/reply/{requestId}. */
export const alertReplySchema = z.object({
  requestId: z.string(),
  ok: z.boolean(),
  /** Stable refusal code when !ok (ingest/alerts/errors.ts ALERT_ACTION_CODES: `alert-not-found`, `already-cleared`, ...). */
  code: z.string().nullable(),
  alert: alertSchema.nullable(),
});
export type AlertReply = z.infer<typeof alertReplySchema>;

/** Every audit record names who did what to which alert, when, and whether it was refused. */
export const AUDIT_ACTIONS = [
  'raise', 'flapping', 'recovered', 'recurred', 'clear', 'escalate', 'shelve-expired',
  'ack', 'shelve', 'unshelve', 'sign-in', 'invalid-request',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One record of the append-only audit trail. `hash` = sha256 over `prevHash` and the record's
 * canonical form (ingest/alerts/audit-chain.ts), so an edited, removed or reordered record breaks
 * the chain from there on.
 */
export const auditRecordSchema = z.object({
  seq: z.number().int(),
  at: z.number(),
  /** Operator name, `system` for the rules engine, `anonymous` for a refused attempt without a session. */
  actor: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  alertId: z.string().nullable(),
  fromState: z.enum(ALERT_STATES).nullable(),
  toState: z.enum(ALERT_STATES).nullable(),
  ok: z.boolean(),
  /** Refusal code when !ok; the clear reason's code for `clear`. */
  code: z.string().nullable(),
  note: z.string().nullable(),
  detail: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  requestId: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;

// ---------------------------------------------------------------------------------------------
// Operator notices (多媒体信息发布) and the economic KPI set, retained under park/{p}/notices/.

export const noticeSchema = z.object({
  id: z.string(),
  text: z.string().min(1).max(500),
  textEn: z.string().max(500).nullable(),
  level: z.enum(['info', 'important', 'urgent']),
  /** ms; the notice shows from `from` until `until` (null: until withdrawn). */
  from: z.number(),
  until: z.number().nullable(),
  by: z.string(),
  at: z.number(),
});
export type Notice = z.infer<typeof noticeSchema>;
export const noticesSchema = z.object({ at: z.number(), notices: z.array(noticeSchema) });

export const kpiFigureSchema = z.object({
  id: z.string(),
  label: z.string(),
  labelEn: z.string(),
  value: z.number(),
  unit: z.string(),
  unitEn: z.string(),
  /** Year-on-year change, %; null where the source gives none. */
  yoyPct: z.number().nullable(),
  /** Reporting period, e.g. "2024-01..06". */
  period: z.string(),
  source: z.string(),
});
export type KpiFigure = z.infer<typeof kpiFigureSchema>;

const spotlightFactSchema = z.union([
  z.object({ label: z.string(), labelEn: z.string(), value: z.number(), unit: z.string(), unitEn: z.string(), signed: z.boolean().optional() }),
  z.object({ label: z.string(), labelEn: z.string(), text: z.string(), textEn: z.string() }),
]);

const pipelineEntry = { count: z.number().int().min(0), label: z.string(), labelEn: z.string() };

/** Low-frequency official statistics (not telemetry): every figure with value, unit, YoY, period, source. */
export const kpiSetSchema = z.object({
  id: z.string(),
  title: z.string(),
  titleEn: z.string(),
  period: z.string(),
  source: z.object({ title: z.string(), authors: z.string(), note: z.string().optional() }),
  figures: z.array(kpiFigureSchema).min(1),
  innovation: z.array(kpiFigureSchema),
  pipeline: z.object({
    period: z.string(),
    signed: z.object({ ...pipelineEntry, over10yi: z.number().int() }),
    inTalks: z.object({ ...pipelineEntry, approx: z.boolean(), over10yi: z.number().int(), over30yi: z.number().int() }),
    key: z.object({ ...pipelineEntry, city: z.number().int(), cityContinued: z.number().int(), district: z.number().int() }),
    started: z.object({ ...pipelineEntry, names: z.array(z.string()), enterprises: z.array(z.string()) }),
  }),
  spotlights: z.array(z.object({ enterprise: z.string(), name: z.string(), nameEn: z.string(), facts: z.array(spotlightFactSchema) })),
  smartPark: z.array(z.string()),
});
export type KpiSet = z.infer<typeof kpiSetSchema>;

// ---------------------------------------------------------------------------------------------
// WebSocket between the screen server and browsers.

export const WS_PATH = '/ws';

/**
 * What the screen server knows of the pipeline behind it (sent with every message, and at least
 * every second when nothing else is sent), so a browser can tell a quiet park from a broken one.
 */
export const pipelineSchema = z.object({
  /** The screen server's own connection to the broker is up. */
  broker: z.boolean(),
  /** The ingest's live stream is arriving: a message within its heartbeat timeout. */
  ingest: z.boolean(),
  /** Server clock when the ingest's newest live message arrived, ms (null: none since the server started). */
  ingestSeenAt: z.number().nullable(),
});
export type PipelineState = z.infer<typeof pipelineSchema>;

const wsBase = {
  /** This connection's stream counter: the next message carries seq + 1. */
  seq: z.number().int(),
  /** Server clock, ms. */
  at: z.number(),
  pipeline: pipelineSchema,
  devices: liveStateShape.devices,
};

export const wsServerMessageSchema = z.discriminatedUnion('type', [
  /** The whole state: on connect, on request, after a browser fell behind. */
  z.object({
    type: z.literal('snapshot'),
    ...wsBase,
    /** Null until the ingest's first message reached the server. */
    summary: liveStateShape.summary.nullable(),
    /** Every open (not cleared) alert. */
    alerts: z.array(alertSchema),
    notices: z.array(noticeSchema),
  }),
  /** What changed since `seq - 1`; with no change at all it is the server's heartbeat (pipeline only). */
  z.object({
    type: z.literal('delta'),
    ...wsBase,
    /** Present when the ingest sent a newer summary. */
    summary: liveStateShape.summary.optional(),
    /** Present when the open alerts changed: the whole list again (it is short). */
    alerts: z.array(alertSchema).optional(),
    /** Present when the notices changed. */
    notices: z.array(noticeSchema).optional(),
  }),
]);
export type WsServerMessage = z.infer<typeof wsServerMessageSchema>;

export const wsClientMessageSchema = z.discriminatedUnion('type', [
  /** The browser saw a gap (or just started) and wants the full state. */
  z.object({ type: z.literal('resync') }),
]);
export type WsClientMessage = z.infer<typeof wsClientMessageSchema>;
