// A short way through the parser for the two packets that make up nearly all of a park broker's
// reads: a device's PUBLISH (QoS 0 or 1) and a subscriber's PUBACK. mqtt-packet parses every packet
// through a general state machine over a buffer list, with a disabled `debug` call in each step:
// about 2.5 µs a PUBLISH and 1.8 µs a PUBACK here, against 0.6 and 0.15 µs for this (a script
// parsing 300,000 of each, docs/facts.md). At 12k msg/s a message costs the broker one of each.
//
// Only MQTT 3.1 and 3.1.1 (MQTT 5 PUBLISH carries properties), only once the CONNECT is parsed,
// only a packet whole inside the chunk at hand, and only at a packet boundary: anything else (the
// CONNECT, QoS 2, a SUBSCRIBE, a packet split across reads, a malformed one) goes to mqtt-packet as
// before, so the two parsers never share a packet. The packets emitted are the objects mqtt-packet
// would emit (its fields, in its order), through the same 'packet' event: Aedes and the hooks on it
// (parser-hooks.ts) see no difference. test/broker/lean-parse.test.ts compares the two on random
// streams of valid and malformed packets split at random points.
// Relies on mqtt-packet 9's parser internals (`_list`, `_stateCounter`, `settings`), pinned with
// Aedes 1.2 in package.json.
/** What of mqtt-packet's parser this relies on. */
export interface MqttPacketParser {
  parse(buf: Buffer): number;
  emit(event: 'packet', packet: unknown): boolean;
  /** `{}` until a CONNECT is parsed; then that CONNECT packet (protocolVersion 3, 4 or 5). */
  settings: { protocolVersion?: number };
  /** Bytes buffered of a packet not yet whole. */
  _list: { length: number };
  /** 0 at a packet's first byte. */
  _stateCounter: number;
  packet: { length: number };
  error: Error | null;
}

/** The fields mqtt-packet's Packet gets for these two packets, in its order. */
export interface LeanPublish {
  cmd: 'publish';
  retain: boolean;
  qos: 0 | 1;
  dup: boolean;
  length: number;
  topic: string;
  payload: Buffer;
  messageId?: number;
}

export interface LeanPuback {
  cmd: 'puback';
  retain: false;
  qos: 0;
  dup: false;
  length: 2;
  topic: null;
  payload: null;
  messageId: number;
}

const PUBLISH = 0x30;
/** PUBACK's first byte: type 4, flags 0 (MQTT-2.2.2-1); its remaining length is 2 (MQTT 3.1.1 §3.4.1). */
const PUBACK = 0x40;

/**
 * The packet at `at` in `buf` if it is a PUBLISH of QoS 0 or 1 or a PUBACK, whole, and well formed
 * by mqtt-packet's rules, with its length in bytes; null for anything else (mqtt-packet's to parse).
 */
export function leanPacket(buf: Buffer, at: number): { packet: LeanPublish | LeanPuback; bytes: number } | null {
  const first = buf[at]!;
  if (first === PUBACK) {
    if (buf.length - at < 4 || buf[at + 1] !== 2) return null;
    const packet: LeanPuback = { cmd: 'puback', retain: false, qos: 0, dup: false, length: 2, topic: null, payload: null, messageId: (buf[at + 2]! << 8) | buf[at + 3]! };
    return { packet, bytes: 4 };
  }
  if ((first & 0xf0) !== PUBLISH) return null;
  const qos = (first >> 1) & 3;
  if (qos > 1) return null;
  // Remaining length: 1 to 4 bytes, 7 bits each, low first (MQTT 2.2.3).
  let length = 0;
  let factor = 1;
  let pos = at + 1;
  for (;;) {
    if (pos >= buf.length || pos - at > 4) return null;
    const b = buf[pos++]!;
    length += (b & 0x7f) * factor;
    if ((b & 0x80) === 0) break;
    factor *= 128;
  }
  const end = pos + length;
  if (end > buf.length || length < 2) return null;
  const topicEnd = pos + 2 + ((buf[pos]! << 8) | buf[pos + 1]!);
  const idBytes = qos === 1 ? 2 : 0;
  // mqtt-packet refuses a topic longer than the packet, and reads a QoS 1 packet's id past its end.
  if (topicEnd + idBytes > end) return null;
  // The same decoding as mqtt-packet's (a single Buffer's utf8 toString, bad bytes replaced): the
  // topic checks (acl.ts, text-checks.ts) see what they saw before.
  const topic = buf.toString('utf8', pos + 2, topicEnd);
  const packet: LeanPublish = qos === 1
    ? { cmd: 'publish', retain: (first & 1) === 1, qos, dup: (first & 8) === 8, length, topic, payload: buf.subarray(topicEnd + 2, end), messageId: (buf[topicEnd]! << 8) | buf[topicEnd + 1]! }
    : { cmd: 'publish', retain: (first & 1) === 1, qos: 0, dup: (first & 8) === 8, length, topic, payload: buf.subarray(topicEnd, end) };
  return { packet, bytes: end - at };
}

/** True when the parser holds no part of a packet and its client spoke MQTT 3.1 or 3.1.1. */
function atBoundary(parser: MqttPacketParser): boolean {
  const version = parser.settings.protocolVersion;
  return (version === 4 || version === 3) && parser._list.length === 0 && parser._stateCounter === 0 && parser.packet.length === -1 && parser.error === null;
}

/** How many packets one parser's short way has taken. */
export interface LeanParseCount {
  taken: number;
}

/** Puts the short way in front of one parser: the packets it takes are emitted, the rest is parsed as before. */
export function useLeanParse(parser: MqttPacketParser): LeanParseCount {
  const count: LeanParseCount = { taken: 0 };
  // The internals read above, checked once: a parser without them (another mqtt-packet) keeps its
  // own parse for everything (test/broker/lean-parse.test.ts fails then: it counts what was taken).
  if (typeof parser._stateCounter !== 'number' || typeof parser._list?.length !== 'number' || typeof parser.packet?.length !== 'number' || typeof parser.settings !== 'object') return count;
  const full = parser.parse;
  parser.parse = function parse(buf: Buffer): number {
    if (!atBoundary(parser)) return full.call(parser, buf);
    let at = 0;
    while (at < buf.length) {
      const next = leanPacket(buf, at);
      if (!next) break;
      at += next.bytes;
      count.taken++;
      parser.emit('packet', next.packet);
    }
    if (at === buf.length) return 0;
    return full.call(parser, at === 0 ? buf : buf.subarray(at));
  };
  return count;
}
