// Every reading a SQLite store holds, read straight from the file (better-sqlite3, read-only), as
// comparable records: the store interface has no "everything" query, and a test comparing two
// stores row by row should not need one.
import Database from 'better-sqlite3';
import { STATUS_TABLE, TABLES } from '../../ingest/store/sqlite-schema.ts';
import type { Reading } from '../../ingest/store/types.ts';

export interface StoredRow {
  /** `${channel}:${device}:${seq}` (+ `:${state}` for statuses: a will shares its session's seq). */
  key: string;
  device: string;
  channel: string;
  seq: number;
  ts: number;
  receivedAt: number;
  /** Fields by reading name; booleans as 1/0, absent as null (as stored). */
  values: Record<string, number | string | null>;
}

const keyOf = (channel: string, device: string, seq: number, state?: unknown): string =>
  `${channel}:${device}:${seq}${channel === 'status' ? `:${String(state)}` : ''}`;

export function dumpStore(path: string): StoredRow[] {
  const db = new Database(path, { readonly: true });
  try {
    const out: StoredRow[] = [];
    for (const t of [...TABLES, STATUS_TABLE]) {
      const cols = t.columns.map(([c, f]) => `${c} AS "${f}"`).join(', ');
      for (const row of db.prepare(`SELECT device, seq, ts, received_at, ${cols} FROM ${t.table} ORDER BY device, seq`).all() as Record<string, number | string | null>[]) {
        const { device, seq, ts, received_at: receivedAt, ...values } = row;
        out.push({ key: keyOf(t.channel, device as string, seq as number, values.state), device: device as string, channel: t.channel, seq: seq as number, ts: ts as number, receivedAt: receivedAt as number, values });
      }
    }
    return out;
  } finally {
    db.close();
  }
}

/** A reading as the store would hold it (for expectations built from the ingest's own pipeline). */
export function asStored(r: Reading): Omit<StoredRow, 'receivedAt'> {
  const spec = r.channel === 'status' ? STATUS_TABLE : TABLES.find((t) => t.kind === r.kind && t.channel === r.channel)!;
  const values: Record<string, number | string | null> = {};
  for (const [, field] of spec.columns) {
    const v = r.values[field];
    values[field] = v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  return { key: keyOf(r.channel, r.device, r.seq, r.values.state), device: r.device, channel: r.channel, seq: r.seq, ts: r.ts, values };
}
