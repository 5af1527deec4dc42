// The ingest's alerting: rules fed by accepted readings and a timer, the alert state machine, the
// alert database with its audit trail, and the MQTT side (retained park/{p}/alerts/active on every
// change and at start; operator actions from park/{p}/ops/alerts, answered on alerts/reply/{id}).
//
// Order of every change: commit to alerts.db (state and audit together), then publish. State
// changes are flushed at once (the wall sees them within milliseconds); re-confirmations
// (count, lastSeenAt) are batched to one flush per tick.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../shared/logger.ts';
import type { ParkModel } from '../../shared/park-model.ts';
import { alertActionSchema, type Alert, type AlertAction, type AlertReply, type AlertsActive, type AlertState } from '../../shared/schema.ts';
import { createThrottledLog } from '../../shared/throttled-log.ts';
import { alertReplyTopic, alertsActiveTopic, ID_PATTERN } from '../../shared/topics.ts';
import type { AlertActionCode } from './errors.ts';
import type { Reading } from '../store/types.ts';
import type { DeviceStatusBook } from '../device-status.ts';
import { openAlertDb, type AlertDb, type NewAudit } from './alert-db.ts';
import type { ApplyResult } from './device-tracks.ts';
import { createLifecycle, type Changes } from './lifecycle.ts';
import { alertTitle, createRuleEvaluator, PULSE_RULES } from './rules.ts';
import type { AlertRules } from './rules-config.ts';
import { formatIssue } from '../../shared/validation.ts';

export interface AlertingOptions {
  model: ParkModel;
  rules: AlertRules;
  /** The alert database file (state and audit trail); created with its folder. */
  dbPath: string;
  logger: Logger;
  /**
   * The ingest's device status book (the wall's statuses come from it too). The ingest applies
   * each reading to it once and passes what it was to `onReading`. Without it the rules keep
   * their own.
   */
  devices?: DeviceStatusBook;
  now?: () => number;
  /**
   * A sharded park: its ingest shards and its aggregator share alerts.db and all receive every
   * operator action. Each loads and acts on the alerts it `owns`; the one that `answersForOthers`
   * (the aggregator) also answers for alerts nobody has (not found) and records the screen's own
   * refusals. The others stay silent on what is not theirs, so every request gets one answer.
   * Default: one ingest owns every alert.
   */
  ownership?: {
    owns(alert: Alert): boolean;
    answersForOthers: boolean;
    /** Names this participant's own records in the shared alerts.db (e.g. `shard-0`, `aggregator`). */
    scope: string;
  };
}

/** Publishes on the broker (QoS 1); returns false when not connected (the message is not sent). */
export type AlertPublisher = (topic: string, payload: string, retain: boolean) => boolean;

export interface AlertingStats {
  open: number;
  /** Open alerts per state (the `parkpulse_alerts{state}` metric). */
  byState: Partial<Record<AlertState, number>>;
  raised: number;
  cleared: number;
  actions: number;
  refused: number;
  storeFailures: number;
  /** Readings on which a rule threw (logged); the reading is stored regardless. */
  ruleErrors: number;
  auditHead: { seq: number; hash: string } | null;
}

export interface Alerting {
  /** `applied`: what the reading was to the shared status book (see AlertingOptions.devices). */
  onReading(r: Reading, retained: boolean, applied?: ApplyResult): void;
  /** Handles one ops/alerts message; resolves once it is recorded and answered. Never rejects. */
  onAction(payload: Buffer): Promise<void>;
  /** Sets where messages go (the ingest's MQTT client, just connected) and publishes the open alerts. */
  attach(publish: AlertPublisher): void;
  /** The broker connection is gone: no device is silent because the ingest cannot hear it. */
  detach(): void;
  publishActive(): void;
  /** Readings and time no longer change alerts (actions still do): the park is shutting down. */
  stopRules(): void;
  open(): Alert[];
  stats(): AlertingStats;
  close(): Promise<void>;
}

const SEVERITY_ORDER = { critical: 0, major: 1, minor: 2, warning: 3 } as const;
/** alerts.db meta key: the devices that went offline during the last planned shutdown. */
const LEFT_AT_SHUTDOWN = 'left-at-shutdown';
const RECENT_REPLIES = 1000;

export function createAlerting(opts: AlertingOptions): Alerting {
  const log = opts.logger.child({ module: 'alerts' });
  const warn = createThrottledLog(log);
  const now = opts.now ?? Date.now;
  const { model, rules } = opts;
  const parkId = model.id;
  const db: AlertDb = openAlertDb(opts.dbPath);
  const evaluator = createRuleEvaluator(model, rules, opts.devices);
  const lifecycle = createLifecycle({
    rules,
    pulseRules: PULSE_RULES,
    title: (rule, subject) => alertTitle(rule, subject),
    newId: () => `${now().toString(36)}-${randomBytes(5).toString('hex')}`,
  });
  const stats = { raised: 0, cleared: 0, actions: 0, refused: 0, storeFailures: 0, ruleErrors: 0 };
  const replies = new Map<string, AlertReply>();
  let retry: Changes | null = null;
  let publish: AlertPublisher = () => false;
  let flushScheduled = false;
  let closed = false;
  let rulesStopped = false;

  const owns = opts.ownership?.owns ?? (() => true);
  const answersForOthers = opts.ownership?.answersForOthers ?? true;
  // In a sharded park every participant keeps its own record of who left with a shutdown.
  const leftKey = opts.ownership ? `${LEFT_AT_SHUTDOWN}:${opts.ownership.scope}` : LEFT_AT_SHUTDOWN;
  lifecycle.load(db.openAlerts().filter(owns), (a) => evaluator.subjectOf(a.rule, a.key), now());
  // Devices that left with the last planned shutdown: their retained `offline` is that shutdown.
  const left = db.getMeta(leftKey) as { at: number; devices: string[] } | null;
  if (left) {
    opts.devices?.graceAfterShutdown(left.devices);
    db.setMeta(leftKey, null);
    log.info({ devices: left.devices.length, stoppedAt: left.at }, 'devices that left with the last shutdown get their silence allowance to come back');
  }
  let rulesStoppedAt: number | null = null;
  log.info({ open: lifecycle.open().length, auditHead: db.head(), path: db.path }, 'alert state loaded');

  /** Commits queued changes (and any that failed before); publishes the list if something changed. */
  function flush(extraAudit: NewAudit[] = []): boolean {
    const ch = lifecycle.takeChanges();
    if (retry) {
      const merged = new Map(retry.alerts.map((a) => [a.id, a]));
      for (const a of ch.alerts) merged.set(a.id, a);
      ch.alerts = [...merged.values()];
      ch.audit = [...retry.audit, ...ch.audit];
      ch.urgent ||= retry.urgent;
      retry = null;
    }
    ch.audit.push(...extraAudit);
    if (ch.alerts.length === 0 && ch.audit.length === 0) return true;
    let stored = true;
    try {
      db.commit(ch.alerts, ch.audit);
    } catch (err) {
      stored = false;
      stats.storeFailures++;
      retry = ch; // kept in order and committed with the next flush
      log.error({ err, alerts: ch.alerts.length, audit: ch.audit.length }, 'alert database write failed; will retry');
    }
    for (const r of ch.audit) {
      if (r.action === 'raise') stats.raised++;
      else if (r.action === 'clear') stats.cleared++;
    }
    // Published even when the write failed: the wall must show an alert the disk could not keep.
    if (ch.alerts.length > 0) publishActive();
    return stored;
  }

  function scheduleFlush(): void {
    if (flushScheduled || closed) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      flush();
    });
  }

  function publishActive(): void {
    const alerts = lifecycle
      .open()
      .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.openedAt - a.openedAt);
    const body: AlertsActive = { at: now(), alerts };
    publish(alertsActiveTopic(parkId), JSON.stringify(body), true);
  }

  function reply(r: AlertReply): void {
    replies.set(r.requestId, r);
    if (replies.size > RECENT_REPLIES) replies.delete(replies.keys().next().value!);
    publish(alertReplyTopic(parkId, r.requestId), JSON.stringify(r), false);
  }

  const timer = setInterval(() => {
    if (rulesStopped) return;
    const t = now();
    try {
      for (const o of evaluator.onTick(t)) lifecycle.observe(o);
      lifecycle.tick(t);
    } catch (err) {
      stats.ruleErrors++;
      warn('tick-error', { err }, 'alert timer checks failed');
    }
    flush();
  }, rules.tickMs);

  function refusalAudit(fields: Pick<NewAudit, 'actor' | 'action' | 'alertId' | 'code' | 'requestId'> & Partial<NewAudit>): NewAudit {
    return { at: now(), fromState: null, toState: null, ok: false, note: null, detail: {}, ...fields };
  }

  /** Whether this participant answers an action (always, unless the park is sharded). */
  function answersFor(action: AlertAction): boolean {
    if (action.action === 'refused') return answersForOthers;
    if (lifecycle.get(action.alertId)) return true;
    const past = db.alert(action.alertId);
    return past ? owns(past) : answersForOthers;
  }

  async function handleAction(payload: Buffer): Promise<void> {
    stats.actions++;
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      raw = null;
    }
    const parsed = alertActionSchema.safeParse(raw);
    if (!parsed.success && !answersForOthers) return;
    if (!parsed.success) {
      const r = (raw ?? {}) as Record<string, unknown>;
      const requestId = typeof r.requestId === 'string' && ID_PATTERN.test(r.requestId) ? r.requestId : null;
      const actor = typeof r.by === 'string' && r.by.length > 0 ? r.by.slice(0, 64) : 'unknown';
      const issue = formatIssue(parsed.error.issues[0]);
      warn('invalid-action', { requestId, issue }, 'invalid operator action refused');
      stats.refused++;
      flush([refusalAudit({ actor, action: 'invalid-request', alertId: typeof r.alertId === 'string' ? r.alertId.slice(0, 128) : null, code: 'invalid-action', requestId, detail: { issue: issue.slice(0, 200) } })]);
      if (requestId) reply({ requestId, ok: false, code: 'invalid-action', alert: null });
      return;
    }
    const action = parsed.data;
    if (!answersFor(action)) return;
    // A redelivered request (QoS 1, or after a restart) is answered again, never applied twice.
    const known = replies.get(action.requestId);
    if (known) return reply(known);
    const recorded = db.auditByRequest(action.requestId);
    if (recorded.length > 0) {
      const first = recorded[0]!;
      return reply({ requestId: action.requestId, ok: first.ok, code: first.code, alert: first.alertId ? (lifecycle.get(first.alertId) ?? db.alert(first.alertId)) : null });
    }
    if (action.action === 'refused') {
      stats.refused++;
      flush([refusalAudit({ actor: action.by, action: action.attempted, alertId: action.alertId, code: action.code, requestId: action.requestId, at: action.at, detail: { ip: action.ip, source: 'screen', count: action.count } })]);
      return reply({ requestId: action.requestId, ok: true, code: null, alert: null });
    }
    const t = now();
    const refuse = (code: AlertActionCode, alert: Alert | null): void => {
      stats.refused++;
      const stored = flush([refusalAudit({ actor: action.by, action: action.action, alertId: action.alertId, code, requestId: action.requestId, fromState: alert?.state ?? null, note: action.note || null })]);
      reply({ requestId: action.requestId, ok: false, code: stored ? code : 'store-unavailable', alert });
    };
    if (t - action.at > rules.actionMaxAgeMs) return refuse('expired', lifecycle.get(action.alertId));
    // What the rules changed so far is stored first, so a failure below concerns this action only.
    if (!flush()) return reply({ requestId: action.requestId, ok: false, code: 'store-unavailable', alert: null });
    const before = lifecycle.get(action.alertId);
    const snapshot = before ? { ...before } : null;
    const result = lifecycle.act(action, t);
    if (!result.ok) {
      const past = result.code === 'alert-not-found' ? db.alert(action.alertId) : null;
      return past?.state === 'cleared' ? refuse('already-cleared', past) : refuse(result.code, result.alert);
    }
    const ch = lifecycle.takeChanges();
    try {
      db.commit(ch.alerts, ch.audit);
    } catch (err) {
      stats.storeFailures++;
      log.error({ err, action: action.action, alertId: action.alertId }, 'could not store an operator action; refused');
      lifecycle.restore(snapshot, action.alertId);
      return reply({ requestId: action.requestId, ok: false, code: 'store-unavailable', alert: snapshot });
    }
    log.info({ action: action.action, alertId: action.alertId, by: action.by, state: result.alert.state }, 'operator action applied');
    publishActive();
    reply({ requestId: action.requestId, ok: true, code: null, alert: result.alert });
  }

  return {
    onReading(r, retained, applied) {
      if (closed || rulesStopped) return;
      try {
        for (const o of evaluator.onReading(r, retained, applied)) lifecycle.observe(o);
      } catch (err) {
        // A fault in a rule must never stop readings from being stored.
        stats.ruleErrors++;
        warn('rule-error', { err, device: r.device, channel: r.channel }, 'alert rules failed on a reading');
      }
      if (lifecycle.hasUrgent()) scheduleFlush();
    },
    async onAction(payload) {
      if (closed) return;
      try {
        await handleAction(payload);
      } catch (err) {
        log.error({ err }, 'operator action failed');
      }
    },
    attach(p) {
      publish = p;
      evaluator.resumeListening(now());
      publishActive();
    },
    detach() {
      evaluator.pauseListening(now());
    },
    publishActive,
    stopRules() {
      if (rulesStopped) return;
      rulesStopped = true;
      rulesStoppedAt = now();
      flush();
      log.info('alert rules stopped for shutdown');
    },
    open: () => lifecycle.open(),
    stats() {
      const open = lifecycle.open();
      const byState: Partial<Record<AlertState, number>> = {};
      for (const a of open) byState[a.state] = (byState[a.state] ?? 0) + 1;
      return { open: open.length, byState, ...stats, auditHead: db.head() };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      flush();
      // A planned shutdown (rules stopped first): who left with it is no incident at the next start.
      if (rulesStoppedAt !== null && opts.devices) {
        const devices = opts.devices.offlineSince(rulesStoppedAt);
        if (devices.length > 0) db.setMeta(leftKey, { at: rulesStoppedAt, devices });
      }
      log.info({ auditHead: db.head(), open: lifecycle.open().length }, 'alert state stored');
      db.close();
    },
  };
}
