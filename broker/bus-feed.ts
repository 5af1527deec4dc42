// The ingest on the broker's in-process bus (issue 14, option a): where broker and ingest share a
// process (`parkpulse all`), the ingest takes device messages straight from Aedes's bus instead of
// through a persistent MQTT session over loopback TCP.
//
// What that removes per message: the ingest session's QoS 1 queue in the persistence (enqueue,
// update, clear), the PUBLISH the broker writes to the ingest and the ingest parses, and the
// PUBACK the ingest writes back and the broker parses. What stays: a device's PUBACK still means
// stored. The feed is one of the ack chain's takers (ack-chain.ts): a device's message is routed
// as before (every other subscriber gets it), its PUBACK waits until the ingest's promise for it
// settles, and PUBACKs leave in the order the device sent them. Nothing here outlives the
// process, and nothing needs to: the ingest's readings are in the store, and a device whose PUBACK
// was still held when the process died sends the message again (MQTT-4.4.0-1).
//
// The bus callback is answered at once (never when the reading is stored): Aedes's bus admits a
// bounded number of messages in flight (`busConcurrency`), so holding it for a 50 ms batch would
// throttle every client of the broker.
//
// Wraps Aedes internals (an in-process subscription's packet carries `brokerId`/`brokerCounter`):
// aedes is pinned exactly, and test/broker/bus-feed.test.ts proves the behaviour with real devices.
import type { Aedes } from 'aedes';
import type { Logger } from '../shared/logger.ts';
import type { FeedConsumer, FeedHandle, FeedMessage } from '../shared/bus-feed.ts';
import type { AckChain, Taker } from './ack-chain.ts';

interface BusPacket {
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  retain?: boolean;
  brokerId?: string | null;
  brokerCounter?: number;
}

type Deliver = (packet: BusPacket, cb: () => void) => void;

export interface BusFeedStats {
  /** Messages handed to in-process consumers. */
  delivered: number;
  /** Of those, messages the consumer has not settled yet. */
  pending: number;
}

export interface BusFeeds {
  attach(consumer: FeedConsumer): Promise<FeedHandle>;
  /**
   * The broker is closing: deliver nothing more. Closing, Aedes publishes the wills of the clients
   * it disconnects; an ingest over MQTT never sees them (its own connection goes in the same
   * moment), and the in-process one must not either, or a broker restart would mark every device
   * offline with a last will (test/ingest/alerts/scenario.test.ts asserts no alert for a restart).
   */
  stop(): void;
  stats(): BusFeedStats;
}

const toBuffer = (p: Buffer | string): Buffer => (typeof p === 'string' ? Buffer.from(p) : p);

export function enableBusFeeds(aedes: Aedes, chain: AckChain, logger: Logger): BusFeeds {
  const log = logger.child({ module: 'bus-feed' });
  const broker = aedes as unknown as {
    id: string;
    subscribe(topic: string, fn: Deliver, done: (err?: Error) => void): void;
    unsubscribe(topic: string, fn: Deliver, done: (err?: Error) => void): void;
    persistence: { createRetainedStreamCombi(patterns: string[]): AsyncIterable<BusPacket> };
  };
  const stats: BusFeedStats = { delivered: 0, pending: 0 };
  let stopped = false;

  const onEach = (filters: readonly string[], fn: (filter: string, done: (err?: Error) => void) => void): Promise<void> =>
    Promise.all(filters.map((f) => new Promise<void>((resolve, reject) => fn(f, (err) => (err ? reject(err) : resolve()))))).then(() => {});

  return {
    async attach(consumer) {
      // Filled in below, in the same turn as the subscriptions (the bus adds them synchronously),
      // so no message is routed counting this taker without reaching it, or reaching it uncounted.
      let taker!: Taker;
      let attached = true;
      const settle = (message: FeedMessage, counter: number | null): void => {
        stats.delivered++;
        stats.pending++;
        consumer.onMessage(message).then(
          () => {
            stats.pending--;
            // Only a message the chain numbered (a device's QoS 1 PUBLISH) has a PUBACK waiting.
            if (counter !== null) taker.ack(counter);
          },
          // Not stored (the ingest is stopping): the device's PUBACK stays unsent. The consumer
          // reports its own errors; this only keeps the count.
          () => void stats.pending--,
        );
      };
      // A message can match several of the consumer's filters: the bus then calls `deliver` once per
      // filter with the same packet object, and the consumer must see it (and ack it) once.
      const seen = new WeakSet<object>();
      const deliver: Deliver = (packet, cb) => {
        cb(); // never hold the bus (see above)
        if (!attached || stopped || seen.has(packet)) return;
        seen.add(packet);
        const counter = packet.brokerId === broker.id && typeof packet.brokerCounter === 'number' ? packet.brokerCounter : null;
        // A live message: retain is only set on a replay at subscription (MQTT-3.3.1-9).
        settle({ topic: packet.topic, payload: toBuffer(packet.payload), qos: packet.qos, retain: false }, counter);
      };

      const subscribed = onEach(consumer.filters, (f, done) => broker.subscribe(f, deliver, done));
      taker = chain.addTaker(consumer.name, consumer.filters);
      await subscribed;
      // As a SUBSCRIBE would: the retained messages now, with retain set (MQTT-3.3.1-6).
      let replayed = 0;
      for await (const p of broker.persistence.createRetainedStreamCombi([...consumer.filters])) {
        if (!attached) break;
        replayed++;
        settle({ topic: p.topic, payload: toBuffer(p.payload), qos: p.qos, retain: true }, null);
      }
      log.info({ filters: consumer.filters.length, retained: replayed }, 'in-process ingest attached to the bus');
      return {
        async detach() {
          if (!attached) return;
          attached = false;
          taker.remove();
          await onEach(consumer.filters, (f, done) => broker.unsubscribe(f, deliver, done)).catch((err: Error) =>
            log.debug({ err: err.message }, 'unsubscribe from a closed bus'),
          );
          log.info('in-process ingest detached from the bus');
        },
      };
    },
    stop() {
      stopped = true;
    },
    stats: () => ({ ...stats }),
  };
}
