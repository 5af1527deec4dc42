import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../ingest/batcher.ts';
import type { Reading } from '../../ingest/store/types.ts';
import { silentLogger } from '../../shared/logger.ts';

const reading = (seq: number): Reading => ({ device: 'm', kind: 'meter', channel: 'telemetry', seq, ts: 1, receivedAt: 1, enterprise: null, zone: 'z', values: {} });

describe('batcher', () => {
  it('groups readings into batches of at most maxRows, committed in order', async () => {
    const batches: number[][] = [];
    const b = createBatcher({
      logger: silentLogger(), maxRows: 3, flushIntervalMs: 10_000,
      write: async (rows) => {
        batches.push(rows.map((r) => r.seq));
        return { inserted: rows.length, duplicates: [] };
      },
      onCommitted: () => {},
    });
    const done = [1, 2, 3, 4, 5, 6, 7].map((s) => b.add(reading(s)));
    // 7 came while a write was running: it goes as soon as that write returns (group commit), not
    // after the 10 s timer.
    await Promise.all(done);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(b.pending).toBe(0);
  });

  it('gathers readings into one transaction while a write runs (group commit)', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const b = createBatcher({
      logger: silentLogger(), maxRows: 1000, flushIntervalMs: 5,
      write: async (rows) => {
        batches.push(rows.map((r) => r.seq));
        if (batches.length === 1) await slow;
        return { inserted: rows.length, duplicates: [] };
      },
      onCommitted: () => {},
    });
    const first = b.add(reading(1));
    await new Promise((r) => setTimeout(r, 20)); // the first batch is being written
    const rest = [2, 3, 4, 5].map((s) => b.add(reading(s)));
    await new Promise((r) => setTimeout(r, 30)); // several flush intervals pass meanwhile
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('commits a partial batch after flushIntervalMs', async () => {
    let written = 0;
    const b = createBatcher({ logger: silentLogger(), maxRows: 1000, flushIntervalMs: 20, write: async (rows) => ((written += rows.length), { inserted: rows.length, duplicates: [] }), onCommitted: () => {} });
    await b.add(reading(1));
    expect(written).toBe(1);
  });

  it('retries a failed write and never resolves a reading before its batch is stored', async () => {
    let attempts = 0;
    const b = createBatcher({
      logger: silentLogger(), maxRows: 10, flushIntervalMs: 5, retryMinMs: 5,
      write: async (rows) => {
        attempts++;
        if (attempts < 3) throw new Error('disk full');
        return { inserted: rows.length, duplicates: [] };
      },
      onCommitted: () => {},
    });
    let resolved = false;
    const p = b.add(reading(1)).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 8));
    expect(resolved).toBe(false);
    await p;
    expect(attempts).toBe(3);
    expect(b.failures).toBe(2);
  });
});
