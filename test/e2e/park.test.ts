// The walking skeleton end to end: a real broker, ingest, SQLite file, screen server and the
// fleet simulator, all on free ports, as a user would run them.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WsServerMessage } from '../../shared/schema.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { deviceTopic } from '../../shared/topics.ts';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

const MESSAGES = 1500;

describe('the whole park, end to end', () => {
  let park: TestPark;
  let fleet: Fleet;
  let ws: WebSocket;
  const received: WsServerMessage[] = [];

  beforeAll(async () => {
    park = await startPark();
    ws = new WebSocket(park.screenWsUrl);
    ws.on('message', (data) => received.push(JSON.parse(data.toString()) as WsServerMessage));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    fleet = await createFleet({
      model: park.model,
      url: park.mqttUrl,
      fleetKey: park.provisioned.fleetKey,
      logger: park.logger,
      intervalMs: 60,
      maxMessages: MESSAGES,
      track: true,
    });
    await fleet.connected();
    await fleet.done();
  });

  afterAll(async () => {
    ws?.close();
    await fleet?.close();
    await park?.stop();
  });

  it('stores every reading the devices published exactly once, by device and seq', async () => {
    const published = fleet.published();
    expect(published.length).toBeGreaterThanOrEqual(MESSAGES);
    const reader = await park.reader();
    const expected = new Set(published.map((p) => `${p.device}#${p.seq}`));
    const stored = await waitFor('every published reading in the store', async () => {
      const keys = (await reader.keys()).filter((k) => k.channel !== 'status');
      return keys.length >= expected.size ? keys : null;
    });
    const storedSet = new Set(stored.map((k) => `${k.device}#${k.seq}`));
    expect(storedSet.size).toBe(stored.length); // no duplicates
    expect(stored.length).toBe(expected.size); // nothing extra
    for (const key of expected) expect(storedSet.has(key), key).toBe(true);
    // and every device announced itself online, retained
    const status = (await reader.keys()).filter((k) => k.channel === 'status');
    expect(new Set(status.map((k) => k.device)).size).toBe(park.model.devices.length);
    const stats = park.ingest!.stats();
    expect(stats.duplicates).toBe(0);
    expect(stats.gaps).toBe(0);
    expect(stats.rejected).toBe(0);
  });

  it('sends a browser a snapshot on connect, then consecutive deltas that match the store', async () => {
    expect(received[0]?.type).toBe('snapshot');
    expect(received[0]?.seq).toBe(1);
    // Wait for a delta that reflects the end of the run. The store is read again on every poll,
    // and a timeout says which devices differ and what the screen and its socket were doing.
    const reader = await park.reader();
    const browserState = (): Map<string, { ts: number | null }> => {
      const state = new Map<string, { ts: number | null }>();
      for (const m of received) for (const d of m.devices) state.set(d.id, d);
      return state;
    };
    let latest = await reader.latest();
    try {
      await waitFor('a delta reflecting the newest readings', async () => {
        latest = await reader.latest();
        const state = browserState();
        return latest.every((l) => state.get(l.device)?.ts === l.ts);
      });
    } catch (err) {
      const state = browserState();
      const differ = latest.filter((l) => state.get(l.device)?.ts !== l.ts).slice(0, 5)
        .map((l) => `${l.device}: store seq ${l.seq} ts ${l.ts}, browser ts ${state.get(l.device)?.ts}`);
      const last = received.at(-1);
      throw new Error(`${(err as Error).message}; ${differ.join('; ')}; last message ${last?.type} #${last?.seq} of ${received.length}; socket state ${ws.readyState}; screen ${JSON.stringify(park.screen?.stats())}; ingest ${JSON.stringify(park.ingest?.stats())}`);
    }
    const seqs = received.map((m) => m.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // no gaps, no repeats
    expect(received.filter((m) => m.type === 'delta').length).toBeGreaterThan(3);

    // The values a browser holds are the values the store holds, device by device.
    const state = new Map<string, Record<string, number | boolean> | null>();
    for (const m of received) for (const d of m.devices) state.set(d.id, d.t);
    for (const l of latest) expect(state.get(l.device), l.device).toEqual(l.values);

    const last = received.at(-1)!;
    const summary = last.summary;
    expect(summary?.cameras.online).toBe(park.model.devicesOfKind('camera').length);
    expect(summary?.nodes.up).toBe(12);
    const meterKw = latest.filter((l) => l.kind === 'meter').reduce((sum, l) => sum + (l.values.kw as number), 0);
    expect(summary?.energy.totalKw).toBeCloseTo(meterKw, 1);
  });

  it('refuses a device that presents a wrong secret', async () => {
    const before = park.broker.stats().refused['auth-bad-credentials'] ?? 0;
    const client = mqtt.connect(park.mqttUrl, { clientId: 'cam-001', username: 'cam-001', password: 'not-the-secret', reconnectPeriod: 0 });
    const err = await new Promise<Error & { code?: number }>((resolve) => client.once('error', resolve));
    client.end(true);
    expect(err.code).toBe(4); // CONNACK 0x04: bad user name or password
    expect(park.broker.stats().refused['auth-bad-credentials']).toBe(before + 1);
  });

  it("refuses a device that publishes on another device's topic", async () => {
    const before = park.broker.stats().refused['publish-denied'] ?? 0;
    const secret = deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, 'cam-050');
    const client = mqtt.connect(park.mqttUrl, { clientId: 'cam-050', username: 'cam-050', password: secret, reconnectPeriod: 0 });
    await new Promise((resolve) => client.once('connect', resolve));
    const forged = { ts: Date.now(), seq: 987_654, online: true, fps: 25, bitrateKbps: 1, storageUsedPct: 1 };
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(deviceTopic(park.model.id, 'camera', 'cam-002', 'telemetry'), JSON.stringify(forged), { qos: 1 });
    await closed; // the broker drops the connection (MQTT 3.1.1 has no negative PUBACK)
    client.end(true);
    expect(park.broker.stats().refused['publish-denied']).toBe(before + 1);
    const reader = await park.reader();
    expect((await reader.keys({ device: 'cam-002' })).some((k) => k.seq === 987_654)).toBe(false);
  });

  it('counts a malformed payload as rejected and keeps serving', async () => {
    const before = park.ingest!.stats();
    const secret = deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, 'mtr-longyuan-1');
    const client = mqtt.connect(park.mqttUrl, { clientId: 'mtr-longyuan-1', username: 'mtr-longyuan-1', password: secret, reconnectPeriod: 0 });
    await new Promise((resolve) => client.once('connect', resolve));
    const topic = deviceTopic(park.model.id, 'meter', 'mtr-longyuan-1', 'telemetry');
    await client.publishAsync(topic, '{"ts": 17, "kw": oops', { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ ts: Date.now(), seq: 5_000_000, kw: 'lots' }), { qos: 1 });
    const good = { ts: Date.now(), seq: 5_000_001, kw: 812.5, kwh: 99_000, voltage: 400, current: 1200, powerFactor: 0.95 };
    await client.publishAsync(topic, JSON.stringify(good), { qos: 1 });
    await client.endAsync();

    const after = await waitFor('the rejects counted', () => {
      const s = park.ingest!.stats();
      return s.accepted > before.accepted && s.rejected >= before.rejected + 2 ? s : null;
    });
    expect(after.rejects['json-malformed']).toBe((before.rejects['json-malformed'] ?? 0) + 1);
    expect(after.rejects['schema-invalid']).toBe((before.rejects['schema-invalid'] ?? 0) + 1);
    const reader = await park.reader();
    await waitFor('the good reading stored after the bad ones', async () => (await reader.keys({ device: 'mtr-longyuan-1' })).some((k) => k.seq === 5_000_001));
    const health = await fetch(`${park.screenUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});
