// Per-device sequence accounting: every device counts +1 per message, so a jump is a gap (messages
// lost before the ingest) and a late arrival inside a gap fills it. Duplicates are counted by the
// store itself (its unique key is the final word); this tracker only counts what is missing.
// A jump no real loss explains (forward beyond `maxJump`, or far backward) is a counter reset:
// counted as one, never as millions of lost readings, so one message with seq 2^53-1 cannot
// poison the loss figure. A message the ingest rejected still arrived: the caller notes its seq
// too, so a rejection is counted as a rejection, not also as a gap.

export interface SeqStats {
  /** Sequence numbers skipped and not (yet) filled. */
  gaps: number;
  /** Late arrivals that filled an earlier gap. */
  filled: number;
  /** Jumps beyond the sane window (forward over `maxJump`, backward over `resetThreshold`): a device that lost its counter, or a broken one. */
  resets: number;
}

export interface SeqTracker {
  /** Notes one message's seq. */
  observe(device: string, seq: number): void;
  /** Starting point after a restart: the highest seq already stored per device. */
  seed(maxSeq: Readonly<Record<string, number>>): void;
  stats(): SeqStats;
  /** Missing seqs still open for one device (bounded), for diagnostics and tests. */
  missing(device: string): number[];
}

export interface SeqTrackerOptions {
  /** Missing seqs remembered per device so late arrivals can fill them; default 1024. */
  maxMissingPerDevice?: number;
  /** A backward jump larger than this is a counter reset, not a late arrival; default 10 000. */
  resetThreshold?: number;
  /** A forward jump skipping more than this many seqs is a counter reset, not a loss; default 100 000. */
  maxJump?: number;
}

interface DeviceSeq {
  last: number;
  missing: Set<number>;
}

export function createSeqTracker(opts: SeqTrackerOptions = {}): SeqTracker {
  const maxMissing = opts.maxMissingPerDevice ?? 1024;
  const resetThreshold = opts.resetThreshold ?? 10_000;
  const maxJump = opts.maxJump ?? 100_000;
  const devices = new Map<string, DeviceSeq>();
  const stats: SeqStats = { gaps: 0, filled: 0, resets: 0 };

  return {
    observe(device, seq) {
      const d = devices.get(device);
      if (!d) {
        devices.set(device, { last: seq, missing: new Set() });
        return;
      }
      if (seq === d.last + 1) {
        d.last = seq;
        return;
      }
      if (seq > d.last) {
        const skipped = seq - d.last - 1;
        if (skipped > maxJump) {
          stats.resets++;
          d.last = seq;
          d.missing.clear();
          return;
        }
        stats.gaps += skipped;
        for (let s = d.last + 1; s < seq && d.missing.size < maxMissing; s++) d.missing.add(s);
        d.last = seq;
        return;
      }
      if (d.missing.delete(seq)) {
        stats.gaps--;
        stats.filled++;
        return;
      }
      if (d.last - seq > resetThreshold) {
        stats.resets++;
        d.last = seq;
        d.missing.clear();
      }
      // Otherwise a duplicate: the store's unique key counts it.
    },
    seed(maxSeq) {
      for (const [device, seq] of Object.entries(maxSeq)) {
        const d = devices.get(device);
        if (!d || d.last < seq) devices.set(device, { last: seq, missing: d?.missing ?? new Set() });
      }
    },
    stats: () => ({ ...stats }),
    missing: (device) => [...(devices.get(device)?.missing ?? [])].sort((a, b) => a - b),
  };
}
