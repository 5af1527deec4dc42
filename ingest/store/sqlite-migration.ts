// Opening the embedded store's file at this schema version: the first layout (v0) is migrated with
// its rows kept, then tables and views are created where missing and the version is stamped.
import type Database from 'better-sqlite3';
import { ALL_TABLES, createTables, createViews, data, objectType, SCHEMA_VERSION } from './sqlite-schema.ts';

/** The first layout (WITHOUT ROWID tables keyed by device name) moves into this one, rows kept. */
export function migrateFromV0(db: Database.Database): void {
  if (objectType(db, 'meter_telemetry') !== 'table') return;
  db.transaction(() => {
    db.exec('ALTER TABLE devices RENAME TO devices_v0');
    for (const t of ALL_TABLES) db.exec(`ALTER TABLE ${t.table} RENAME TO ${t.table}_v0`);
    db.exec('DROP INDEX IF EXISTS meter_telemetry_ts; DROP INDEX IF EXISTS meter_telemetry_device_ts; DROP INDEX IF EXISTS node5g_telemetry_ts; DROP INDEX IF EXISTS camera_events_ts');
    createTables(db);
    db.exec('INSERT INTO devices (device, kind, enterprise, zone) SELECT device, kind, enterprise, zone FROM devices_v0');
    for (const t of ALL_TABLES) {
      // A reading of a device the old devices table lacks keeps its name through a new devices row.
      db.exec(`INSERT OR IGNORE INTO devices (device, kind, zone) SELECT DISTINCT device, '${t.kind}', '' FROM ${t.table}_v0`);
      const cols = t.columns.map(([c]) => c).join(', ');
      db.exec(`INSERT OR IGNORE INTO ${data(t)} (device_id, seq, ts, received_at, ${cols})
        SELECT d.id, o.seq, o.ts, o.received_at, ${t.columns.map(([c]) => `o.${c}`).join(', ')} FROM ${t.table}_v0 o JOIN devices d ON d.device = o.device ORDER BY o.ts`);
      db.exec(`DROP TABLE ${t.table}_v0`);
    }
    db.exec('DROP TABLE devices_v0');
  })();
}

/** Brings the file to SCHEMA_VERSION (used by the writing worker; readers only read). */
export function createSchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < SCHEMA_VERSION) migrateFromV0(db);
  createTables(db);
  createViews(db);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
