// Hostile and broken clients against the real broker on a real socket: a stranger failing in a
// device's name, random wrong secrets, revocation of a connected device, subscriptions of any
// depth, half-sent packets, and a device cut by its rate limit. Strangers come from another
// loopback address (127.0.0.2) than the genuine devices (127.0.0.1), as they would from another host.
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { serviceAccountId, type RegistryData } from '../../shared/registry.ts';
import { deviceTopic } from '../../shared/topics.ts';
import { startPark, waitFor, type StartParkOptions, type TestPark } from '../../testkit/park.ts';
import { connectPacket, rawConnect, type RawClient } from '../helpers/raw-mqtt.ts';

const STRANGER = '127.0.0.2';
const open: (RawClient | mqtt.MqttClient)[] = [];
afterEach(() => {
  for (const c of open.splice(0)) {
    if ('socket' in c) c.end();
    else c.end(true);
  }
});

const parkWith = (broker: StartParkOptions['broker']): Promise<TestPark> => startPark({ ingest: false, screen: false, broker });
const secretOf = (park: TestPark, id: string, generation = 0): string => deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id, generation);
async function raw(park: TestPark, from?: string): Promise<RawClient> {
  const c = await rawConnect(park.tcp.port, '127.0.0.1', from);
  open.push(c);
  return c;
}
/** The CONNACK return code a raw CONNECT gets ('closed' when the broker closed without one). */
async function connack(park: TestPark, packet: mqttPacket.IConnectPacket | Buffer, from?: string): Promise<number | 'closed'> {
  const c = await raw(park, from);
  c.send(packet);
  try {
    const ack = (await c.next('connack', 5000)) as mqttPacket.IConnackPacket;
    return ack.returnCode ?? 0;
  } catch {
    return 'closed';
  } finally {
    c.end();
  }
}
const refused = (park: TestPark, code: string): number => (park.broker.stats().refused as Record<string, number>)[code] ?? 0;

describe('failed authentication never locks out the genuine device', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await parkWith({ limits: { authFailures: { perAddress: 20, perAddressClient: 5, windowMs: 60_000 }, flap: { maxConnects: 3, windowMs: 60_000, banMs: 60_000 } } });
  });
  afterAll(async () => park?.stop());

  it('lets a device in at once after 50 wrong-secret CONNECTs in its name from another address', async () => {
    const id = 'cam-001';
    const codes: (number | 'closed')[] = [];
    for (let i = 0; i < 50; i++) codes.push(await connack(park, connectPacket(id, id, `wrong-${i}`), STRANGER));
    // Bad credentials (4) until the address + id budget is spent, then throttled (3) without a secret check.
    expect(codes.slice(0, 5)).toEqual([4, 4, 4, 4, 4]);
    expect(new Set(codes.slice(5))).toEqual(new Set([3]));
    expect(refused(park, 'auth-throttled')).toBe(45);
    expect(refused(park, 'flapping-banned')).toBe(0);
    expect(await connack(park, connectPacket(id, id, secretOf(park, id)))).toBe(0);
  });

  it('still admits, from the throttled address, a device whose secret the broker verified before', async () => {
    const id = 'cam-001'; // verified in the test above
    expect(await connack(park, connectPacket('cam-002', 'cam-002', 'wrong'), STRANGER)).toBe(3);
    expect(await connack(park, connectPacket(id, id, secretOf(park, id)), STRANGER)).toBe(0);
  });

  it('bans a client id for flapping only on authenticated reconnects', async () => {
    const id = 'g5-01';
    for (let i = 0; i < 4; i++) expect(await connack(park, connectPacket(id, id, 'nope'))).toBe(4);
    expect(await connack(park, connectPacket(id, id, secretOf(park, id)))).toBe(0);
    expect(await connack(park, connectPacket(id, id, secretOf(park, id)))).toBe(0);
    expect(await connack(park, connectPacket(id, id, secretOf(park, id)))).toBe(0);
    expect(await connack(park, connectPacket(id, id, secretOf(park, id)))).toBe(3);
    expect(refused(park, 'flapping-banned')).toBe(1);
  });
});

describe('work before authentication is bounded', () => {
  let park: TestPark;
  beforeAll(async () => {
    // Test hashes are cheap (N=1024, 1/16 of a default-cost run): 0.25 tokens = 4 runs at once.
    park = await parkWith({ limits: { authFailures: { perAddress: 1000, perAddressClient: 1000, windowMs: 60_000 }, kdf: { concurrency: 1, perSecond: 0.01, burst: 0.25, maxQueued: 4 } } });
  });
  afterAll(async () => park?.stop());

  it('answers a repeated wrong secret from memory, without another scrypt run', async () => {
    const before = park.broker.stats().kdfRuns;
    for (let i = 0; i < 10; i++) expect(await connack(park, connectPacket('cam-003', 'cam-003', 'the-same-wrong-secret'), STRANGER)).toBe(4);
    expect(park.broker.stats().kdfRuns - before).toBe(1);
  });

  it('refuses verifications beyond the KDF budget (server unavailable, 3) and counts them', async () => {
    const codes: (number | 'closed')[] = [];
    for (let i = 0; i < 10; i++) codes.push(await connack(park, connectPacket(`cam-01${i}`, `cam-01${i}`, `random-${i}`), STRANGER));
    expect(codes.filter((c) => c === 4).length).toBe(3); // what the burst had left after the test above
    expect(codes.filter((c) => c === 3).length).toBe(7);
    expect(refused(park, 'auth-busy')).toBe(7);
    expect(park.broker.stats().kdfRuns).toBe(4); // refused ones never ran
  });

  it('forgets, on a registry change, only the accounts the change touched', async () => {
    const fresh = await parkWith({});
    try {
      for (const id of ['cam-020', 'cam-021']) expect(await connack(fresh, connectPacket(id, id, secretOf(fresh, id)))).toBe(0);
      const runs = fresh.broker.stats().kdfRuns;
      expect(runs).toBe(2);
      // cam-021 rotated (new hash, generation 1); everything else unchanged.
      const registry: RegistryData = structuredClone(fresh.provisioned.registry);
      const rotated = registry.accounts.find((a) => a.id === 'cam-021')!;
      const { hashSecret } = await import('../../shared/credentials.ts');
      Object.assign(rotated, { generation: 1, secret: await hashSecret(secretOf(fresh, 'cam-021', 1), { N: 1024, r: 8, p: 1 }) });
      fresh.broker.replaceRegistry(registry);
      expect(await connack(fresh, connectPacket('cam-020', 'cam-020', secretOf(fresh, 'cam-020')))).toBe(0);
      expect(fresh.broker.stats().kdfRuns).toBe(runs); // still known: no scrypt run
      expect(await connack(fresh, connectPacket('cam-021', 'cam-021', secretOf(fresh, 'cam-021')))).toBe(4);
      expect(await connack(fresh, connectPacket('cam-021', 'cam-021', secretOf(fresh, 'cam-021', 1)))).toBe(0);
      expect(fresh.broker.stats().kdfRuns).toBe(runs + 2);
    } finally {
      await fresh.stop();
    }
  });
});

describe('revocation, subscriptions of any depth, half-sent packets, refusals counted', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await parkWith({ connectTimeoutMs: 300, limits: { packetTimeoutMs: 400, maxPacketBytes: 16 * 1024 } });
  });
  afterAll(async () => park?.stop());

  it('publishes the last will of a device whose account is revoked, so it shows offline', async () => {
    const recorder = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-recorder', username: serviceAccountId('recorder'), password: park.provisioned.serviceSecrets.recorder, reconnectPeriod: 0 });
    open.push(recorder);
    const status = deviceTopic(park.model.id, 'camera', 'cam-030', 'status');
    await recorder.subscribeAsync(status, { qos: 1 });
    const got: string[] = [];
    recorder.on('message', (_t, payload) => got.push(payload.toString()));
    const will = { topic: status, payload: Buffer.from(JSON.stringify({ ts: Date.now(), seq: 1, state: 'offline', will: true })), qos: 1 as const, retain: true };
    const dev = await mqtt.connectAsync(park.mqttUrl, { clientId: 'cam-030', username: 'cam-030', password: secretOf(park, 'cam-030'), reconnectPeriod: 0, will });
    open.push(dev);
    const registry: RegistryData = structuredClone(park.provisioned.registry);
    registry.accounts.find((a) => a.id === 'cam-030')!.status = 'revoked';
    park.broker.replaceRegistry(registry);
    await waitFor('the will delivered', () => got.some((p) => JSON.parse(p).state === 'offline'), 5000);
    expect(refused(park, 'publish-denied')).toBe(0);
    park.broker.replaceRegistry(park.provisioned.registry);
  });

  it('denies a 150-level subscription with SUBACK 0x80 and keeps the session; unsubscribing it is harmless', async () => {
    const c = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-recorder', username: serviceAccountId('recorder'), password: park.provisioned.serviceSecrets.recorder, reconnectPeriod: 0 });
    open.push(c);
    const deep = Array.from({ length: 150 }, () => 'a').join('/');
    const before = refused(park, 'topic-invalid');
    // mqtt.js reports a 0x80 grant as an error ("Unspecified error") carrying the SUBACK.
    const granted = await new Promise<number | undefined>((resolve) => c.subscribe(deep, { qos: 1 }, (err, g) => resolve(err ? 0x80 : g?.[0]?.qos)));
    expect(granted).toBe(0x80);
    expect(refused(park, 'topic-invalid')).toBe(before + 1);
    await c.unsubscribeAsync(deep);
    expect((await c.subscribeAsync(`park/${park.model.id}/camera/+/+`, { qos: 1 }))[0]?.qos).toBe(1);
    expect(c.connected).toBe(true);
  });

  it('cuts an authenticated keepalive-0 client that leaves a packet half-sent', async () => {
    const id = 'cam-031';
    const c = await raw(park);
    c.send(connectPacket(id, id, secretOf(park, id), { keepalive: 0 }));
    expect(await c.next('connack')).toMatchObject({ returnCode: 0 });
    const whole = mqttPacket.generate({ cmd: 'publish', topic: deviceTopic(park.model.id, 'camera', id, 'telemetry'), payload: Buffer.alloc(200, 'x'), qos: 0, retain: false, dup: false });
    c.send(whole.subarray(0, 50)); // and never the rest
    await c.closed;
    expect(refused(park, 'packet-incomplete')).toBe(1);
  });

  it('counts the CONNECT deadline, an MQTT 5 CONNECT (CONNACK 1, MQTT-3.1.2-2) and a WebSocket frame over the limit', async () => {
    const idle = await raw(park);
    await idle.closed; // nothing sent: cut at the connect timeout
    await waitFor('connect timeout counted', () => refused(park, 'connect-timeout') === 1, 5000);

    const v5 = mqttPacket.generate({ ...connectPacket('cam-032', 'cam-032', secretOf(park, 'cam-032')), protocolVersion: 5 });
    expect(await connack(park, v5)).toBe(1);
    expect(refused(park, 'protocol-unsupported')).toBe(1);

    const ws = new WebSocket(`ws://127.0.0.1:${park.ws.port}/mqtt`, 'mqtt');
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const closeCode = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(Buffer.alloc(64 * 1024));
    expect(await closeCode).toBe(1009);
    await waitFor('frame refusal counted', () => refused(park, 'ws-frame-too-large') === 1, 5000);
  });
});

describe('MQTT 3.1.1 clauses', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await parkWith({});
  });
  afterAll(async () => park?.stop());

  it('MQTT-3.1.3-8: an empty client id with CleanSession=0 gets CONNACK 2', async () => {
    const packet = mqttPacket.generate(connectPacket('', 'cam-040', secretOf(park, 'cam-040'), { clean: true }));
    packet[2 + 6 + 1]! &= ~0x02; // clear CleanSession (mqtt-packet will not write this packet)
    expect(await connack(park, packet)).toBe(2);
    expect(refused(park, 'identifier-invalid')).toBe(1);
  });

  it('MQTT-3.1.2-14: a CONNECT with Will QoS 3 is refused (closed, counted)', async () => {
    const packet = mqttPacket.generate(connectPacket('cam-041', 'cam-041', secretOf(park, 'cam-041'), { will: { topic: deviceTopic(park.model.id, 'camera', 'cam-041', 'status'), payload: Buffer.from('{}'), qos: 1, retain: false } }));
    // Connect flags: bit 5..4 are the will QoS; set both (QoS 3).
    const flagsAt = 2 + 6 + 1; // fixed header (2), "MQTT" string (6), level (1)
    packet[flagsAt]! |= 0x18;
    expect(await connack(park, packet)).toBe('closed');
    expect(refused(park, 'connect-invalid')).toBe(1);
  });

  it('MQTT-3.1.2-3: a CONNECT with the reserved flag bit set is refused (closed, counted)', async () => {
    const before = refused(park, 'packet-malformed');
    const packet = mqttPacket.generate(connectPacket('cam-042', 'cam-042', secretOf(park, 'cam-042')));
    packet[2 + 6 + 1]! |= 0x01;
    expect(await connack(park, packet)).toBe('closed');
    // MQTT-2.2.2-2: reserved fixed-header flags of CONNECT.
    const flagged = mqttPacket.generate(connectPacket('cam-042', 'cam-042', secretOf(park, 'cam-042')));
    flagged[0] = 0x12;
    expect(await connack(park, flagged)).toBe('closed');
    expect(refused(park, 'packet-malformed')).toBe(before + 2);
  });

  it('MQTT-3.1.2-22: a password without a user name is refused', async () => {
    // By hand (mqtt-packet will not write it): "MQTT", level 4, flags = password only, keepalive 30, client id.
    const id = Buffer.from('cam-043');
    const body = Buffer.concat([Buffer.from([0, 4]), Buffer.from('MQTT'), Buffer.from([4, 0x40 | 0x02, 0, 30, 0, id.length]), id, Buffer.from([0, 1, 0x78])]);
    const packet = Buffer.concat([Buffer.from([0x10, body.length]), body]);
    expect(await connack(park, packet)).toBe('closed');
    expect(refused(park, 'connect-invalid')).toBe(2);
  });

  it('MQTT-2.3.1-1: a QoS 1 PUBLISH with packet id 0 is refused, not acknowledged', async () => {
    const id = 'cam-044';
    const c = await raw(park);
    c.send(connectPacket(id, id, secretOf(park, id)));
    expect(await c.next('connack')).toMatchObject({ returnCode: 0 });
    const topic = deviceTopic(park.model.id, 'camera', id, 'telemetry');
    const publish = mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from('{}'), qos: 1, messageId: 7, retain: false, dup: false });
    // The packet id is the two bytes after the topic; zero them.
    const at = 2 + 2 + Buffer.byteLength(topic);
    publish[at] = 0;
    publish[at + 1] = 0;
    c.send(publish);
    await c.closed;
    expect(c.received.filter((p) => p.cmd === 'puback')).toEqual([]);
    expect(refused(park, 'packet-malformed')).toBeGreaterThanOrEqual(1);
  });
});

/** A meter sends `count` QoS 1 telemetry messages in one write and is cut off: the message ids it got a PUBACK for. */
async function burstUntilCut(park: TestPark, id: string, count: number, payload: (i: number) => string): Promise<Array<number | undefined>> {
  const c = await raw(park);
  c.send(connectPacket(id, id, secretOf(park, id)));
  expect(await c.next('connack')).toMatchObject({ returnCode: 0 });
  const topic = deviceTopic(park.model.id, 'meter', id, 'telemetry');
  c.send(Buffer.concat(Array.from({ length: count }, (_, i) => mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from(payload(i)), qos: 1, messageId: i + 1, retain: false, dup: false }))));
  await c.closed;
  return c.received.filter((p) => p.cmd === 'puback').map((p) => (p as mqttPacket.IPubackPacket).messageId);
}

describe('a rate-limit cut', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await parkWith({ limits: { rate: { perSecond: 1, burst: 40 } } });
  });
  afterAll(async () => park?.stop());

  it('sends the PUBACK of every message the broker took before it disconnects', async () => {
    const before = park.broker.stats().publishesIn;
    // 300 QoS 1 messages in one write: the bucket holds 40.
    const acked = await burstUntilCut(park, 'mtr-longyuan-1', 300, (i) => `{"i":${i}}`);
    const taken = park.broker.stats().publishesIn - before;
    expect(taken).toBe(40);
    expect(acked).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(refused(park, 'rate-limited')).toBe(1);
  });
});

describe('a rate-limit cut with PUBACKs held until the ingest stored the message (ack: ingest)', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await startPark({ screen: false, broker: { ack: 'ingest', limits: { rate: { perSecond: 1, burst: 30 } } } });
  });
  afterAll(async () => park?.stop());

  it('still sends the PUBACK of every message taken, once stored, before it disconnects', async () => {
    const id = 'mtr-zhonghai-1';
    const t0 = Date.now();
    const acked = await burstUntilCut(park, id, 200, (i) => JSON.stringify({ ts: t0 + i, seq: i + 1, kw: 10, kwh: 100 + i, voltage: 400, current: 15, powerFactor: 0.9 }));
    expect(acked).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const reader = await park.reader();
    expect((await reader.keys({ device: id })).filter((k) => k.channel === 'telemetry')).toHaveLength(30);
  });
});

describe('a revoked device on the wall', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await startPark({ screen: false });
  });
  afterAll(async () => park?.stop());

  it('goes offline in the live state at once when its account is revoked (its will, published by the broker)', async () => {
    const { createTestDevices } = await import('../helpers/devices.ts');
    const devices = createTestDevices(park);
    const watcher = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-screen-revoke', username: 'svc-screen', password: park.provisioned.serviceSecrets.screen, reconnectPeriod: 0 });
    open.push(watcher);
    const statuses: string[] = [];
    watcher.on('message', (_t, p) => {
      const d = (JSON.parse(p.toString()) as { devices: { id: string; status: string; cause: string | null }[] }).devices.find((x) => x.id === 'g5-04');
      if (d) statuses.push(`${d.status}:${d.cause}`);
    });
    await watcher.subscribeAsync(`park/${park.model.id}/live/delta`, { qos: 0 });
    try {
      const node = await devices.connect('g5-04');
      await node.publish('telemetry', { rsrpDbm: -85, sinrDb: 15, dlMbps: 600, ulMbps: 80, latencyMs: 12, connectedUes: 40 });
      await waitFor('online on the wall', () => statuses.at(-1) === 'online:null', 10_000);
      const registry: RegistryData = structuredClone(park.provisioned.registry);
      registry.accounts.find((a) => a.id === 'g5-04')!.status = 'revoked';
      const revokedAt = Date.now();
      park.broker.replaceRegistry(registry);
      await waitFor('offline on the wall', () => statuses.at(-1) === 'offline:status-offline', 5000);
      expect(Date.now() - revokedAt).toBeLessThan(2000);
    } finally {
      park.broker.replaceRegistry(park.provisioned.registry);
      await devices.closeAll();
    }
  });
});
