// The broker's short way through the parser (lean-parse.ts) against mqtt-packet alone: the same
// byte streams, cut at random points, must give the same packets (every field, payload bytes
// included) and the same first error, for clients of MQTT 3.1, 3.1.1 and 5, valid and malformed.
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../simulators/profiles.ts';
import { leanPacket, useLeanParse, type MqttPacketParser } from '../../broker/lean-parse.ts';

interface Outcome { packets: unknown[]; error: string | null }

let leanTaken = 0;

function feed(chunks: Buffer[], lean: boolean): Outcome {
  const parser = mqttPacket.parser() as unknown as MqttPacketParser & { on(e: string, f: (x: never) => void): void };
  const count = lean ? useLeanParse(parser) : null;
  const out: Outcome = { packets: [], error: null };
  // Aedes closes the connection at the parser's first error: nothing after it counts.
  parser.on('packet', (p: Packet & { payload?: Buffer | string | null }) => {
    if (out.error === null) out.packets.push({ ...p, payload: p.payload === null || p.payload === undefined ? p.payload : Buffer.from(p.payload).toString('hex') });
  });
  parser.on('error', (err: Error) => {
    out.error ??= err.message;
  });
  for (const c of chunks) {
    if (out.error !== null) break;
    parser.parse(c);
  }
  leanTaken += count?.taken ?? 0;
  return out;
}

const gen = (p: Record<string, unknown>, protocolVersion = 4): Buffer => mqttPacket.generate(p as unknown as Packet, { protocolVersion });

describe('lean-parse', () => {
  it('parses a whole QoS 1 PUBLISH and a PUBACK as mqtt-packet does, and leaves everything else alone', () => {
    const pub = gen({ cmd: 'publish', topic: 'park/dantu/meter/m-1/telemetry', qos: 1, messageId: 513, payload: Buffer.from('{"kw":1}'), retain: false, dup: true });
    const got = leanPacket(pub, 0);
    expect(got?.bytes).toBe(pub.length);
    expect(got?.packet).toMatchObject({ cmd: 'publish', qos: 1, dup: true, retain: false, topic: 'park/dantu/meter/m-1/telemetry', messageId: 513 });
    expect((got?.packet.payload as Buffer).toString()).toBe('{"kw":1}');
    expect(leanPacket(gen({ cmd: 'puback', messageId: 65535 }), 0)?.packet).toMatchObject({ cmd: 'puback', messageId: 65535 });
    // A QoS 0 PUBLISH has no message id at all, as from mqtt-packet.
    expect('messageId' in leanPacket(gen({ cmd: 'publish', topic: 't', qos: 0, payload: 'x' }), 0)!.packet).toBe(false);
    // Not its business: QoS 2, SUBSCRIBE, PINGREQ, a PUBLISH cut short, a PUBACK with flags set.
    expect(leanPacket(gen({ cmd: 'publish', topic: 't', qos: 2, messageId: 1, payload: 'x' }), 0)).toBeNull();
    expect(leanPacket(gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 1 }] }), 0)).toBeNull();
    expect(leanPacket(gen({ cmd: 'pingreq' }), 0)).toBeNull();
    expect(leanPacket(pub.subarray(0, pub.length - 1), 0)).toBeNull();
    expect(leanPacket(Buffer.from([0x42, 2, 0, 1]), 0)).toBeNull();
  });

  it('leaves a parser without the internals it reads to its own parse', () => {
    const parser = mqttPacket.parser() as unknown as MqttPacketParser;
    const parse = parser.parse;
    delete (parser as { _stateCounter?: number })._stateCounter;
    const count = useLeanParse(parser);
    expect(parser.parse).toBe(parse);
    expect(count.taken).toBe(0);
  });

  it('gives the packets and the first error mqtt-packet gives, on random streams cut at random points', () => {
    const rng = createRng(20261207);
    const int = (n: number): number => Math.floor(rng() * n);
    const topicOf = (): string => ['park/dantu/meter/m-7/telemetry', 'a', 'park/ü/ø', '', 'x/'.repeat(int(40)) + 'y'][int(5)]!;
    const payloadOf = (): Buffer => Buffer.from(Array.from({ length: [0, 1, 100, 200, 20_000][int(5)]! }, () => int(256)));
    let compared = 0;
    let errors = 0;
    for (let run = 0; run < 600; run++) {
      const version = [3, 4, 4, 4, 5][int(5)]!;
      const parts: Buffer[] = [gen({ cmd: 'connect', protocolId: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clientId: `c${run}`, clean: true, keepalive: 30 }, version)];
      for (let i = int(30); i > 0; i--) {
        const kind = int(12);
        if (kind < 5) parts.push(gen({ cmd: 'publish', topic: topicOf(), qos: int(3), messageId: 1 + int(65535), payload: payloadOf(), retain: int(2) === 1, dup: int(4) === 0 }, version));
        else if (kind < 8) parts.push(gen({ cmd: 'puback', messageId: int(65536) }, version));
        else if (kind === 8) parts.push(gen({ cmd: 'subscribe', messageId: 1 + int(65535), subscriptions: [{ topic: 'park/+/alert/#', qos: 1 }] }, version));
        else if (kind === 9) parts.push(gen({ cmd: 'pingreq' }, version));
        else {
          // Malformed: a PUBLISH or PUBACK with one byte changed, or cut short into the next packet.
          const p = Buffer.from(int(2) ? gen({ cmd: 'publish', topic: topicOf(), qos: int(2), messageId: 9, payload: payloadOf() }, version) : gen({ cmd: 'puback', messageId: 7 }, version));
          if (int(2)) p[int(Math.min(p.length, 8))] = int(256);
          parts.push(int(3) === 0 ? p.subarray(0, 1 + int(p.length)) : p);
        }
      }
      const stream = Buffer.concat(parts);
      const ends: number[] = [];
      parts.reduce((at, p) => (ends.push(at + p.length), at + p.length), 0);
      // Cut as TCP reads come: mostly at packet boundaries, one packet or several to a read, and
      // anywhere else too (single bytes, a packet's middle, 70 KB at once).
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        const next = ends.findIndex((e) => e > at);
        const to = int(3) > 0 ? ends[Math.min(ends.length - 1, next + int(3))]! : at + [1, 3, 50, 300, 5000, 70_000][int(6)]!;
        chunks.push(stream.subarray(at, to));
        at = to;
      }
      const plain = feed(chunks, false);
      const lean = feed(chunks, true);
      expect(lean).toStrictEqual(plain);
      compared += plain.packets.length;
      if (plain.error !== null) errors++;
    }
    // The comparison covered a real mix, not one happy path.
    expect(compared).toBeGreaterThan(3000);
    expect(errors).toBeGreaterThan(20);
    // ... and the short way took a good share of it (about a fifth: the rest is MQTT 5, QoS 2,
    // other packets, split packets, and whatever follows a split one in its read).
    expect(leanTaken).toBeGreaterThan(compared / 10);
  });
});
