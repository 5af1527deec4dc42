// What the embedded store writes to disk for what it stores: readings of 1,000 meters interleaved,
// in 150-row commits (the batches the ingest makes at 10k msg/s). Each commit touches one
// (device_id, seq) index page per meter it holds, so the WAL repeats the same pages; the store's
// checkpoint interval decides how often each page is written back (ingest/store/sqlite-worker.ts).
// Bytes come from Linux's /proc/self/io, which counts the store's worker thread with this process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesWritten } from '../../../bench/lib/processes.ts';
import { createSqliteStore } from '../../../ingest/store/sqlite-store.ts';
import type { Reading } from '../../../ingest/store/types.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { loadParkModel } from '../../../shared/park-model.ts';

const dir = mkdtempSync(join(tmpdir(), 'parkpulse-store-writes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const METERS = 1000;
const BATCH = 150;
const ROWS = 30_000;
/** Rows written first, in large commits: a store holding 300 readings per meter, so each meter's index entries fill pages of their own, as in a store that has run for a while. */
const WARM = 300_000;

function batch(from: number, size = BATCH): Reading[] {
  const rows: Reading[] = [];
  for (let i = from; i < from + size; i++) {
    // Meters in an order unrelated to their ids, as devices' messages arrive.
    const m = (i * 7919) % METERS;
    const ts = 1_719_700_000_000 + i * 0.1;
    rows.push({
      device: `mtr-load-${String(m).padStart(4, '0')}`, kind: 'meter', channel: 'telemetry', seq: Math.floor(i / METERS) + 1,
      ts: Math.floor(ts), receivedAt: Math.floor(ts) + 5, enterprise: null, zone: 'mfg',
      values: { kw: 80 + (i % 40), kwh: 10_000 + i / 1000, voltage: 400.2, current: 120.5, powerFactor: 0.93 },
    });
  }
  return rows;
}

const hasIoCounters = bytesWritten('self') !== null;
if (!hasIoCounters) process.stdout.write('sqlite-store-writes: skipped, no /proc/self/io (not Linux): bytes written cannot be counted\n');

describe('SQLite store disk writes', () => {
  it.skipIf(!hasIoCounters)('stores 30,000 interleaved readings of 1,000 meters with under 6.5 KB written per reading', async () => {
    const store = await createSqliteStore({ path: join(dir, 'writes.db'), model: loadParkModel(), logger: silentLogger() });
    for (let i = 0; i < WARM; i += 5000) await store.write(batch(i, 5000));
    const before = bytesWritten('self')!;
    let inserted = 0;
    for (let i = WARM; i < WARM + ROWS; i += BATCH) inserted += (await store.write(batch(i))).inserted;
    const perRow = (bytesWritten('self')! - before) / ROWS;
    process.stdout.write(`store writes: ${Math.round(perRow)} bytes written per reading (${ROWS} readings, ${METERS} meters, ${BATCH} per commit)\n`);
    await store.close();
    expect(inserted).toBe(ROWS);
    // With SQLite's default checkpoint (every 1,000 WAL pages) this load wrote 8.5 KB per reading,
    // with the store's 10,000 5.1 KB (docs/facts.md, "A checkpoint writes a page once").
    expect(perRow).toBeLessThan(6500);
  });
});
