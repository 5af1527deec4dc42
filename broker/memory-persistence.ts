// Aedes's in-memory persistence with the outgoing QoS 1 queues indexed.
//
// aedes-persistence 11 keeps each client's unacknowledged outgoing messages in an array and finds
// one by scanning it: every delivery (outgoingUpdate) and every PUBACK (outgoingClearMessageId)
// walks the queue. The ingest holds its PUBACKs until readings are durable (ingest/deferred-ack.ts),
// so its queue holds thousands of messages, and the scans made routing quadratic: in the end-to-end
// benchmark the broker spent 66% of its CPU there and reached ~3k msg/s. Here each client's queue is
// an insertion-ordered Map with indexes by (brokerId, brokerCounter) and by messageId, so both
// operations are O(1) and the order a reconnecting client is replayed in stays the same.
// Everything else (subscriptions, retained, wills, incoming QoS 2) is aedes-persistence's own.
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { MessageIndex } from './message-ids.ts';

const require = createRequire(import.meta.url);
// The class itself (the package's default export wraps it in a callback adapter Aedes 1 does not need).
const AsyncPersistence = require('aedes-persistence/asyncPersistence.js') as new (opts?: object) => object;
const Packet = require('aedes-packet') as new (packet: object) => OutgoingPacket;

interface OutgoingPacket {
  brokerId: string;
  brokerCounter: number;
  messageId?: number;
  [k: string]: unknown;
}

interface Client {
  id: string;
}

class OutgoingQueue {
  private next = 0;
  readonly entries = new Map<number, OutgoingPacket>();
  private readonly byBroker = new MessageIndex<number>();
  private readonly byMessageId = new Map<number, number[]>();

  private indexMessageId(messageId: number | undefined, key: number): void {
    if (messageId === undefined) return;
    const keys = this.byMessageId.get(messageId);
    if (keys) keys.push(key);
    else this.byMessageId.set(messageId, [key]);
  }

  private unindexMessageId(messageId: number | undefined, key: number): void {
    if (messageId === undefined) return;
    const keys = this.byMessageId.get(messageId);
    if (!keys) return;
    const at = keys.indexOf(key);
    if (at >= 0) keys.splice(at, 1);
    if (keys.length === 0) this.byMessageId.delete(messageId);
  }

  /** The live entry with this messageId that came first (as the array scan found it). */
  private firstByMessageId(messageId: number | undefined, filter?: (p: OutgoingPacket) => boolean): number | undefined {
    if (messageId === undefined) return undefined;
    for (const key of this.byMessageId.get(messageId) ?? []) {
      const p = this.entries.get(key);
      if (p && (!filter || filter(p))) return key;
    }
    return undefined;
  }

  enqueue(packet: OutgoingPacket): void {
    const key = this.next++;
    this.entries.set(key, packet);
    this.byBroker.set(packet.brokerId, packet.brokerCounter, key);
    this.indexMessageId(packet.messageId, key);
  }

  /** Same contract as aedes-persistence's outgoingUpdate. */
  update(packet: OutgoingPacket): void {
    const key = this.byBroker.get(packet.brokerId, packet.brokerCounter);
    const hit = key === undefined ? undefined : this.entries.get(key);
    if (key !== undefined && hit) {
      this.unindexMessageId(hit.messageId, key);
      hit.messageId = packet.messageId;
      this.indexMessageId(hit.messageId, key);
      return;
    }
    // A packet of another broker id (a restart) with the same messageId is replaced (e.g. by PUBREL).
    const other = this.firstByMessageId(packet.messageId, (p) => p.brokerId !== packet.brokerId);
    if (other !== undefined) {
      const old = this.entries.get(other)!;
      this.byBroker.delete(old.brokerId, old.brokerCounter);
      this.entries.set(other, packet);
      this.byBroker.set(packet.brokerId, packet.brokerCounter, other);
      return;
    }
    throw new Error('no such packet');
  }

  clear(messageId: number | undefined): OutgoingPacket | undefined {
    const key = this.firstByMessageId(messageId);
    if (key === undefined) return undefined;
    const p = this.entries.get(key)!;
    this.entries.delete(key);
    this.byBroker.delete(p.brokerId, p.brokerCounter);
    this.unindexMessageId(p.messageId, key);
    return p;
  }
}

export function createMemoryPersistence(): object {
  const queues = new Map<string, OutgoingQueue>();
  const queueOf = (id: string): OutgoingQueue => {
    let q = queues.get(id);
    if (!q) {
      q = new OutgoingQueue();
      queues.set(id, q);
    }
    return q;
  };
  const persistence = new AsyncPersistence() as Record<string, unknown>;
  Object.assign(persistence, {
    async outgoingEnqueue(sub: { clientId: string }, packet: object) {
      queueOf(sub.clientId).enqueue(new Packet(packet));
    },
    async outgoingEnqueueCombi(subs: { clientId: string }[], packet: object) {
      for (const sub of subs) queueOf(sub.clientId).enqueue(new Packet(packet));
    },
    async outgoingUpdate(client: Client, packet: OutgoingPacket) {
      queueOf(client.id).update(packet);
    },
    async outgoingClearMessageId(client: Client, packet: { messageId?: number }) {
      return queueOf(client.id).clear(packet.messageId);
    },
    outgoingStream(client: Client) {
      // A snapshot, as the original: the queue may change while the stream is read.
      return Readable.from([...(queues.get(client.id)?.entries.values() ?? [])]);
    },
  });
  return persistence;
}
