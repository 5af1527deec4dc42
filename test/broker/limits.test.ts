// The broker's limits on real sockets: packet size before and after authentication, malformed
// framing, hostile identifiers and topics, message rate, connection count, flapping, and slow
// consumers. Each refusal is counted under its code, and well-behaved clients keep working.
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { serviceAccountId } from '../../shared/registry.ts';
import { deviceTopic } from '../../shared/topics.ts';
import { connackCode } from '../helpers/connack.ts';
import { startPark, waitFor, type StartParkOptions, type TestPark } from '../../testkit/park.ts';
import { connectPacket, rawConnect, type RawClient } from '../helpers/raw-mqtt.ts';

const open: (RawClient | mqtt.MqttClient)[] = [];
afterEach(() => {
  for (const c of open.splice(0)) {
    if ('socket' in c) c.end();
    else c.end(true);
  }
});

async function parkWith(broker: StartParkOptions['broker']): Promise<TestPark> {
  return startPark({ ingest: false, screen: false, broker });
}
const secretOf = (park: TestPark, id: string): string => deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id);
async function raw(park: TestPark): Promise<RawClient> {
  const c = await rawConnect(park.tcp.port);
  open.push(c);
  return c;
}
async function device(park: TestPark, id: string, o: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(park.mqttUrl, { clientId: id, username: id, password: secretOf(park, id), reconnectPeriod: 0, ...o });
  open.push(c);
  return c;
}

describe('packet size and framing, before and after authentication', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await parkWith({ limits: { maxConnectBytes: 4096, maxPacketBytes: 64 * 1024 } });
  });
  afterAll(async () => park?.stop());

  it('cuts an anonymous socket whose CONNECT declares 200 MB, at the header', async () => {
    const c = await raw(park);
    // Fixed header of a CONNECT with remaining length 200 MB (varint), then a little of the body.
    const header = Buffer.from([0x10, ...varint(200 * 1024 * 1024)]);
    c.send(Buffer.concat([header, Buffer.alloc(1024)]));
    await c.closed;
    expect(park.broker.stats().refused['connect-too-large']).toBe(1);
  });

  it('cuts a connection that sends more than the pre-authentication budget in small packets', async () => {
    const c = await raw(park);
    // A CONNECT that never completes authentication, followed by pipelined PINGREQs.
    c.send(Buffer.concat([mqttPacket.generate(connectPacket('cam-001', 'cam-001', 'wrong')), Buffer.alloc(8192, Buffer.from([0xc0, 0x00]))]));
    await c.closed;
    expect(park.broker.stats().refused['connect-too-large']).toBe(2);
  });

  it('cuts a first packet that is not CONNECT, a reserved type, and a 5-byte length', async () => {
    for (const bytes of [Buffer.from([0x30, 0x02, 0x00, 0x00]), Buffer.from([0x00, 0x00]), Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])]) {
      const c = await raw(park);
      c.send(bytes);
      await c.closed;
    }
    expect(park.broker.stats().refused['packet-malformed']).toBe(3);
  });

  it('lets an authenticated device publish up to the packet limit and cuts it above', async () => {
    const id = 'cam-010';
    const c = await raw(park);
    c.send(connectPacket(id, id, secretOf(park, id)));
    expect((await c.next('connack')) as mqttPacket.IConnackPacket).toMatchObject({ returnCode: 0 });
    const topic = deviceTopic(park.model.id, 'camera', id, 'event');
    // 10 KiB: above the pre-auth budget, below the packet limit.
    c.send({ cmd: 'publish', topic, payload: Buffer.alloc(10 * 1024, 'a'), qos: 1, messageId: 1, retain: false, dup: false });
    expect(await c.next('puback')).toMatchObject({ messageId: 1 });
    c.send(Buffer.concat([Buffer.from([0x32, ...varint(65 * 1024)]), Buffer.alloc(100)]));
    await c.closed;
    expect(park.broker.stats().refused['packet-too-large']).toBe(1);
    // Everyone else is unaffected.
    const ok = await device(park, 'cam-011');
    await ok.publishAsync(deviceTopic(park.model.id, 'camera', 'cam-011', 'telemetry'), '{}', { qos: 1 });
  });
});

describe('identifiers and topics', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await parkWith({});
  });
  afterAll(async () => park?.stop());

  it.each([
    ['NUL', 'cam-0\u000001'],
    ['a control character', 'cam-001\u0007'],
    ['a C1 control', 'cam-001\u0085'],
    ['an unpaired surrogate', 'cam-\uD800001'],
    ['over 64 characters', `cam-${'1'.repeat(70)}`],
  ])('refuses a client id with %s (identifier rejected, 2)', async (_what, clientId) => {
    const before = park.broker.stats().refused['identifier-invalid'] ?? 0;
    expect(await connackCode(park.mqttUrl, { clientId, username: 'cam-001', password: secretOf(park, 'cam-001') })).toBe(2);
    expect(park.broker.stats().refused['identifier-invalid']).toBe(before + 1);
  });

  it('refuses a client id that arrives as ill-formed UTF-8 (an encoded surrogate)', async () => {
    const packet = mqttPacket.generate(connectPacket('cam-XXX', 'cam-001', secretOf(park, 'cam-001')));
    const at = packet.indexOf('XXX');
    packet.set([0xed, 0xa0, 0x80], at); // UTF-8 encoding of U+D800, forbidden by MQTT-1.5.3-1
    const c = await raw(park);
    c.send(packet);
    expect(await c.next('connack')).toMatchObject({ returnCode: 2 });
    await c.closed;
  });

  it('refuses a user name with control characters (bad user name or password, 4)', async () => {
    const before = park.broker.stats().refused['username-invalid'] ?? 0;
    expect(await connackCode(park.mqttUrl, { clientId: 'cam-001', username: 'cam-001\n', password: 'x' })).toBe(4);
    expect(park.broker.stats().refused['username-invalid']).toBe(before + 1);
  });

  it('refuses a last will whose topic carries NUL', async () => {
    const will = { topic: 'park/dantu/camera/cam-001/status\u0000', payload: Buffer.from('{}'), qos: 1 as const, retain: true };
    expect(await connackCode(park.mqttUrl, { clientId: 'cam-001', username: 'cam-001', password: secretOf(park, 'cam-001'), will })).toBe(5);
    expect(park.broker.stats().refused['topic-invalid']).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['NUL', 'park/dantu/camera/cam-002/telemetry\u0000'],
    ['a control character', 'park/dantu/camera/cam-002/tele\u001bmetry'],
    ['U+FFFD from ill-formed UTF-8', 'park/dantu/camera/cam-002/\uFFFD'],
    ['more than 256 bytes', `park/dantu/camera/cam-002/${'t'.repeat(300)}`],
    ['more than 10 levels', 'park/dantu/camera/cam-002/a/b/c/d/e/f/g'],
  ])('closes a device that publishes on a topic with %s', async (_what, topic) => {
    const before = park.broker.stats().refused['topic-invalid'] ?? 0;
    const c = await device(park, 'cam-002');
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(topic, '{}', { qos: 0 });
    await closed;
    expect(park.broker.stats().refused['topic-invalid']).toBe(before + 1);
  });

  it('denies a subscription to a filter that is too long, too deep or has control characters, and keeps the session', async () => {
    const c = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-ingest', username: serviceAccountId('ingest'), password: park.provisioned.serviceSecrets.ingest, reconnectPeriod: 0, clean: true });
    open.push(c);
    const before = park.broker.stats().refused['topic-invalid'] ?? 0;
    const grant = (filter: string): Promise<number> => new Promise((resolve) => c.subscribe(filter, { qos: 1 }, (err, g) => resolve(err ? 0x80 : (g?.[0]?.qos ?? -1))));
    expect(await grant(`park/dantu/camera/${'+/'.repeat(12)}+`)).toBe(0x80);
    expect(await grant(`park/dantu/${'x'.repeat(300)}`)).toBe(0x80);
    expect(await grant('park/dantu/camera/+/\u0001')).toBe(0x80);
    expect(park.broker.stats().refused['topic-invalid']).toBe(before + 3);
    expect(await grant('park/dantu/camera/+/+')).toBe(1);
    expect(c.connected).toBe(true);
  });
});

describe('message rate, connection count and flapping', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await parkWith({ limits: { rate: { perSecond: 20, burst: 20 }, maxConnections: 6, flap: { maxConnects: 3, windowMs: 30_000, banMs: 1500 } } });
  });
  afterAll(async () => park?.stop());

  it('keeps a device within its rate connected, and disconnects one that floods', async () => {
    const calm = await device(park, 'mtr-longyuan-1');
    const topic = deviceTopic(park.model.id, 'meter', 'mtr-longyuan-1', 'telemetry');
    for (let i = 0; i < 25; i++) {
      await calm.publishAsync(topic, '{}', { qos: 1 });
      await new Promise((r) => setTimeout(r, 60)); // ~16/s, under 20/s
    }
    expect(calm.connected).toBe(true);
    const flood = await device(park, 'mtr-zhonghai-1');
    const closed = new Promise<void>((r) => flood.once('close', () => r()));
    for (let i = 0; i < 100; i++) flood.publish(deviceTopic(park.model.id, 'meter', 'mtr-zhonghai-1', 'telemetry'), '{}', { qos: 0 });
    await closed;
    expect(park.broker.stats().refused['rate-limited']).toBe(1);
    expect(calm.connected).toBe(true);
    await calm.endAsync();
  });

  it('closes sockets beyond the connection limit, and admits again once one leaves', async () => {
    await waitFor('earlier connections gone', () => park.broker.stats().connections === 0);
    const held: RawClient[] = [];
    for (let i = 0; i < 6; i++) held.push(await raw(park));
    await waitFor('six connections', () => park.broker.stats().connections === 6);
    const extra = await raw(park);
    await extra.closed;
    expect(park.broker.stats().refused['too-many-connections']).toBe(1);
    held[0]!.end();
    await waitFor('a slot free', () => park.broker.stats().connections === 5);
    const c = await device(park, 'cam-020');
    expect(c.connected).toBe(true);
    for (const h of held) h.end();
  });

  it('bans a client id that reconnects too fast, leaves others alone, and lets it back after the ban', async () => {
    const o = { clientId: 'g5-03', username: 'g5-03', password: secretOf(park, 'g5-03') };
    for (let i = 0; i < 3; i++) expect(await connackCode(park.mqttUrl, o)).toBe(0);
    expect(await connackCode(park.mqttUrl, o)).toBe(3); // server unavailable: banned
    expect(await connackCode(park.mqttUrl, o)).toBe(3); // still banned (attempts do not extend it)
    expect(park.broker.stats().refused['flapping-banned']).toBe(2);
    expect(await connackCode(park.mqttUrl, { clientId: 'g5-04', username: 'g5-04', password: secretOf(park, 'g5-04') })).toBe(0);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await connackCode(park.mqttUrl, o)).toBe(0);
  });
});

describe('slow consumers', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await parkWith({ drainTimeoutMs: 500, limits: { rate: { perSecond: 0, burst: 0 } } });
  });
  afterAll(async () => park?.stop());

  it('cuts off a subscriber that stops reading, and the others keep receiving everything', async () => {
    const screen = { username: serviceAccountId('screen'), password: park.provisioned.serviceSecrets.screen, reconnectPeriod: 0 };
    const liveTopic = `park/${park.model.id}/live/delta`;
    const fast = await mqtt.connectAsync(park.mqttUrl, { ...screen, clientId: 'svc-screen-fast' });
    const slow = await mqtt.connectAsync(park.mqttUrl, { ...screen, clientId: 'svc-screen-slow' });
    open.push(fast, slow);
    await fast.subscribeAsync(liveTopic, { qos: 0 });
    await slow.subscribeAsync(liveTopic, { qos: 0 });
    let fastGot = 0;
    fast.on('message', () => fastGot++);
    // The slow one stops reading its socket: the broker's writes to it back up. (Paused, it does
    // not even notice being cut off; the broker's count shows it.)
    slow.stream.pause();

    const publisher = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-ingest', username: serviceAccountId('ingest'), password: park.provisioned.serviceSecrets.ingest, reconnectPeriod: 0 });
    open.push(publisher);
    const N = 400;
    const payload = Buffer.alloc(64 * 1024, 'd'); // 25 MB in all: far beyond the socket buffers
    for (let i = 0; i < N; i++) await publisher.publishAsync(liveTopic, payload, { qos: 1 });
    await waitFor('the fast subscriber got every message', () => fastGot === N);
    await waitFor('the slow one cut off', () => park.broker.stats().refused['slow-consumer'] === 1);
    expect(park.broker.stats().connections).toBe(2); // fast and the publisher
    expect(fast.connected).toBe(true);
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
