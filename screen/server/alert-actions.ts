// Operator actions from the screen to the ingest, which owns alert state: publish an AlertAction on
// park/{p}/ops/alerts with a fresh requestId, await the answer on alerts/reply/{requestId}. Also
// forwards the refusals the screen makes itself (no session, wrong origin, failed sign-in) so the
// ingest's audit trail holds every refused attempt; a flood is summarised, never silently dropped.
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from '../../shared/logger.ts';
import { alertReplySchema, REFUSED_ATTEMPTS, type AlertAction, type AlertReply } from '../../shared/schema.ts';
import { opsAlertsTopic } from '../../shared/topics.ts';
import { HttpError } from './errors.ts';
import { formatIssue } from '../../shared/validation.ts';

export type RefusedAttempt = (typeof REFUSED_ATTEMPTS)[number];
export type ActionInput = Extract<AlertAction, { action: 'ack' | 'shelve' | 'unshelve' }> extends infer A ? (A extends unknown ? Omit<A, 'requestId' | 'at'> : never) : never;

export interface Refusal {
  attempted: RefusedAttempt;
  alertId: string | null;
  /** Who it claimed to be, or `anonymous`. */
  by: string;
  code: string;
  ip: string | null;
}

export interface AlertActions {
  /**
   * Sends an action; resolves with the ingest's reply; HttpError 503 when the broker is unreachable,
   * 504 when no reply came within `timeoutMs` (default the module's).
   */
  send(action: ActionInput, timeoutMs?: number): Promise<AlertReply>;
  reportRefusal(r: Refusal): void;
  /** Feeds a message from the screen's MQTT client; true when it was a reply this module awaited. */
  handleMessage(topic: string, payload: Buffer): boolean;
  close(): void;
}

export interface AlertActionsOptions {
  client: MqttClient;
  parkId: string;
  logger: Logger;
  /** ms to wait for the ingest's answer; default 5000. */
  timeoutMs?: number;
  /** Refusals forwarded per minute at most; more are summed into one record; default 120. */
  refusalsPerMinute?: number;
  now?: () => number;
}

export function createAlertActions(opts: AlertActionsOptions): AlertActions {
  const log = opts.logger.child({ module: 'alert-actions' });
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const topic = opsAlertsTopic(opts.parkId);
  const replyPrefix = `park/${opts.parkId}/alerts/reply/`;
  const pending = new Map<string, { resolve(r: AlertReply): void; timer: NodeJS.Timeout }>();
  const perMinute = opts.refusalsPerMinute ?? 120;
  let windowStart = now();
  let sentInWindow = 0;
  let suppressed: Refusal | null = null;
  let suppressedCount = 0;

  const newRequestId = (): string => `s-${now().toString(36)}-${randomBytes(6).toString('hex')}`;

  function publish(action: AlertAction): void {
    opts.client.publish(topic, JSON.stringify(action), { qos: 1 }, (err) => {
      if (err) log.warn({ err: err.message, requestId: action.requestId }, 'could not publish an operator action');
    });
  }

  function flushSuppressed(): void {
    if (!suppressed || suppressedCount === 0) return;
    publish({ action: 'refused', requestId: newRequestId(), ...suppressed, count: suppressedCount, at: now() });
    log.warn({ count: suppressedCount }, 'refused attempts summarised in the audit trail');
    suppressed = null;
    suppressedCount = 0;
  }
  const summaryTimer = setInterval(() => {
    flushSuppressed();
    windowStart = now();
    sentInWindow = 0;
  }, 60_000);
  summaryTimer.unref();

  return {
    send(input, wait = timeoutMs) {
      if (!opts.client.connected) return Promise.reject(new HttpError('broker-unreachable', 'the message broker is unreachable; try again'));
      const requestId = newRequestId();
      const action = { ...input, requestId, at: now() } as AlertAction;
      return new Promise<AlertReply>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(requestId);
          log.warn({ requestId, action: input.action }, 'no answer from the ingest in time');
          reject(new HttpError('ingest-timeout', 'the alert service did not answer in time; the outcome is unknown, reload the alert'));
        }, wait);
        pending.set(requestId, { resolve, timer });
        publish(action);
      });
    },
    reportRefusal(r) {
      if (now() - windowStart >= 60_000) {
        flushSuppressed();
        windowStart = now();
        sentInWindow = 0;
      }
      if (sentInWindow >= perMinute) {
        suppressed ??= { ...r, by: r.by.slice(0, 64) };
        suppressedCount++;
        return;
      }
      sentInWindow++;
      publish({ action: 'refused', requestId: newRequestId(), ...r, by: r.by.slice(0, 64) || 'anonymous', count: 1, at: now() });
    },
    handleMessage(t, payload) {
      if (!t.startsWith(replyPrefix)) return false;
      const p = pending.get(t.slice(replyPrefix.length));
      if (!p) return true; // someone else's reply, or one that came too late
      let parsed: ReturnType<typeof alertReplySchema.safeParse>;
      try {
        parsed = alertReplySchema.safeParse(JSON.parse(payload.toString('utf8')));
      } catch {
        log.warn({ topic: t }, 'reply is not JSON; ignored');
        return true;
      }
      if (!parsed.success) {
        log.warn({ topic: t, issue: formatIssue(parsed.error.issues[0]) }, 'reply does not match its schema; ignored');
        return true;
      }
      clearTimeout(p.timer);
      pending.delete(parsed.data.requestId);
      p.resolve(parsed.data);
      return true;
    },
    close() {
      clearInterval(summaryTimer);
      flushSuppressed();
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        pending.delete(id);
        p.resolve({ requestId: id, ok: false, code: 'screen-shutting-down', alert: null });
      }
    },
  };
}
