// Alerts: owned by the ingest (rules, lifecycle, audit); the screen shows them and forwards
// operator actions. Retained on park/{p}/alerts/active as the full list of open alerts (part of
// the schema module, shared/schema.ts).
import { z } from 'zod';
import { ALERT_RULE_IDS } from '../alert-rules-meta.ts';

export const ALERT_SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** `cleared` alerts leave the active list (they stay in history and the audit trail). */
export const ALERT_STATES = ['active', 'flapping', 'acknowledged', 'shelved', 'cleared'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

// Rule ids and names live in a module without zod, so the browser apps can use them cheaply.
export { ALERT_RULE_IDS, ALERT_RULE_NAMES, type AlertRuleId } from '../alert-rules-meta.ts';

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
