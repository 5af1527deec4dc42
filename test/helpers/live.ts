// Watches the park's live state as the screen does: the retained park/{p}/live/snapshot, read with
// a screen service account (svc-screen-<suffix>). Keeps every snapshot seen, for "was it ever" checks.
import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceLive, LiveMessage } from '../../shared/schema.ts';
import { liveTopic } from '../../shared/topics.ts';
import { waitFor, type TestPark } from '../../testkit/park.ts';

export interface LiveWatch {
  readonly seen: readonly LiveMessage[];
  latest(): LiveMessage | null;
  device(id: string): DeviceLive | undefined;
  /** Waits for a snapshot (newer than any seen so far, or any) that satisfies `check`. */
  until(what: string, check: (s: LiveMessage) => boolean, timeoutMs?: number): Promise<LiveMessage>;
  close(): Promise<void>;
}

let watchers = 0;

export async function watchLive(park: TestPark): Promise<LiveWatch> {
  const seen: LiveMessage[] = [];
  const client: MqttClient = await mqtt.connectAsync(park.mqttUrl, {
    clientId: `svc-screen-watch-${process.pid}-${++watchers}`,
    username: 'svc-screen',
    password: park.provisioned.serviceSecrets.screen,
    reconnectPeriod: 200,
  });
  client.on('message', (_topic, payload) => seen.push(JSON.parse(payload.toString()) as LiveMessage));
  await client.subscribeAsync(liveTopic(park.model.id, 'snapshot'), { qos: 1 });
  return {
    seen,
    latest: () => seen.at(-1) ?? null,
    device: (id) => seen.at(-1)?.devices.find((d) => d.id === id),
    until: (what, check, timeoutMs = 20_000) => waitFor(`live snapshot: ${what}`, () => seen.find(check) ?? null, timeoutMs),
    close: () => client.endAsync(),
  };
}
