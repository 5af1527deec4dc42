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
// back (Aedes's 'ack' event). Held callbacks are released in the order the device sent the
// messages, so its PUBACKs leave in that order (MQTT-4.6.0-2) even when a later message needs no
// ingest (a topic none takes) or several ingests answer at different times. A held `done` does not
// stop Aedes reading the connection (a new 'readable' starts the next batch), so the bound per
// connection is explicit: past `maxPendingPerClient` waiting messages its reads pause (`pause`)
// until half of them are stored; that, and the device's own in-flight window, is the
// backpressure from the store to the devices.
//
// While the ingest is away its session's queue holds the messages and their devices' PUBACKs stay
// held; a device that reconnects meanwhile sends them again with DUP (MQTT-4.4.0-1), and the
// store keeps one row per (device, seq). Where no ingest session exists yet (a broker just
// started: sessions of the memory persistence died with the last one), a message would reach no
// store, so it is not routed at all until an ingest subscribes. A message the ingest rejects is
// acknowledged by it at once (a counted rejection), which releases the device's PUBACK as before.
//
// An ingest in the broker's process takes messages from the bus instead (bus-feed.ts): it is a
// taker (`addTaker`), counted like a session, whose promise per message stands for the session's
// PUBACK. While it is away its topics' device messages wait unrouted (it has no queue to hold
// them), until a taker of the same name is back.
//
// Wraps Aedes internals (`publish`, `counter`, the 'ack' event's packet): aedes is pinned exactly,
// and test/broker/ack-chain.test.ts proves the behaviour against a real ingest session.
import type { Aedes, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from '../shared/logger.ts';
import { skipRoutedRepublish, type Done } from './routed-publish.ts';

export interface AckChainOptions {
  /** Whether a client is an ingest (its persistent session's PUBACKs release device PUBACKs). */
  isIngest(client: Client): boolean;
  logger: Logger;
  /**
   * Messages of one connection that may wait for the ingest before its reads pause (until half of
   * them are stored). Default 100 (MQTT clients keep 10-100 QoS 1 messages in flight).
   */
  maxPendingPerClient?: number;
  /** Stop and resume reading a connection (the broker's packet guard). */
  pause(client: Client): void;
  resume(client: Client): void;
}

export interface AckChainStats {
  /** Device messages routed and waiting for the ingest's acknowledgement. */
  held: number;
  /** Device messages waiting for an ingest session to exist before they are routed. */
  waitingForIngest: number;
  /** Persistent ingest sessions the broker knows (connected or not), and in-process takers. */
  ingestSessions: number;
}

export interface AckChain {
  /** From authorizePublish, once allowed: a device's QoS 1 message; `done` once it is stored. */
  hold(client: Client, packet: PublishPacket, done: Done): void;
  /**
   * An ingest on the broker's in-process bus (bus-feed.ts): its filters count like a persistent
   * ingest session's, and `ack(brokerCounter)` stands for that session's PUBACK.
   */
  addTaker(name: string, filters: readonly string[]): Taker;
  stats(): AckChainStats;
}

export interface Taker {
  /** The message numbered `brokerCounter` is stored (or rejected and counted) by this taker. */
  ack(brokerCounter: number): void;
  /**
   * It is away (its connection to the process dropped, or it stops). Like an offline persistent
   * session it still takes its topics: their device messages wait, unrouted, until a taker of the
   * same name is added again (or their device disconnects and sends them again). What it still owes
   * may still be acknowledged.
   */
  remove(): void;
}

interface Pending {
  client: Client;
  /** Ingest acknowledgements still due. */
  due: number;
  routed: boolean;
  /** Aedes's callback: it writes the PUBACK. Null once called. */
  done: Done | null;
}

export const DEFAULT_MAX_PENDING_PER_CLIENT = 100;

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
  const maxPending = opts.maxPendingPerClient ?? DEFAULT_MAX_PENDING_PER_CLIENT;
  const broker = aedes as unknown as { counter: number; id: string };
  // Routed here at once; Aedes's own routing after the PUBACK is skipped (routed-publish.ts).
  const { publish, markRouted } = skipRoutedRepublish(aedes);
  // clientId -> filters (QoS 1) of each persistent ingest session, as the persistence keeps them;
  // in-process takers (bus-feed.ts) under keys no clientId can have (MQTT clientIds are UTF-8
  // strings, ours are account ids: never a NUL)
  const sessions = new Map<string, Set<string>>();
  const away = new Set<string>();
  // key -> the taker added last under it (an old taker going away must not mark its successor away)
  const currentTaker = new Map<string, object>();
  // topic -> ingest sessions taking it (cleared whenever a session's filters change)
  const taking = new Map<string, number>();
  // broker counter -> the device message it was routed as
  const held = new Map<number, Pending>();
  // each connection's messages whose PUBACK is not written yet, in the order they came
  const queues = new WeakMap<Client, Pending[]>();
  let waiting: { client: Client; packet: PublishPacket; p: Pending }[] = [];

  // Ingest sessions taking the topic, or -1 when an away in-process taker takes it (wait for it).
  const ingestsTaking = (topic: string): number => {
    const known = taking.get(topic);
    if (known !== undefined) return known;
    let n = 0;
    let awayTakes = false;
    for (const [key, filters] of sessions) {
      for (const f of filters) {
        if (filterMatches(f, topic)) {
          if (away.has(key)) awayTakes = true;
          else n++;
          break;
        }
      }
    }
    if (awayTakes) n = -1;
    if (taking.size > 100_000) taking.clear(); // device topics are bounded by the ACL; this bounds the rest
    taking.set(topic, n);
    return n;
  };

  // Connections whose reads are paused for their number of waiting messages.
  const paused = new WeakSet<Client>();

  // Releases the PUBACKs that are due, oldest first, and stops at the first still waiting
  // (MQTT-4.6.0-2: PUBACKs in the order the PUBLISHes came).
  const flush = (client: Client): void => {
    const q = queues.get(client);
    if (!q) return;
    while (q.length > 0 && q[0]!.routed && q[0]!.due <= 0) {
      const p = q.shift()!;
      const done = p.done;
      p.done = null;
      done?.(null); // Aedes writes the PUBACK (or finds the connection gone: the device resends with DUP)
    }
    if (paused.has(client) && q.length <= maxPending / 2) {
      paused.delete(client);
      opts.resume(client);
    }
  };

  const drop = (p: Pending): void => {
    const q = queues.get(p.client);
    const i = q ? q.indexOf(p) : -1;
    if (i >= 0) q!.splice(i, 1);
  };

  const route = (client: Client, packet: PublishPacket, p: Pending): void => {
    p.due = ingestsTaking(packet.topic);
    // No session yet, or the in-process ingest away: routed now, the message would reach no store.
    if (p.due < 0 || (p.due === 0 && sessions.size === 0)) {
      waiting.push({ client, packet, p });
      return;
    }
    let counter = -1;
    publish(packet, client, (err) => {
      if (err) {
        if (counter >= 0) held.delete(counter);
        drop(p);
        const done = p.done;
        p.done = null;
        done?.(err); // no PUBACK: the device sends it again
        flush(client);
        return;
      }
      markRouted(packet);
      p.routed = true;
      flush(client);
    });
    // Aedes numbers the message synchronously in publish() (new Packet: ++broker.counter).
    counter = broker.counter;
    if (p.due > 0) held.set(counter, p);
  };

  const sessionsChanged = (): void => {
    taking.clear();
    if (waiting.length === 0) return;
    const w = waiting;
    waiting = [];
    log.info({ messages: w.length }, 'routing device messages that waited for an ingest session');
    for (const m of w) {
      if (m.client.closed) {
        drop(m.p);
        continue; // the device sends it again on its next connection
      }
      route(m.client, m.packet, m.p);
    }
  };

  // One ingest's acknowledgement of the message numbered `counter`.
  const acked = (counter: number): void => {
    const p = held.get(counter);
    if (!p) return;
    p.due--;
    if (p.due <= 0) {
      held.delete(counter);
      flush(p.client);
    }
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
    sessionsChanged();
  });
  aedes.on('unsubscribe', (unsubs: string[], client: Client) => {
    // Aedes emits this on close only for clean sessions, which are never tracked.
    const filters = client ? sessions.get(client.id) : undefined;
    if (!filters) return;
    for (const u of unsubs) filters.delete(u);
    taking.clear();
  });
  aedes.on('client', (client: Client) => {
    // A clean session replaces the persistent one: its queue (and the messages in it) is gone.
    if (client.clean && sessions.has(client.id)) {
      sessions.delete(client.id);
      taking.clear();
      log.warn({ clientId: client.id }, 'ingest connected with a clean session: its queued messages are dropped by the broker');
    }
  });
  aedes.on('ack', (ackPacket, client) => {
    // The stored packet of the delivery (undefined when the messageId was not in the queue).
    const packet = ackPacket as { brokerId?: string; brokerCounter?: number } | undefined;
    if (!packet || packet.brokerId !== broker.id || packet.brokerCounter === undefined) return;
    if (!client || !sessions.has(client.id)) return;
    acked(packet.brokerCounter);
  });

  return {
    hold(client, packet, done) {
      let q = queues.get(client);
      if (!q) queues.set(client, (q = []));
      const p: Pending = { client, due: 0, routed: false, done };
      q.push(p);
      if (q.length >= maxPending && !paused.has(client)) {
        paused.add(client);
        opts.pause(client);
      }
      route(client, packet, p);
    },
    addTaker(name, filters) {
      const key = `\0bus-feed-${name}`;
      sessions.set(key, new Set(filters));
      away.delete(key);
      const me = {};
      currentTaker.set(key, me);
      log.info({ filters: filters.length }, 'in-process ingest: device PUBACKs now wait for it to store their readings');
      sessionsChanged();
      return {
        ack: acked,
        remove() {
          if (currentTaker.get(key) !== me) return;
          away.add(key);
          taking.clear();
        },
      };
    },
    stats: () => ({ held: held.size, waitingForIngest: waiting.length, ingestSessions: sessions.size }),
  };
}
