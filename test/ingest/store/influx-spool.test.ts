// The on-disk spool with real files: order, sealing, restarts and torn appends.
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSpool, parseSegment } from '../../../ingest/store/influx-spool.ts';

describe('spool', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function drainAll(s: ReturnType<typeof openSpool>): Promise<string[]> {
    const out: string[] = [];
    for (let seg = await s.oldest(); seg; seg = await s.oldest()) {
      out.push(...(await s.read(seg)).lines);
      await s.remove(seg);
    }
    return out;
  }

  it('gives back every appended line in order, across segments, and is empty after', async () => {
    const s = openSpool({ dir, maxSegmentBytes: 200 });
    const lines = Array.from({ length: 50 }, (_, i) => `m,device=d v=${i} ${i}`);
    for (let i = 0; i < lines.length; i += 7) await s.append(lines.slice(i, i + 7));
    expect(s.stats().segments).toBeGreaterThan(2);
    expect(await drainAll(s)).toEqual(lines);
    expect(s.empty).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    await s.close();
  });

  it('seals the segment being written before it is replayed; later appends go to a new one', async () => {
    const s = openSpool({ dir });
    await s.append(['a 1']);
    const first = (await s.oldest())!;
    await s.append(['b 2']);
    expect((await s.read(first)).lines).toEqual(['a 1']);
    await s.remove(first);
    expect(await drainAll(s)).toEqual(['b 2']);
    await s.close();
  });

  it('keeps its segments across a restart and never appends to an old one', async () => {
    const a = openSpool({ dir });
    await a.append(['a 1', 'a 2']);
    // no close: the process died
    const b = openSpool({ dir });
    expect(b.empty).toBe(false);
    await b.append(['b 1']);
    expect(b.stats().segments).toBe(2);
    expect(await drainAll(b)).toEqual(['a 1', 'a 2', 'b 1']);
    await b.close();
  });

  it('skips a record whose append never completed (it was never acknowledged)', async () => {
    const a = openSpool({ dir });
    await a.append(['a 1']);
    await a.close();
    const file = join(dir, readdirSync(dir)[0]!);
    appendFileSync(file, 'torn 1\ntorn 2\ntor'); // a crash half-way through an append
    const b = openSpool({ dir });
    const seg = (await b.oldest())!;
    expect(await b.read(seg)).toEqual({ lines: ['a 1'], torn: 3 });
    await b.close();
  });

  it('parses a failed append followed by a good one as the good one only', () => {
    expect(parseSegment('x 1\n#commit 1\nhalf 1\nhalf 2\ny 1\ny 2\n#commit 2\n')).toEqual({ lines: ['x 1', 'y 1', 'y 2'], torn: 2 });
  });
});
