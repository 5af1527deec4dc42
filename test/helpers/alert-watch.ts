// Watches the park's alerts as the wall screen does (retained park/{p}/alerts/active) and sends
// operator actions as the screen server does (park/{p}/ops/alerts, answer on alerts/reply/{id}).
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { alertReplySchema, alertsActiveSchema, type Alert, type AlertAction, type AlertReply } from '../../shared/schema.ts';
import { serviceAccountId } from '../../shared/registry.ts';
import { alertsFilter, alertsActiveTopic, opsAlertsTopic } from '../../shared/topics.ts';
import type { TestPark } from './park.ts';
import { waitFor } from './park.ts';

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

export async function watchAlerts(park: TestPark): Promise<AlertWatch> {
  const client = mqtt.connect(park.mqttUrl, {
    clientId: `${serviceAccountId('screen')}-t${randomBytes(3).toString('hex')}`,
    username: serviceAccountId('screen'),
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
