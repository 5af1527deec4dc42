// Acknowledgement chaining: a device's QoS 1 PUBACK means "stored", not "received".
//
// Aedes 1.2 writes the PUBACK of an incoming QoS 1 message before it routes it
// (lib/handlers/publish.js), and with the in-memory persistence nothing it holds survives a crash,
// so a device could be told a reading was safe that was only in the broker's heap (issue 14: 30 of
// 2,685 acknowledged readings lost on a SIGKILL at 600 msg/s). The ingest already acknowledges a
// message to the broker only once its reading is durable (ingest/deferred-ack.ts). This module
// joins the two: the device's PUBACK waits until every ingest session that takes the message has
// acknowledged it.
//
// How: the broker's authorizePublish hands a device's QoS 1 message here once it is allowed. The
// message is routed at once (every subscriber gets it as before; the ingest's persistent session
// queues it), and Aedes's `done` (after which Aedes writes the PUBACK and would route the packet;
// that second routing is skipped) is held until the ingest's PUBACK for this broker counter comes
// back (Aedes's 'ack' event). Aedes reads a connection's next socket chunk only once every packet
// of the last one is done (lib/client.js `nextBatch`), so a held device is also a paused device:
// the hold is bounded per connection and is the backpressure from the store to the devices.
//
// While the ingest is away its session's queue holds the messages and their devices' PUBACKs stay
// held; a device that reconnects meanwhile sends them again with DUP (MQTT-4.4.0-1), and the
// store keeps one row per (device, seq). Where no ingest session exists yet (a broker just
// started: sessions of the memory persistence died with the last one), a message would reach no
// store, so it is not routed at all until an ingest subscribes. A message the ingest rejects is
// acknowledged by it at once (a counted rejection), which releases the device's PUBACK as before.
//
// Wraps Aedes internals (`publish`, `counter`, the 'ack' event's packet): aedes is pinned exactly,
// and test/broker/ack-chain.test.ts proves the behaviour against a real ingest session.
import type { Aedes, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from '../shared/logger.ts';

type Done = (err?: Error | null) => void;
type PublishFn = (packet: PublishPacket, client?: Client | null | Done, done?: Done) => void;

export interface AckChainOptions {
  /** Whether a client is an ingest (its persistent session's PUBACKs release device PUBACKs). */
  isIngest(client: Client): boolean;
  logger: Logger;
}

export interface AckChainStats {
  /** Device messages routed and waiting for the ingest's acknowledgement. */
  held: number;
  /** Device messages waiting for an ingest session to exist before they are routed. */
  waitingForIngest: number;
  /** Persistent ingest sessions the broker knows (connected or not). */
  ingestSessions: number;
}

export interface AckChain {
  /** From authorizePublish, once allowed: a device's QoS 1 message; `done` once it is stored. */
  hold(client: Client, packet: PublishPacket, done: Done): void;
  stats(): AckChainStats;
}

interface Held {
  /** Ingest acknowledgements still due. */
  due: number;
  routed: boolean;
  done: Done;
}

/** MQTT topic filter match (MQTT-4.7.1): `+` one level, `#` the rest. */
export function filterMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export function enableAckChain(aedes: Aedes, opts: AckChainOptions): AckChain {
  const log = opts.logger.child({ module: 'ack-chain' });
  const broker = aedes as unknown as { publish: PublishFn; counter: number; id: string };
  const publish: PublishFn = broker.publish.bind(aedes);
  const routed = new WeakSet<object>();
  // clientId -> filters (QoS 1) of each persistent ingest session, as the persistence keeps them
  const sessions = new Map<string, Set<string>>();
  // broker counter -> the device message it was routed as
  const held = new Map<number, Held>();
  let waiting: { client: Client; packet: PublishPacket; done: Done }[] = [];

  broker.publish = (packet, client, done) => {
    const cb = typeof client === 'function' ? client : done;
    // Aedes publishes the very packet object authorizePublish saw, after the PUBACK.
    if (routed.has(packet)) {
      routed.delete(packet);
      cb?.();
      return;
    }
    publish(packet, client, done);
  };

  const ingestsTaking = (topic: string): number => {
    let n = 0;
    for (const filters of sessions.values()) {
      for (const f of filters) {
        if (filterMatches(f, topic)) {
          n++;
          break;
        }
      }
    }
    return n;
  };

  const release = (counter: number, h: Held): void => {
    held.delete(counter);
    h.done(null);
  };

  const route = (client: Client, packet: PublishPacket, done: Done): void => {
    const due = ingestsTaking(packet.topic);
    if (due === 0) {
      if (sessions.size === 0) {
        waiting.push({ client, packet, done });
        return;
      }
      // An ingest exists but does not take this topic: nothing to wait for.
      publish(packet, client, (err) => {
        if (err) return done(err);
        routed.add(packet);
        done(null);
      });
      return;
    }
    const h: Held = { due, routed: false, done: (err) => done(err) };
    let counter = -1;
    publish(packet, client, (err) => {
      if (err) {
        held.delete(counter);
        return done(err); // no PUBACK: the device sends it again
      }
      routed.add(packet);
      h.routed = true;
      if (h.due <= 0) release(counter, h);
    });
    // Aedes numbers the message synchronously in publish() (new Packet: ++broker.counter).
    counter = broker.counter;
    if (!h.routed || h.due > 0) held.set(counter, h);
  };

  aedes.on('subscribe', (subs: Subscription[], client: Client) => {
    if (!client || client.clean || !opts.isIngest(client)) return;
    let filters = sessions.get(client.id);
    if (!filters) {
      filters = new Set();
      sessions.set(client.id, filters);
      log.info({ clientId: client.id }, 'ingest session: device PUBACKs now wait for its acknowledgements');
    }
    for (const s of subs) if (s.qos > 0) filters.add(s.topic);
    if (waiting.length > 0) {
      const w = waiting;
      waiting = [];
      log.info({ messages: w.length }, 'routing device messages that waited for an ingest session');
      for (const m of w) {
        if (m.client.closed) continue; // the device sends it again on its next connection
        route(m.client, m.packet, m.done);
      }
    }
  });
  aedes.on('unsubscribe', (unsubs: string[], client: Client) => {
    // Aedes emits this on close only for clean sessions, which are never tracked.
    const filters = client ? sessions.get(client.id) : undefined;
    if (!filters) return;
    for (const u of unsubs) filters.delete(u);
  });
  aedes.on('client', (client: Client) => {
    // A clean session replaces the persistent one: its queue (and the messages in it) is gone.
    if (client.clean && sessions.has(client.id)) {
      sessions.delete(client.id);
      log.warn({ clientId: client.id }, 'ingest connected with a clean session: its queued messages are dropped by the broker');
    }
  });
  aedes.on('ack', (ackPacket, client) => {
    // The stored packet of the delivery (undefined when the messageId was not in the queue).
    const packet = ackPacket as { brokerId?: string; brokerCounter?: number } | undefined;
    if (!packet || packet.brokerId !== broker.id || packet.brokerCounter === undefined) return;
    if (!client || !sessions.has(client.id)) return;
    const h = held.get(packet.brokerCounter);
    if (!h) return;
    h.due--;
    if (h.due <= 0 && h.routed) release(packet.brokerCounter, h);
  });

  return {
    hold(client, packet, done) {
      route(client, packet, done);
    },
    stats: () => ({ held: held.size, waitingForIngest: waiting.length, ingestSessions: sessions.size }),
  };
}
