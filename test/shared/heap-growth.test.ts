// The broker's heap bound: on while the event loop has time to spare, off (V8's own growth) once it
// has been busy for a while, back on when it calms down. Utilisation is driven to ~0 and ~1, far from both thresholds.
import { afterEach, describe, expect, it } from 'vitest';
import { startHeapGrowth, type HeapGrowth } from '../../shared/heap-growth.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Keeps the event loop ~100% busy for `ms`, yielding briefly so timers still run. */
async function busy(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const slice = Date.now() + 40;
    while (Date.now() < slice);
    await new Promise((r) => setImmediate(r));
  }
}

describe('heap growth bound', () => {
  let growth: HeapGrowth | undefined;
  afterEach(() => growth?.close());

  it('bounds the old generation while idle, lets V8 size it while busy, and bounds it again after', async () => {
    const changes: boolean[] = [];
    growth = startHeapGrowth({ percent: 30, intervalMs: 50, busyChecks: 8, idleChecks: 4, onChange: (b) => changes.push(b) });
    expect(growth.bounded()).toBe(true);
    // A burst shorter than the busy checks keeps the bound (a connect storm), even one longer than
    // the idle checks: lifting it takes a longer overload than restoring it.
    await busy(300);
    expect(growth.bounded()).toBe(true);
    await sleep(150);
    await busy(1200);
    expect(growth.bounded()).toBe(false);
    await sleep(600);
    expect(growth.bounded()).toBe(true);
    expect(changes).toEqual([true, false, true]);
  });

  it('0 never bounds it', async () => {
    const changes: boolean[] = [];
    growth = startHeapGrowth({ percent: 0, intervalMs: 100, onChange: (b) => changes.push(b) });
    await sleep(250);
    expect(growth.bounded()).toBe(false);
    expect(changes).toEqual([]);
  });

  it('close gives V8 its own factor back', () => {
    growth = startHeapGrowth({ percent: 30, intervalMs: 100 });
    growth.close();
    expect(growth.bounded()).toBe(false);
    growth = undefined;
  });
});
