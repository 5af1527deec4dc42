// The durable mode's LevelDB wrapper on a real LevelDB: writes of one turn go as one batch, reads
// see only what is written, deletes and range clears are never answered from memory, and results
// of the wrapped persistence calls come back in call order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coalesceWrites, inCallOrder } from '../../broker/durable-persistence.ts';

describe('durable persistence LevelDB wrapper', () => {
  let dir: string;
  let db: Level<string, Buffer>;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-level-'));
    db = new Level<string, Buffer>(dir);
    await db.open();
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const buf = (s: string): Buffer => Buffer.from(s);
  const enc = { valueEncoding: 'buffer' } as const;

  it('writes the puts and deletes of one turn as one batch, each settling once written', async () => {
    const raw = db.batch.bind(db);
    let batches = 0;
    (db as unknown as { batch: unknown }).batch = (...a: unknown[]) => {
      if (a.length > 0) batches++;
      return (raw as (...x: unknown[]) => unknown)(...a);
    };
    const w = coalesceWrites(db);
    await Promise.all([db.put('a', buf('1'), enc), db.put('b', buf('2'), enc), db.del('nothing'), db.batch([{ type: 'put', key: 'c', value: buf('3') }], enc)]);
    expect(batches).toBe(1);
    await w.settled();
    // on disk, not only in memory: a second handle after close sees them
    await db.close();
    const again = new Level<string, Buffer>(dir);
    expect((await again.get('b', enc))?.toString()).toBe('2');
    expect((await again.get('c', enc))?.toString()).toBe('3');
    await again.close();
    await db.open();
  });

  it('answers reads of written values, never of deleted or cleared ones', async () => {
    coalesceWrites(db);
    await db.put('outgoing:x:1', buf('p1'), enc);
    expect((await db.get('outgoing:x:1', enc))?.toString()).toBe('p1');
    const chained = db.batch();
    chained.del('outgoing:x:1');
    await chained.write();
    expect(await db.get('outgoing:x:1', enc)).toBeUndefined();
    await db.put('incoming:c:0001', buf('q'), enc);
    await db.put('incoming:d:0001', buf('r'), enc);
    await db.clear({ gte: 'incoming:c:', lt: 'incoming:c;' });
    expect(await db.get('incoming:c:0001', enc)).toBeUndefined();
    expect((await db.get('incoming:d:0001', enc))?.toString()).toBe('r');
  });

  it('delivers results in call order although the work finishes out of order', async () => {
    const slowFirst = inCallOrder(async (ms: number, v: string) => {
      await sleep(ms);
      return v;
    });
    const order: string[] = [];
    await Promise.all([slowFirst(60, 'a').then((v) => order.push(v)), slowFirst(1, 'b').then((v) => order.push(v)), slowFirst(20, 'c').then((v) => order.push(v))]);
    expect(order).toEqual(['a', 'b', 'c']);
    // a failure is its caller's alone
    const f = inCallOrder(async (fail: boolean) => {
      if (fail) throw new Error('x');
      return 1;
    });
    await expect(f(true)).rejects.toThrow('x');
    await expect(f(false)).resolves.toBe(1);
  });

  it('a call that fails while an earlier one is pending is no unhandled rejection (the broker would crash)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const f = inCallOrder(async (ms: number, fail: boolean) => {
        await sleep(ms);
        if (fail) throw new Error('no such packet');
        return ms;
      });
      const slow = f(80, false);
      const failing = f(1, true);
      await sleep(40); // the failure has settled, the earlier call not yet
      await expect(slow).resolves.toBe(80);
      await expect(failing).rejects.toThrow('no such packet');
      await sleep(10);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
