// Fuzzing the broker and the ingest with a seeded generator: thousands of MQTT packets built with
// mqtt-packet and then mutated (bit flips, byte stores, truncation, forged lengths, splices), raw
// garbage, and a barrage of malformed payloads through the ingest. Afterwards both still serve
// well-behaved clients, no connection is left behind, and memory has not run away. Bounded in
// count, and in time by the broker's own timeouts. Set FUZZ_SEED to replay a run.
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mqtt from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { createRng } from '../../simulators/profiles.ts';
import { deviceTopic } from '../../shared/topics.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20240630);
const SESSIONS = 400; // connections, each with up to 12 packets: ~3,000 mutated packets in all
const PARALLEL = 16;

// Forced GC for the memory checks: a loose bound on the live heap, not on allocator noise.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

describe('fuzzing', () => {
  let park: TestPark;
  const rnd = createRng(SEED);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));

  beforeAll(async () => {
    // The limits under test elsewhere would cut the fuzzer short: no rate limit, no flapping ban.
    park = await startPark({ screen: false, broker: { connectTimeoutMs: 1000, limits: { rate: { perSecond: 0, burst: 1 }, flap: { maxConnects: 0, windowMs: 1000, banMs: 1000 } } } });
  });
  afterAll(async () => park?.stop());

  const devices = (): { id: string; kind: 'camera' | 'node5g' | 'meter' }[] => park.model.devices.map((d) => ({ id: d.id, kind: d.kind }));
  const secretOf = (id: string): string => deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id);

  function validConnect(id: string, kind: 'camera' | 'node5g' | 'meter'): Packet {
    const topic = deviceTopic(park.model.id, kind, id, 'status');
    return {
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: rnd() < 0.8, keepalive: int(120), clientId: id, username: id, password: Buffer.from(secretOf(id)),
      ...(rnd() < 0.5 ? { will: { topic, payload: Buffer.from('{"state":"offline"}'), qos: 1 as const, retain: true } } : {}),
    };
  }
  function validPacket(id: string, kind: string): Packet {
    const own = `park/${park.model.id}/${kind}/${id}`;
    const messageId = 1 + int(65535);
    switch (int(9)) {
      case 0: return { cmd: 'publish', topic: `${own}/${pick(['telemetry', 'event', 'status'])}`, payload: Buffer.from(JSON.stringify({ ts: Date.now(), seq: int(1e6), kw: rnd() * 1000 })), qos: pick([0, 1, 2] as const), retain: rnd() < 0.2, dup: false, messageId };
      case 1: return { cmd: 'subscribe', messageId, subscriptions: [{ topic: `${own}/command`, qos: pick([0, 1, 2] as const) }, { topic: pick(['#', `${own}/+`, '$SYS/#']), qos: 0 }] };
      case 2: return { cmd: 'unsubscribe', messageId, unsubscriptions: [`${own}/command`, '#'] };
      case 3: return { cmd: 'pingreq' };
      case 4: return { cmd: 'puback', messageId };
      case 5: return { cmd: 'pubrec', messageId };
      case 6: return { cmd: 'pubrel', messageId };
      case 7: return { cmd: 'pubcomp', messageId };
      default: return rnd() < 0.5 ? { cmd: 'disconnect' } : validConnect(id, kind as 'camera');
    }
  }
  function mutate(buf: Buffer): Buffer {
    const b = Buffer.from(buf);
    switch (int(7)) {
      case 0: // flip bits
        for (let i = 0, n = 1 + int(8); i < n; i++) b[int(b.length)]! ^= 1 << int(8);
        return b;
      case 1: // store random bytes
        for (let i = 0, n = 1 + int(4); i < n; i++) b[int(b.length)] = int(256);
        return b;
      case 2: // truncate
        return b.subarray(0, int(b.length));
      case 3: // forge the remaining length (1..4 varint bytes, any value)
        return Buffer.concat([b.subarray(0, 1), bytes(1 + int(4)), b.subarray(2)]);
      case 4: // insert garbage
        { const at = int(b.length); return Buffer.concat([b.subarray(0, at), bytes(1 + int(32)), b.subarray(at)]); }
      case 5: // overwrite the type nibble
        b[0] = (int(16) << 4) | (b[0]! & 0x0f);
        return b;
      default: // duplicate a slice
        { const at = int(b.length); return Buffer.concat([b, b.subarray(at, at + 1 + int(16))]); }
    }
  }

  /**
   * One connection: writes the chunks, waits a little or until the broker closes it, then leaves.
   * With `handshake`, the first chunk is a valid CONNECT and the rest waits for the CONNACK, so
   * the hostile packets meet an authenticated session.
   */
  function session(chunks: Buffer[], waitMs: number, handshake: boolean): Promise<void> {
    return new Promise((resolve) => {
      const s: Socket = connect(park.tcp.port, '127.0.0.1');
      s.on('error', () => {});
      const connack = new Promise<void>((r) => {
        s.once('data', () => r());
        s.once('close', () => r());
      });
      s.once('close', () => resolve());
      s.once('connect', async () => {
        for (const [n, c] of chunks.entries()) {
          if (n === 1 && handshake) await connack;
          if (s.destroyed) break;
          s.write(c);
          if (rnd() < 0.3) await new Promise((r) => setTimeout(r, int(5)));
        }
        setTimeout(() => s.destroy(), waitMs);
      });
    });
  }

  async function inParallel(n: number, job: (i: number) => Promise<void>): Promise<void> {
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < n) await job(next++);
    }));
  }

  it('survives thousands of mutated MQTT packets and raw garbage, and keeps serving', async () => {
    const heapBefore = heapAfterGc();
    let packets = 0;
    await inParallel(SESSIONS, async (i) => {
      const { id, kind } = pick(devices());
      const chunks: Buffer[] = [];
      const mode = i % 4;
      if (mode === 0) chunks.push(bytes(1 + int(512))); // raw garbage
      else if (mode === 1) chunks.push(mutate(mqttPacket.generate(validConnect(id, kind)))); // hostile CONNECT
      else chunks.push(mqttPacket.generate(validConnect(id, kind))); // authenticated, then hostile packets
      for (let k = 0, n = mode === 0 ? 0 : 4 + int(8); k < n; k++) chunks.push(mutate(mqttPacket.generate(validPacket(id, kind))));
      packets += chunks.length;
      await session(chunks, 20 + int(60), mode >= 2);
    });
    expect(packets).toBeGreaterThan(2500);

    // Everything the fuzzer opened is gone; only the ingest remains.
    await waitFor('fuzz connections closed', () => park.broker.stats().connections === 1, 20_000);
    const { refused, connectsAccepted } = park.broker.stats();
    expect(connectsAccepted).toBeGreaterThan(SESSIONS / 3); // the hostile packets met authenticated sessions
    expect(refused['packet-malformed'] ?? 0).toBeGreaterThan(0);
    expect((refused['connect-too-large'] ?? 0) + (refused['packet-too-large'] ?? 0)).toBeGreaterThan(0);

    // A well-behaved device still publishes, and the ingest still stores it.
    const id = 'g5-07';
    const c = await mqtt.connectAsync(park.mqttUrl, { clientId: id, username: id, password: secretOf(id), reconnectPeriod: 0 });
    await c.publishAsync(deviceTopic(park.model.id, 'node5g', id, 'telemetry'), JSON.stringify({ ts: Date.now(), seq: 9_000_001, rsrpDbm: -90, sinrDb: 12, dlMbps: 300, ulMbps: 50, latencyMs: 9, connectedUes: 40 }), { qos: 1 });
    await c.endAsync();
    const reader = await park.reader();
    await waitFor('the good reading stored', async () => (await reader.keys({ device: id })).some((k) => k.seq === 9_000_001));
    expect(heapAfterGc() - heapBefore).toBeLessThan(40 * 1024 * 1024);
  });

  it('counts every malformed payload through the ingest and keeps storing good ones', async () => {
    const heapBefore = heapAfterGc();
    const before = park.ingest!.stats();
    const id = 'mtr-longyuan-1';
    const topic = deviceTopic(park.model.id, 'meter', id, 'telemetry');
    const good = (seq: number): string => JSON.stringify({ ts: Date.now(), seq, kw: 812.5, kwh: 99_000 + seq, voltage: 400, current: 1200, powerFactor: 0.95 });
    const nasty: (() => Buffer | string)[] = [
      () => bytes(int(300)),
      () => good(8_000_000 + int(1e6)).slice(0, int(90)),
      () => mutate(Buffer.from(good(8_000_000 + int(1e6)))),
      () => `${'['.repeat(2000)}${']'.repeat(2000)}`,
      () => '{"__proto__":{"polluted":true},"ts":1,"seq":1,"kw":1,"kwh":1,"voltage":1,"current":1,"powerFactor":1}',
      () => '{"ts":1e400,"seq":-1,"kw":"NaN","kwh":null,"voltage":[],"current":{},"powerFactor":2}',
      () => Buffer.concat([Buffer.from('{"ts":1,"seq":1,"kw":"'), Buffer.from([0xed, 0xa0, 0x80, 0xff]), Buffer.from('"}')]),
      () => `\uFEFF${good(1)}`,
      () => '',
      () => 'x'.repeat(4097),
      () => JSON.stringify({ ...JSON.parse(good(1)) as object, extra: 'field' }),
    ];
    const c = await mqtt.connectAsync(park.mqttUrl, { clientId: id, username: id, password: secretOf(id), reconnectPeriod: 0 });
    const N = 2000;
    await Promise.all(Array.from({ length: N }, () => c.publishAsync(topic, pick(nasty)(), { qos: 1 })));
    await c.publishAsync(topic, good(9_500_000), { qos: 1 });
    await c.endAsync();

    const after = await waitFor('every message accounted for', () => {
      const s = park.ingest!.stats();
      return s.accepted + s.rejected - before.accepted - before.rejected === N + 1 ? s : null;
    });
    // Nothing silently dropped: every barrage message is accepted or rejected with a reason.
    const rejected = after.rejected - before.rejected;
    const byReason = Object.values(after.rejects).reduce((a, b) => a + b, 0) - Object.values(before.rejects).reduce((a, b) => a + b, 0);
    expect(byReason).toBe(rejected);
    expect(rejected).toBeGreaterThan(N * 0.8);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const reader = await park.reader();
    await waitFor('the good reading stored', async () => (await reader.keys({ device: id })).some((k) => k.seq === 9_500_000));
    expect(park.ingest!.stats().connected).toBe(true);
    expect(heapAfterGc() - heapBefore).toBeLessThan(40 * 1024 * 1024);
  });
});
