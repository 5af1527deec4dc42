// The alert state machine, with no I/O: conditions observed by the rules go in, alert changes and
// audit records come out (the engine commits them, then publishes).
//
// - One tracker per key (rule + subject), at most one open alert per key. A condition that persists
//   updates its alert (count, lastSeenAt, detail); it never opens a second one.
// - On/off delays: a condition must hold `onDelayMs` before an alert opens, and stay false
//   `offDelayMs` before it clears (event rules: quiet time after the last event), so a condition
//   that wobbles around its threshold does not produce a storm.
// - Flapping: `flips` condition changes within `windowMs` (raises, and changes while an alert is
//   open) turn the alert `flapping`; it then clears only after `quietMs` of calm. A key that
//   flapped recently opens its next alert as `flapping`.
// - Latching (intrusion, tamper): when the condition returns while nobody has acknowledged, the
//   alert stays open (recoveredAt set) and clears when acknowledged.
// - Lifecycle: active|flapping -> acknowledged -> cleared; any open state -> shelved (until a time)
//   -> back; an unacknowledged alert of an escalating severity escalates after `afterMs`, then
//   every `repeatMs`.
import type { Alert, AlertAction, AlertRuleId, AlertState, AuditRecord, ClearReason } from '../../shared/schema.ts';
import type { DeviceKind } from '../../shared/topics.ts';
import type { NewAudit } from './alert-db.ts';
import type { AlertActionCode } from './errors.ts';
import type { AlertRules } from './rules-config.ts';

export type Detail = Record<string, number | string | boolean>;

/** What an alert is about: a device, or an enterprise (then `device` is where the map marks it). */
export interface Subject {
  id: string;
  device: string;
  kind: DeviceKind;
  zone: string;
  enterprise: string | null;
  /** Display name (zh-CN) and its English form for titles. */
  name: string;
  nameEn: string;
}

export interface Observation {
  rule: AlertRuleId;
  subject: Subject;
  /** Level rules: whether the condition holds. Ignored for pulses (always true). */
  value: boolean;
  /** An event (intrusion, spike): true once, then quiet; the alert clears after `offDelayMs` of quiet. */
  pulse?: boolean;
  /** A device message showed it (counted), as opposed to a timer noticing silence. */
  confirmed: boolean;
  detail: Detail;
  /** With value false: why the condition ended (becomes the clear reason). */
  reason?: ClearReason;
  at: number;
}

export type ActionResult = { ok: true; alert: Alert } | { ok: false; code: AlertActionCode; alert: Alert | null };

export interface Changes {
  alerts: Alert[];
  audit: NewAudit[];
  /** A state change (or new alert) is among them: publish at once, not at the next lazy flush. */
  urgent: boolean;
}

interface Tracker {
  key: string;
  rule: AlertRuleId;
  subject: Subject;
  pulse: boolean;
  cond: boolean;
  /** When `cond` took its value (pulses: time of the last event). */
  condSince: number;
  flips: number[];
  alert: Alert | null;
  detail: Detail;
  reason: ClearReason;
  recoverDetail: Detail;
}

export interface LifecycleOptions {
  rules: AlertRules;
  title(rule: AlertRuleId, subject: Subject, detail: Detail): { title: string; titleEn: string };
  newId(): string;
  /** Event rules (an occurrence, not a lasting condition). */
  pulseRules: ReadonlySet<AlertRuleId>;
}

export interface Lifecycle {
  /** Open alerts from the database (after a restart); `subjectOf` gives null for a subject no longer in the model. */
  load(alerts: readonly Alert[], subjectOf: (a: Alert) => Subject | null, now: number): void;
  observe(o: Observation): void;
  /** Time-based transitions: delays, shelve expiry, escalation. */
  tick(now: number): void;
  act(action: Exclude<AlertAction, { action: 'refused' }>, now: number): ActionResult;
  get(id: string): Alert | null;
  open(): Alert[];
  takeChanges(): Changes;
  /** A state change waits to be taken (flush it now rather than at the next tick). */
  hasUrgent(): boolean;
  /** Puts an alert back as it was (its change could not be stored) and drops the queued changes. */
  restore(before: Alert | null, id: string): void;
}

export const SYSTEM_ACTOR = 'system';

export function createLifecycle(opts: LifecycleOptions): Lifecycle {
  const { rules } = opts;
  const trackers = new Map<string, Tracker>();
  const byId = new Map<string, Tracker>();
  let dirty = new Map<string, Alert>();
  let audit: NewAudit[] = [];
  let urgent = false;

  const cfgOf = (rule: AlertRuleId) => rules.rules[rule];

  function tracker(rule: AlertRuleId, subject: Subject, pulse: boolean, now: number): Tracker {
    const key = `${rule}:${subject.id}`;
    let t = trackers.get(key);
    if (!t) {
      t = { key, rule, subject, pulse, cond: false, condSince: now, flips: [], alert: null, detail: {}, reason: pulse ? 'quiet' : 'back-online', recoverDetail: {} };
      trackers.set(key, t);
    }
    return t;
  }

  function flipsInWindow(t: Tracker, now: number): number {
    const from = now - rules.flapping.windowMs;
    while (t.flips.length > 0 && t.flips[0]! < from) t.flips.shift();
    return t.flips.length;
  }

  function touch(a: Alert, now: number, isUrgent: boolean): void {
    a.updatedAt = Math.max(a.updatedAt, now);
    dirty.set(a.id, a);
    if (isUrgent) urgent = true;
  }

  function record(a: Alert | null, action: AuditRecord['action'], actor: string, at: number, fields: Partial<NewAudit> = {}): void {
    audit.push({
      at, actor, action, alertId: a?.id ?? null, fromState: null, toState: a?.state ?? null, ok: true, code: null, note: null, detail: {}, requestId: null,
      ...fields,
    });
  }

  function transition(a: Alert, to: AlertState, action: AuditRecord['action'], actor: string, now: number, fields: Partial<NewAudit> = {}): void {
    const from = a.state;
    a.state = to;
    touch(a, now, true);
    record(a, action, actor, now, { fromState: from, toState: to, ...fields });
  }

  function raise(t: Tracker, now: number): void {
    const cfg = cfgOf(t.rule);
    if (!t.pulse) t.flips.push(now);
    const flips = flipsInWindow(t, now);
    const { title, titleEn } = opts.title(t.rule, t.subject, t.detail);
    const a: Alert = {
      id: opts.newId(), key: t.key, rule: t.rule, severity: cfg.severity, state: flips >= rules.flapping.flips ? 'flapping' : 'active',
      device: t.subject.device, kind: t.subject.kind, zone: t.subject.zone, enterprise: t.subject.enterprise, title, titleEn,
      detail: { ...t.detail }, openedAt: t.pulse ? now : Math.min(t.condSince, now), updatedAt: now, lastSeenAt: now, count: 1,
      ack: null, shelvedUntil: null, shelf: null, clearedAt: null, clearReason: null, escalations: 0, escalatedAt: null, recoveredAt: null, flips,
      normalSince: null,
    };
    t.alert = a;
    byId.set(a.id, t);
    touch(a, now, true);
    record(a, 'raise', SYSTEM_ACTOR, now, { toState: a.state, detail: { ...t.detail, severity: a.severity, flips } });
  }

  function clear(t: Tracker, reason: ClearReason, now: number, actor = SYSTEM_ACTOR): void {
    const a = t.alert!;
    a.clearedAt = now;
    a.clearReason = reason;
    transition(a, 'cleared', 'clear', actor, now, { code: reason, detail: { ...t.recoverDetail } });
    t.alert = null;
    byId.delete(a.id);
  }

  /** The state an alert returns to when it stops being shelved. */
  function unshelvedState(t: Tracker, now: number): AlertState {
    const a = t.alert!;
    if (a.ack) return 'acknowledged';
    return flipsInWindow(t, now) >= rules.flapping.flips || a.flips >= rules.flapping.flips ? 'flapping' : 'active';
  }

  function evaluate(t: Tracker, now: number): void {
    const cfg = cfgOf(t.rule);
    const a = t.alert;
    if (!a) {
      if (!t.pulse && t.cond && cfg.enabled && now - t.condSince >= cfg.onDelayMs) raise(t, now);
      return;
    }
    const recovered = t.pulse || !t.cond;
    const quiet = a.state === 'flapping' || a.flips >= rules.flapping.flips ? Math.max(cfg.offDelayMs, rules.flapping.quietMs) : cfg.offDelayMs;
    if (recovered && a.recoveredAt === null && now - t.condSince >= quiet) {
      if (cfg.latch && a.ack === null) {
        a.recoveredAt = now;
        touch(a, now, true);
        record(a, 'recovered', SYSTEM_ACTOR, now, { fromState: a.state, code: t.reason, detail: { ...t.recoverDetail } });
      } else {
        clear(t, t.reason, now);
        return;
      }
    }
    if (a.state === 'shelved' && a.shelvedUntil !== null && now >= a.shelvedUntil) {
      const to = unshelvedState(t, now);
      a.shelvedUntil = null;
      a.shelf = null;
      transition(a, to, 'shelve-expired', SYSTEM_ACTOR, now);
    }
    const esc = rules.escalation;
    if (a.ack === null && (a.state === 'active' || a.state === 'flapping') && esc.severities.includes(a.severity)) {
      const due = a.escalatedAt === null ? a.openedAt + esc.afterMs : a.escalatedAt + esc.repeatMs;
      if (now >= due) {
        a.escalations++;
        a.escalatedAt = now;
        touch(a, now, true);
        record(a, 'escalate', SYSTEM_ACTOR, now, { fromState: a.state, detail: { escalations: a.escalations, unacknowledgedMs: now - a.openedAt } });
      }
    }
  }

  function observe(o: Observation): void {
    const cfg = cfgOf(o.rule);
    if (!cfg.enabled) return;
    const pulse = o.pulse === true;
    const t = tracker(o.rule, o.subject, pulse, o.at);
    t.subject = o.subject;
    const value = pulse || o.value;
    const changed = pulse || value !== t.cond;
    // Flips that matter are those an operator would see: while an alert is open (and its raise,
    // below). A wobble during the on-delay never reached anyone.
    if (!pulse && changed && t.alert) t.flips.push(o.at);
    if (value) t.detail = o.detail;
    else {
      t.reason = o.reason ?? t.reason;
      t.recoverDetail = o.detail;
    }
    if (changed) {
      t.cond = value;
      t.condSince = o.at;
    }
    const a = t.alert;
    if (a) {
      if (value && (changed || o.confirmed)) {
        a.count++;
        a.lastSeenAt = o.at;
        a.detail = { ...o.detail };
        touch(a, o.at, false);
        if (a.recoveredAt !== null) {
          a.recoveredAt = null;
          touch(a, o.at, true);
          record(a, 'recurred', SYSTEM_ACTOR, o.at, { fromState: a.state, detail: { ...o.detail } });
        }
      }
      if (!pulse && changed) {
        a.flips = flipsInWindow(t, o.at);
        // Back to normal (or not any more) while the off-delay runs: the wall shows it at once.
        a.normalSince = value ? null : o.at;
        touch(a, o.at, true);
        if (a.state === 'active' && a.flips >= rules.flapping.flips) transition(a, 'flapping', 'flapping', SYSTEM_ACTOR, o.at, { detail: { flips: a.flips, windowMs: rules.flapping.windowMs } });
      }
    } else if (pulse) {
      raise(t, o.at);
    }
    evaluate(t, o.at);
  }

  function refuse(code: AlertActionCode, a: Alert | null): ActionResult {
    return { ok: false, code, alert: a ? { ...a } : null };
  }

  function act(action: Exclude<AlertAction, { action: 'refused' }>, now: number): ActionResult {
    const t = byId.get(action.alertId);
    const a = t?.alert;
    if (!t || !a) return refuse('alert-not-found', null);
    const note = action.note.trim();
    // One of a group action: the trail ties the alerts of one operator decision together.
    const batch: Detail = action.batch ? { batchId: action.batch.id, batchSize: action.batch.size } : {};
    switch (action.action) {
      case 'ack': {
        if (a.ack) return refuse('already-acknowledged', a);
        a.ack = { by: action.by, at: now, note };
        // A shelved alert keeps its shelf; acknowledging it only records who took it on.
        transition(a, a.state === 'shelved' ? 'shelved' : 'acknowledged', 'ack', action.by, now, { note, requestId: action.requestId, detail: batch });
        if (a.recoveredAt !== null) clear(t, 'acknowledged-after-recovery', now, action.by);
        return { ok: true, alert: { ...a } };
      }
      case 'shelve': {
        if (a.state === 'shelved') return refuse('already-shelved', a);
        if (action.until <= now) return refuse('shelve-until-invalid', a);
        if (action.until - now > rules.shelveMaxMs) return refuse('shelve-too-long', a);
        a.shelvedUntil = action.until;
        a.shelf = { by: action.by, at: now, note };
        transition(a, 'shelved', 'shelve', action.by, now, { note, requestId: action.requestId, detail: { until: action.until, ...batch } });
        return { ok: true, alert: { ...a } };
      }
      case 'unshelve': {
        if (a.state !== 'shelved') return refuse('not-shelved', a);
        a.shelvedUntil = null;
        a.shelf = null;
        transition(a, unshelvedState(t, now), 'unshelve', action.by, now, { note: note || null, requestId: action.requestId, detail: batch });
        evaluate(t, now);
        return { ok: true, alert: { ...a } };
      }
    }
  }

  return {
    load(alerts, subjectOf, now) {
      for (const stored of alerts) {
        const a = { ...stored };
        const subject = subjectOf(a);
        const cfg = cfgOf(a.rule);
        const pulse = opts.pulseRules.has(a.rule);
        const t: Tracker = {
          key: a.key, rule: a.rule, pulse, alert: a, detail: { ...a.detail }, flips: [], recoverDetail: {},
          subject: subject ?? { id: a.key.slice(a.rule.length + 1), device: a.device, kind: a.kind, zone: a.zone, enterprise: a.enterprise, name: a.device, nameEn: a.device },
          // Until a device says otherwise the condition is taken to persist; an event's quiet time
          // continues from the last event seen before the restart.
          cond: !pulse, condSince: pulse ? a.lastSeenAt : now, reason: pulse ? 'quiet' : 'back-online',
        };
        // The condition is taken to persist (above) until a device says otherwise.
        if (!pulse) a.normalSince = null;
        trackers.set(a.key, t);
        byId.set(a.id, t);
        if (!subject) clear(t, 'not-in-model', now);
        else if (!cfg.enabled) clear(t, 'rule-disabled', now);
      }
    },
    observe,
    tick(now) {
      for (const t of trackers.values()) if (t.alert || (t.cond && !t.pulse)) evaluate(t, now);
    },
    act,
    get: (id) => byId.get(id)?.alert ?? null,
    open: () => [...byId.values()].map((t) => t.alert!).filter(Boolean),
    hasUrgent: () => urgent,
    takeChanges() {
      const out: Changes = { alerts: [...dirty.values()].map((a) => ({ ...a })), audit, urgent };
      dirty = new Map();
      audit = [];
      urgent = false;
      return out;
    },
    restore(before, id) {
      dirty = new Map();
      audit = [];
      const t = trackers.get(before?.key ?? byId.get(id)?.key ?? '');
      if (!t) return;
      if (before) {
        t.alert = { ...before };
        byId.set(before.id, t);
      }
    },
  };
}
