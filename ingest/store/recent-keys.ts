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

/** The store's identity of a reading: a will repeats its session's seq with another state. */
export function readingKey(r: Reading): string {
  return r.channel === 'status' ? `${r.channel}:${r.seq}:${String(r.values.state)}` : `${r.channel}:${r.seq}`;
}

export function createRecentKeys(perDevice = 2048): RecentKeys {
  const byDevice = new Map<string, Set<string>>();
  return {
    duplicates(batch) {
      const out: number[] = [];
      const inBatch = new Set<string>();
      batch.forEach((r, i) => {
        const key = `${r.device}|${readingKey(r)}`;
        if (byDevice.get(r.device)?.has(readingKey(r)) || inBatch.has(key)) out.push(i);
        inBatch.add(key);
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
