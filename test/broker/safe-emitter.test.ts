// Aedes's message bus under overload: a long queue drained by deliveries that complete at once
// overflows the stack in mqemitter 7.1 (the crash docs/facts.md reports for Aedes 1.2 under QoS 0
// overload); the safe emitter drains the same queue completely, in order.
import MQEmitter from 'mqemitter';
import { describe, expect, it } from 'vitest';
import { createSafeEmitter } from '../../broker/safe-emitter.ts';

const QUEUED = 30_000;

/** One delivery held open until `release`, then QUEUED more that complete synchronously. */
function overload(mq: ReturnType<typeof MQEmitter>): { release: () => void; seen: number[] } {
  const seen: number[] = [];
  let held: (() => void) | null = null;
  mq.on('meter/+', (msg, cb) => {
    const n = (msg as unknown as { n: number }).n;
    seen.push(n);
    if (n === 0) held = cb;
    else cb();
  });
  return {
    seen,
    release: () => {
      for (let n = 0; n <= QUEUED; n++) mq.emit({ topic: `meter/${n % 7}`, n });
      held!();
    },
  };
}

describe('safe emitter', () => {
  it('reproduces the overflow with the plain mqemitter', async () => {
    const mq = MQEmitter({ concurrency: 1 });
    const run = overload(mq);
    await new Promise((r) => setImmediate(r)); // the subscription is registered on the next turn
    expect(run.release).toThrow(RangeError);
  });

  it('delivers every queued message, in order, without overflowing', async () => {
    const mq = createSafeEmitter({ concurrency: 1 });
    const run = overload(mq);
    await new Promise((r) => setImmediate(r));
    expect(run.release).not.toThrow();
    const deadline = Date.now() + 20_000;
    while (run.seen.length < QUEUED + 1 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(run.seen.length).toBe(QUEUED + 1);
    expect(run.seen.every((n, i) => n === i)).toBe(true);
  });

  it('keeps order for messages emitted while a deferred one waits', async () => {
    const mq = createSafeEmitter({ concurrency: 2, maxDepth: 4 });
    const run = overload(mq);
    await new Promise((r) => setImmediate(r));
    run.release();
    for (let n = QUEUED + 1; n <= QUEUED + 100; n++) mq.emit({ topic: 'meter/1', n });
    const deadline = Date.now() + 20_000;
    while (run.seen.length < QUEUED + 101 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(run.seen.length).toBe(QUEUED + 101);
    expect(run.seen.every((n, i) => n === i)).toBe(true);
  });
});
