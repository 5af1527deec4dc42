// Routing a QoS 1 message from authorizePublish, ahead of Aedes's own routing.
//
// Aedes 1.2 calls authorizePublish, writes the PUBACK once its `done` is called, and only then
// routes the packet (lib/handlers/publish.js). Both ways this broker acknowledges later than that
// (durable-delivery.ts: once on disk; ack-chain.ts: once the ingest stored it) route the message
// themselves from authorizePublish, so the publish Aedes attempts afterwards for the very same
// packet object must be skipped, or every subscriber would get it twice. This wraps Aedes's
// `publish` once per user and keeps the set of packets already routed.
//
// Wraps an Aedes internal (`publish`): aedes is pinned exactly, and test/broker/ack-chain.test.ts
// and test/broker/durable-delivery.test.ts count each delivery.
import type { Aedes, Client, PublishPacket } from 'aedes';

export type Done = (err?: Error | null) => void;
export type PublishFn = (packet: PublishPacket, client?: Client | null | Done, done?: Done) => void;

export interface RoutedPublish {
  /** Aedes's own publish, bound to it: routes the packet now (persisting it for offline sessions). */
  publish: PublishFn;
  /** Marks a packet routed here: Aedes's publish of the same object after the PUBACK is skipped. */
  markRouted(packet: PublishPacket): void;
}

export function skipRoutedRepublish(aedes: Aedes): RoutedPublish {
  const broker = aedes as unknown as { publish: PublishFn };
  const publish: PublishFn = broker.publish.bind(aedes);
  const routed = new WeakSet<object>();
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
  return { publish, markRouted: (packet) => void routed.add(packet) };
}
