// A QoS 1 message is acknowledged to the broker only once its reading is stored: proved with a
// real broker, a real ingest session and a store whose commits the test holds back.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../ingest/store/sqlite-store.ts';
import type { TelemetryStore } from '../../ingest/store/types.ts';
import { createIngest, type Ingest } from '../../ingest/create-ingest.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { serviceAccountId } from '../../shared/registry.ts';
import { deviceTopic } from '../../shared/topics.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

/** The real store, with commits held until `open()`. */
function gated(store: TelemetryStore): TelemetryStore & { open(): void; close(): Promise<void>; held: () => number } {
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  let held = 0;
  return {
    ...store,
    async write(rows) {
      held++;
      await gate;
      return store.write(rows);
    },
    open() {
      release();
      gate = Promise.resolve();
    },
    held: () => held,
  };
}

describe('deferred acknowledgement', () => {
  let park: TestPark;
  let ingest: Ingest;
  let store: ReturnType<typeof gated>;
  const acked: number[] = [];

  beforeAll(async () => {
    park = await startPark({ ingest: false, screen: false });
    park.broker.aedes.on('ack', (packet, client) => {
      if (client?.id === 'svc-ingest' && 'topic' in packet && packet.topic.includes('mtr-zhonghai-1')) acked.push(packet.messageId!);
    });
    store = gated(await createSqliteStore({ path: park.sqlitePath, model: park.model, logger: park.logger }));
    ingest = await createIngest({
      model: park.model, store, logger: park.logger, flushIntervalMs: 10,
      mqtt: { url: park.mqttUrl, username: serviceAccountId('ingest'), password: park.provisioned.serviceSecrets.ingest, reconnectPeriodMs: 100 },
    });
    await ingest.ready();
  });
  afterAll(async () => {
    store?.open();
    await ingest?.close();
    await park?.stop();
  });

  it('holds the PUBACK until the commit, and a lost connection gets the messages redelivered', async () => {
    const id = 'mtr-zhonghai-1';
    const device = await mqtt.connectAsync(park.mqttUrl, { clientId: id, username: id, password: deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id) });
    const topic = deviceTopic(park.model.id, 'meter', id, 'telemetry');
    for (let seq = 1; seq <= 5; seq++) {
      await device.publishAsync(topic, JSON.stringify({ ts: Date.now(), seq, kw: 100 + seq, kwh: 5000 + seq, voltage: 400, current: 150, powerFactor: 0.93 }), { qos: 1 });
    }
    await device.endAsync();
    await waitFor('the ingest to receive all five', () => ingest.stats().accepted >= 5);
    await new Promise((r) => setTimeout(r, 200));
    expect(store.held()).toBeGreaterThan(0);
    expect(acked).toEqual([]); // received, not stored: not acknowledged
    expect(ingest.stats().unacked).toBe(5);

    // The ingest's connection drops before anything was stored: the broker must still hold all five.
    const session = (park.broker.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients['svc-ingest'];
    session!.conn.destroy();
    await waitFor('the five redelivered on the new session', () => ingest.stats().accepted >= 10);
    expect(acked).toEqual([]);

    store.open();
    await waitFor('acknowledgements after the commit', () => acked.length >= 5);
    const reader = await park.reader();
    const keys = await waitFor('five rows', async () => {
      const k = (await reader.keys({ device: id })).filter((x) => x.channel === 'telemetry');
      return k.length === 5 ? k : null;
    });
    expect(keys.map((k) => k.seq)).toEqual([1, 2, 3, 4, 5]);
    await waitFor('the redelivered copies counted as duplicates', () => ingest.stats().duplicates === 5);
  });
});
