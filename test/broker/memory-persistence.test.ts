// The indexed outgoing queues against aedes-persistence's own, operation for operation: the same
// random mix of enqueues, messageId updates, PUBACK clears and replays gives the same queues.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createMemoryPersistence } from '../../broker/memory-persistence.ts';
import { createRng } from '../../simulators/profiles.ts';

const require = createRequire(import.meta.url);
const Original = require('aedes-persistence/asyncPersistence.js') as new () => Persistence;

interface Persistence {
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: object): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: object): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId: number }): Promise<unknown>;
  outgoingStream(client: { id: string }): AsyncIterable<{ brokerCounter: number; messageId?: number; topic?: string }>;
}

async function drain(p: Persistence, id: string): Promise<string[]> {
  const out: string[] = [];
  for await (const pkt of p.outgoingStream({ id })) out.push(`${pkt.brokerCounter}:${pkt.messageId ?? '-'}:${pkt.topic}`);
  return out;
}

describe('indexed memory persistence', () => {
  it('keeps exactly the outgoing queues aedes-persistence keeps', async () => {
    const rng = createRng(7);
    const ours = createMemoryPersistence() as unknown as Persistence;
    const theirs = new Original();
    const clients = ['svc-ingest', 'svc-screen-1'];
    const inflight: Record<string, { counter: number; messageId: number }[]> = { 'svc-ingest': [], 'svc-screen-1': [] };
    let counter = 0;
    let nextId = 0;
    for (let step = 0; step < 20_000; step++) {
      const r = rng();
      const client = clients[rng() < 0.7 ? 0 : 1]!;
      if (r < 0.4) {
        counter++;
        const packet = { cmd: 'publish', topic: `t/${counter % 13}`, payload: Buffer.from('x'), qos: 1, brokerId: 'b1', brokerCounter: counter, retain: false, dup: false, messageId: undefined };
        await ours.outgoingEnqueueCombi([{ clientId: client }], packet);
        await theirs.outgoingEnqueueCombi([{ clientId: client }], packet);
        // Delivered: it gets a messageId.
        nextId = (nextId % 65535) + 1;
        const update = { ...packet, messageId: nextId };
        await ours.outgoingUpdate({ id: client }, update);
        await theirs.outgoingUpdate({ id: client }, update);
        inflight[client]!.push({ counter, messageId: nextId });
      } else if (r < 0.75 && inflight[client]!.length > 0) {
        // A PUBACK, mostly in order, sometimes out of order.
        const i = rng() < 0.8 ? 0 : Math.floor(rng() * inflight[client]!.length);
        const { messageId } = inflight[client]!.splice(i, 1)[0]!;
        const a = (await ours.outgoingClearMessageId({ id: client }, { messageId })) as { brokerCounter: number } | undefined;
        const b = (await theirs.outgoingClearMessageId({ id: client }, { messageId })) as { brokerCounter: number } | undefined;
        expect(a?.brokerCounter).toBe(b?.brokerCounter);
      } else if (r < 0.78) {
        // A PUBACK for something not (or no longer) there.
        const a = await ours.outgoingClearMessageId({ id: client }, { messageId: 70_000 });
        const b = await theirs.outgoingClearMessageId({ id: client }, { messageId: 70_000 });
        expect(a).toBe(b);
      }
    }
    for (const c of clients) expect(await drain(ours, c)).toEqual(await drain(theirs, c));
    expect((await drain(ours, 'svc-ingest')).length).toBeGreaterThan(100);
  });

  it('refuses to update a packet it never held, as the original', async () => {
    const ours = createMemoryPersistence() as unknown as Persistence;
    await expect(ours.outgoingUpdate({ id: 'x' }, { brokerId: 'b', brokerCounter: 1, messageId: 5 })).rejects.toThrow('no such packet');
  });
});
