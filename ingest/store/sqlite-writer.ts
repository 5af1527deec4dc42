// Writes of the embedded store: the devices table from the park model, and batches of readings
// in one transaction each, with INSERT OR IGNORE on (device, seq) telling duplicates apart.
import type Database from 'better-sqlite3';
import type { DeviceKind } from '../../shared/topics.ts';
import { ALL_TABLES, data, tableFor, type TableSpec } from './sqlite-schema.ts';
import type { Reading } from './types.ts';

export interface DeviceRow {
  device: string;
  kind: DeviceKind;
  enterprise: string | null;
  zone: string;
}

export function upsertDevices(db: Database.Database, devices: readonly DeviceRow[]): void {
  const stmt = db.prepare('INSERT INTO devices (device, kind, enterprise, zone) VALUES (@device, @kind, @enterprise, @zone) ON CONFLICT(device) DO UPDATE SET kind = excluded.kind, enterprise = excluded.enterprise, zone = excluded.zone');
  db.transaction(() => {
    for (const d of devices) stmt.run(d);
  })();
}

function toSql(v: number | boolean | string | undefined): number | string | null {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

export interface Writer {
  /** Inserts the batch in one transaction; returns the indexes of rows already present. */
  write(rows: readonly Reading[]): { inserted: number; duplicates: number[] };
}

export function createWriter(db: Database.Database): Writer {
  const statements = new Map<TableSpec, Database.Statement>();
  for (const t of ALL_TABLES) {
    const cols = ['device_id', 'seq', 'ts', 'received_at', ...t.columns.map(([c]) => c)];
    statements.set(t, db.prepare(`INSERT OR IGNORE INTO ${data(t)} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`));
  }
  const ids = new Map<string, number>();
  const lookup = db.prepare('SELECT id FROM devices WHERE device = ?');
  const addDevice = db.prepare("INSERT INTO devices (device, kind, zone) VALUES (?, ?, '') ON CONFLICT(device) DO NOTHING");
  const idOf = (r: Reading): number => {
    let id = ids.get(r.device);
    if (id === undefined) {
      // The devices table is filled from the park model at open; a reading of a device added since
      // gets its row here.
      addDevice.run(r.device, r.kind);
      id = (lookup.get(r.device) as { id: number }).id;
      ids.set(r.device, id);
    }
    return id;
  };
  const run = db.transaction((rows: readonly Reading[]) => {
    let inserted = 0;
    const duplicates: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const spec = tableFor(r.kind, r.channel);
      if (!spec) throw new Error(`no table for ${r.kind}/${r.channel}`);
      const args: (number | string | null)[] = [idOf(r), r.seq, r.ts, r.receivedAt];
      for (const [, field] of spec.columns) args.push(toSql(r.values[field]));
      if (statements.get(spec)!.run(args).changes === 1) inserted++;
      else duplicates.push(i);
    }
    return { inserted, duplicates };
  });
  return { write: (rows) => run(rows) };
}
