// Watches the park's alerts as the wall screen does (retained park/{p}/alerts/active) and sends
// operator actions as the screen server does (park/{p}/ops/alerts, answer on alerts/reply/{id}).
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { alertReplySchema, alertsActiveSchema, type Alert, type AlertAction, type AlertReply } from '../../shared/schema.ts';
import { serviceAccountId, serviceUsername } from '../../shared/registry.ts';
import { alertsFilter, alertsActiveTopic, opsAlertsTopic } from '../../shared/topics.ts';
import type { TestPark } from '../../testkit/park.ts';
import { waitFor } from '../../testkit/park.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface AlertWatch {
  /** The newest published list of open alerts. */
  readonly active: readonly Alert[];
  /** How many alerts/active messages arrived. */
  readonly publishes: number;
  /** Waits for an open alert matching `match` (rule, device, state, ...). */
  waitOpen(match: Partial<Alert>, timeoutMs?: number): Promise<Alert>;
  /** Waits until no open alert matches. */
  waitGone(match: Partial<Alert>, timeoutMs?: number): Promise<void>;
  /** Sends an action and resolves with the ingest's reply. */
  act(action: DistributiveOmit<AlertAction, 'requestId' | 'at'> & { at?: number; requestId?: string }, timeoutMs?: number): Promise<AlertReply>;
  close(): Promise<void>;
}

export const matches = (a: Alert, m: Partial<Alert>): boolean => Object.entries(m).every(([k, v]) => (a as Record<string, unknown>)[k] === v);

export async function watchAlerts(park: Pick<TestPark, 'mqttUrl' | 'model'> & { provisioned: { serviceSecrets: { screen: string } } }): Promise<AlertWatch> {
  const client = mqtt.connect(park.mqttUrl, {
    clientId: `${serviceAccountId('screen')}-t${randomBytes(3).toString('hex')}`,
    username: serviceUsername('screen', park.model.id),
    password: park.provisioned.serviceSecrets.screen,
    protocolVersion: 4,
    reconnectPeriod: 200,
  });
  let active: Alert[] = [];
  let publishes = 0;
  const replies = new Map<string, AlertReply>();
  const activeTopic = alertsActiveTopic(park.model.id);
  client.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as unknown;
    if (topic === activeTopic) {
      active = alertsActiveSchema.parse(body).alerts;
      publishes++;
    } else if (topic.includes('/alerts/reply/')) {
      const r = alertReplySchema.parse(body);
      replies.set(r.requestId, r);
    }
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => client.subscribe(alertsFilter(park.model.id), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    client.once('error', reject);
  });
  return {
    get active() {
      return active;
    },
    get publishes() {
      return publishes;
    },
    waitOpen: (m, timeoutMs = 10_000) => waitFor(`open alert ${JSON.stringify(m)}`, () => active.find((a) => matches(a, m)) ?? null, timeoutMs, 10),
    async waitGone(m, timeoutMs = 10_000) {
      await waitFor(`no open alert ${JSON.stringify(m)}`, () => !active.some((a) => matches(a, m)), timeoutMs, 10);
    },
    async act(action, timeoutMs = 10_000) {
      const requestId = action.requestId ?? `t-${randomBytes(6).toString('hex')}`;
      replies.delete(requestId);
      const msg = { at: Date.now(), ...action, requestId } as AlertAction;
      await client.publishAsync(opsAlertsTopic(park.model.id), JSON.stringify(msg), { qos: 1 });
      return waitFor(`reply to ${requestId}`, () => replies.get(requestId) ?? null, timeoutMs, 10);
    },
    close: () => client.endAsync(),
  };
}

/** Alert rules on a test's time scale (telemetry every 150-250 ms, faults of a few seconds). */
export const FAST_ALERT_RULES = {
  tickMs: 100,
  flapping: { flips: 4, windowMs: 60_000, quietMs: 3000 },
  escalation: { afterMs: 1500, repeatMs: 1500 },
  rules: {
    'camera-offline': { noTelemetryMs: 1500, offDelayMs: 500 },
    'camera-intrusion': { offDelayMs: 1500 },
    'camera-tamper': { offDelayMs: 20_000 },
    'camera-loitering': { offDelayMs: 1000 },
    'camera-video-loss': { offDelayMs: 500 },
    'node5g-offline': { noTelemetryMs: 1500, offDelayMs: 500 },
    'node5g-degraded': { onDelayMs: 1000, offDelayMs: 500 },
    'meter-offline': { noTelemetryMs: 1500, offDelayMs: 500 },
    'enterprise-overload': { onDelayMs: 1000, offDelayMs: 500 },
    'power-spike': { offDelayMs: 1000 },
    'stale-data': { maxLagMs: 5000, onDelayMs: 1000, offDelayMs: 500 },
  },
} as const;
