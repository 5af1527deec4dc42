// InfluxDB cannot say whether a point was new: a redelivered reading simply overwrites its own
// earlier point (same measurement, tags and time). To keep the ingest's duplicate count meaningful
// the store remembers the last keys it wrote per device and reports redeliveries among them.
// Advisory only: correctness (exactly once in the store) comes from the point identity.
import type { Reading } from './types.ts';

export interface RecentKeys {
  /** Indexes of readings already written (or repeated earlier in the same batch). */
  duplicates(batch: readonly Reading[]): number[];
  /** Remembers a written batch. */
  remember(batch: readonly Reading[]): void;
}

/**
 * The store's identity of a reading within its device, as a number: seq and channel (a will
 * repeats its session's seq with another state, so status keeps online and offline apart).
 */
export function readingKey(r: Reading): number {
  const slot = r.channel === 'telemetry' ? 0 : r.channel === 'event' ? 1 : r.values.state === 'offline' ? 3 : 2;
  return r.seq * 4 + slot;
}

export function createRecentKeys(perDevice = 2048): RecentKeys {
  const byDevice = new Map<string, Set<number>>();
  return {
    duplicates(batch) {
      const out: number[] = [];
      const inBatch = new Map<string, Set<number>>();
      batch.forEach((r, i) => {
        const k = readingKey(r);
        let seen = inBatch.get(r.device);
        if (!seen) inBatch.set(r.device, (seen = new Set()));
        if (byDevice.get(r.device)?.has(k) || seen.has(k)) out.push(i);
        seen.add(k);
      });
      return out;
    },
    remember(batch) {
      for (const r of batch) {
        let keys = byDevice.get(r.device);
        if (!keys) byDevice.set(r.device, (keys = new Set()));
        keys.add(readingKey(r));
        // A Set iterates in insertion order: drop the oldest.
        if (keys.size > perDevice) keys.delete(keys.values().next().value!);
      }
    },
  };
}
