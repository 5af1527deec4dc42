// Listeners on Aedes's per-client MQTT parser (mqtt-packet), ahead of Aedes itself:
//   - bytes the parser refuses (reserved flag bits MQTT-2.2.2-2 and MQTT-3.1.2-3, bad lengths,
//     QoS 3): Aedes closes the connection; this counts it;
//   - SUBSCRIBE and UNSUBSCRIBE filters deeper than Aedes allows (100 levels, checked before any
//     hook, closing the connection) are replaced by a filter no client can send (NUL,
//     MQTT-1.5.3-2), so the broker's subscribe hook denies just that grant (SUBACK 0x80,
//     MQTT-3.9.3) and an UNSUBSCRIBE of it is a harmless no-op (UNSUBACK, MQTT-3.10.4-5);
//   - PUBLISH and PUBACK, most of what a connection reads, parsed without mqtt-packet's state
//     machine (lean-parse.ts).
// Relies on Aedes 1.2's `client._parser` (pinned in package.json; test/broker/hostile-clients.test.ts).
import type { Client } from 'aedes';
import type { Packet } from 'mqtt-packet';
import { useLeanParse, type MqttPacketParser } from './lean-parse.ts';

/** The filter a too-deep one is replaced by (the subscribe hook refuses it as `too-deep`). */
export const TOO_DEEP_FILTER = '\u0000too-deep';
const AEDES_MAX_LEVELS = 100;

interface ParserEvents {
  on(event: 'error', listener: (err: Error) => void): void;
  prependListener(event: 'packet', listener: (packet: Packet) => void): void;
}

const levelsAbove = (topic: string, max: number): boolean => {
  let levels = 1;
  for (let i = topic.indexOf('/'); i !== -1; i = topic.indexOf('/', i + 1)) if (++levels > max) return true;
  return false;
};

export function hookParser(client: Client, onMalformed: (err: Error) => void): void {
  const parser = (client as unknown as { _parser: ParserEvents & MqttPacketParser })._parser;
  parser.on('error', onMalformed);
  parser.prependListener('packet', (packet) => {
    if (packet.cmd === 'subscribe') {
      for (const sub of packet.subscriptions) if (levelsAbove(sub.topic, AEDES_MAX_LEVELS)) sub.topic = TOO_DEEP_FILTER;
    } else if (packet.cmd === 'unsubscribe') {
      packet.unsubscriptions = packet.unsubscriptions.map((t) => (levelsAbove(t, AEDES_MAX_LEVELS) ? TOO_DEEP_FILTER : t));
    }
  });
  useLeanParse(parser);
}
