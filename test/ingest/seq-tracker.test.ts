import { describe, expect, it } from 'vitest';
import { createSeqTracker } from '../../ingest/seq-tracker.ts';

describe('seq tracker', () => {
  it('counts skipped seqs as gaps and late arrivals as fills', () => {
    const t = createSeqTracker();
    for (const s of [1, 2, 3, 6, 7]) t.observe('cam-001', s);
    expect(t.stats().gaps).toBe(2);
    expect(t.missing('cam-001')).toEqual([4, 5]);
    t.observe('cam-001', 5);
    expect(t.stats()).toEqual({ gaps: 1, filled: 1, resets: 0 });
    t.observe('cam-001', 5); // a duplicate: not a fill, not a gap
    expect(t.stats()).toEqual({ gaps: 1, filled: 1, resets: 0 });
  });

  it('keeps devices apart', () => {
    const t = createSeqTracker();
    t.observe('a', 1);
    t.observe('b', 10);
    t.observe('a', 2);
    t.observe('b', 11);
    expect(t.stats().gaps).toBe(0);
  });

  it('resumes from the store after a restart', () => {
    const t = createSeqTracker();
    t.seed({ 'cam-001': 100 });
    t.observe('cam-001', 101);
    t.observe('cam-001', 103);
    expect(t.stats().gaps).toBe(1);
  });

  it('treats a large backward jump as a counter reset', () => {
    const t = createSeqTracker({ resetThreshold: 50 });
    t.observe('m', 1000);
    t.observe('m', 1);
    t.observe('m', 2);
    expect(t.stats()).toEqual({ gaps: 0, filled: 0, resets: 1 });
  });

  it('counts a jump beyond the sane window as a reset, not as lost readings, and the way back too', () => {
    const t = createSeqTracker();
    t.observe('m', 100);
    t.observe('m', Number.MAX_SAFE_INTEGER); // a broken or hostile seq
    t.observe('m', 101); // the device's own counter again
    t.observe('m', 102);
    expect(t.stats()).toEqual({ gaps: 0, filled: 0, resets: 2 });
    t.observe('m', 100_000 + 103); // exactly the window: still a loss
    expect(t.stats().gaps).toBe(100_000);
  });

  it('bounds what it remembers per device', () => {
    const t = createSeqTracker({ maxMissingPerDevice: 10 });
    t.observe('m', 1);
    t.observe('m', 50_000);
    expect(t.stats().gaps).toBe(49_998);
    expect(t.missing('m').length).toBe(10);
  });
});
