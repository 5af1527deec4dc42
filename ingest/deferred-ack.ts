// Acknowledge a QoS 1 message to the broker only once its reading is durable.
//
// mqtt.js sends the PUBACK when `handleMessage`'s callback runs, and it handles the next packet
// only after that, so holding the callback until a commit would allow one message per commit.
// Instead the callback runs at once, and the PUBACK packet itself is held back until the
// message's durability promise settles; PUBACKs still leave in arrival order (MQTT-4.6.0-2).
// This relies on `_sendPacket`, an internal of mqtt.js: the version is pinned exactly in
// package.json, and test/ingest/deferred-ack.test.ts proves the behaviour against a real broker.
import type { IPublishPacket, Packet } from 'mqtt-packet';
import type { MqttClient } from 'mqtt';

export interface DeferredAckOptions {
  /** Called for every PUBLISH; returns a promise that resolves when it may be acknowledged. */
  onMessage(packet: IPublishPacket): Promise<void>;
  /** Messages accepted but not yet acknowledged before intake pauses (TCP backpressure); default 20 000. */
  maxUnacked?: number;
  onError(err: Error): void;
}

export interface DeferredAcks {
  /** Messages received and not yet acknowledged. */
  readonly unacked: number;
  /** Resolves when every held PUBACK has been sent (or dropped with its connection). */
  settled(): Promise<void>;
}

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

export function deferAcks(client: MqttClient, opts: DeferredAckOptions): DeferredAcks {
  const maxUnacked = opts.maxUnacked ?? 20_000;
  const internal = client as unknown as { _sendPacket: SendPacket };
  const send = internal._sendPacket.bind(client);
  // messageId -> durability of that message and the connection it came on
  const held = new Map<number, { durable: Promise<void>; generation: number }>();
  let chain: Promise<void> = Promise.resolve();
  let unacked = 0;
  // A PUBACK for a connection that has gone is never sent on the next one: the broker redelivers
  // those messages with DUP set (clean session off), and they are acknowledged then.
  let generation = 0;
  let resume: (() => void) | null = null;
  const release = (): void => {
    const r = resume;
    resume = null;
    r?.();
  };
  client.on('close', () => {
    generation++;
    release(); // the superseded packet pump discards what it still holds
  });

  client.handleMessage = (packet, callback) => {
    const durable = opts.onMessage(packet as IPublishPacket);
    // mqtt.js may never send this message's PUBACK (the client is ending, the connection gone), so
    // nothing would ever chain on `durable`: a rejection (the ingest shutting down) must not become
    // an unhandled rejection that kills the process. Where the PUBACK is sent, the chain below
    // still sees the rejection and reports it.
    durable.catch(() => {});
    if (packet.qos === 1 && packet.messageId !== undefined) {
      held.set(packet.messageId, { durable, generation });
      unacked++;
    } else {
      // QoS 0 has no acknowledgement; errors are still reported.
      durable.catch((err: Error) => opts.onError(err));
    }
    if (unacked >= maxUnacked) resume = () => callback();
    else callback();
  };

  internal._sendPacket = (packet, cb, ...rest) => {
    const entry = packet.cmd === 'puback' && packet.messageId !== undefined ? held.get(packet.messageId) : undefined;
    if (!entry) {
      send(packet, cb, ...rest);
      return;
    }
    held.delete(packet.messageId!);
    chain = chain
      .then(() => entry.durable)
      .then(
        () => {
          if (entry.generation === generation && client.connected) send(packet);
        },
        (err: Error) => opts.onError(err),
      )
      .finally(() => {
        unacked--;
        if (unacked < maxUnacked / 2) release();
      });
    cb?.(); // let mqtt.js go on parsing while the acknowledgement waits
  };

  return {
    get unacked() {
      return unacked;
    },
    settled: () => chain,
  };
}
