// Two corrections to Aedes 1.2 that make the durable mode deliver every QoS 1 message, live.
// Both wrap Aedes internals, so aedes is pinned exactly; test/broker/durable-delivery.test.ts
// reproduces each upstream behaviour with a plain Aedes and shows the corrected broker free of it.
//
// 1. Acknowledge after routing. Aedes writes the PUBACK of an incoming QoS 1 message *before* it
//    routes and persists it (lib/handlers/publish.js), so a crash in between loses a message the
//    device was told is safe. In durable mode the broker's authorizePublish routes it itself
//    (persisting it to the queues of offline sessions) and only then lets Aedes go on to write
//    the PUBACK; the publish Aedes then attempts for the same packet object is skipped.
//
// 2. Exact duplicate filter. Aedes drops a message for a client when its broker counter is not
//    above the highest counter that client has seen (lib/client.js `dedupe`). With a disk
//    persistence, messages reach the client out of counter order (a retained message waits for
//    its own disk write, a later one does not), so 3-6% of live QoS 1 messages were dropped and
//    sat in the offline queue until the next reconnect (docs/facts.md). The filter exists against the
//    same message arriving twice (overlapping subscriptions); here it remembers the message ids
//    (broker id + counter) each client recently got and drops only a true repeat.
import type { Aedes, Client, PublishPacket } from 'aedes';
import { RecentMessages } from './message-ids.ts';
import { skipRoutedRepublish, type Done } from './routed-publish.ts';

type Deliver = (packet: DeliveredPacket, cb: () => void) => void;
interface DeliveredPacket {
  qos: number;
  brokerId?: string | null;
  brokerCounter?: number;
}
interface ClientInternals {
  deliverQoS: Deliver;
  deliver0: Deliver;
  duplicates: Record<string, number>;
}

/** Messages remembered per client for the duplicate filter. */
const RECENT_PER_CLIENT = 4096;

export interface DurableDelivery {
  /** From authorizePublish, once allowed: routes a client's QoS 1 message, then calls `done`. */
  routeBeforeAck(client: Client, packet: PublishPacket, done: Done): void;
  /** Replaces the client's duplicate filter (call right after Aedes creates the client). */
  guardClient(client: Client): void;
}

export function enableDurableDelivery(aedes: Aedes): DurableDelivery {
  // Routed (and persisted) here first; Aedes's own routing after the PUBACK is skipped.
  const { publish, markRouted } = skipRoutedRepublish(aedes);

  return {
    routeBeforeAck(client, packet, done) {
      publish(packet, client, (err) => {
        if (err) return done(err); // no PUBACK: the device sends it again
        markRouted(packet);
        done(null);
      });
    },

    guardClient: guardDuplicates,
  };
}

/**
 * Replaces a client's duplicate filter (call right after Aedes creates the client): drops only a
 * message the client got already (same broker id and counter), never one that arrives out of
 * counter order. Used in every mode where a lost delivery matters (see correction 2 above).
 */
export function guardDuplicates(client: Client): void {
  const c = client as unknown as ClientInternals;
  const deliverQoS = c.deliverQoS;
  const deliver0 = c.deliver0;
  const recent = new RecentMessages(RECENT_PER_CLIENT);
  const admit = (packet: DeliveredPacket): boolean => {
    if (!packet.brokerId) return true; // retained on subscribe: never filtered (Aedes neither)
    if (!recent.add(packet.brokerId, packet.brokerCounter ?? -1)) return false;
    // Aedes' own counter check then always passes.
    delete c.duplicates[packet.brokerId];
    return true;
  };
  c.deliver0 = (packet, cb) => (admit(packet) ? deliver0(packet, cb) : setImmediate(cb));
  c.deliverQoS = (packet, cb) => {
    // A QoS 0 delivery goes on to (the wrapped) deliver0, which filters it.
    if (packet.qos === 0) return deliverQoS(packet, cb);
    return admit(packet) ? deliverQoS(packet, cb) : setImmediate(cb);
  };
}
