// SQLite layout of the embedded store: tables, views and their DDL. The store's worker thread
// (sqlite-worker.ts) opens the file with sqlite-migration.ts and writes and reads it with
// sqlite-writer.ts and sqlite-reads.ts, like the InfluxDB side's influx-schema/-writer/-reads.
//
// Shape chosen by measurement (bench: 150k meter rows, 1,000 meters, WAL, synchronous=FULL): rowid
// tables keyed UNIQUE(device_id INTEGER, seq) with one index on ts took ~110-180k rows/s; the first
// schema (WITHOUT ROWID, PRIMARY KEY(device TEXT, seq), indexes on ts and (device, ts)) took ~36k.
// Rows append to the rowid tree in arrival order, and index entries are two integers. Per-kind
// `*_data` tables hold the rows; views with the old names (`meter_telemetry`, ...) give them back
// with device names, for people and tests reading the file directly.
import type Database from 'better-sqlite3';
import type { Channel, DeviceKind } from '../../shared/topics.ts';

/** Version of this schema in `PRAGMA user_version` (0 = the first layout, migrated on open). */
export const SCHEMA_VERSION = 2;

export interface TableSpec {
  /** The view's name (and, with `_data`, the table's). */
  table: string;
  kind: DeviceKind;
  channel: Channel;
  /** [column, reading field, SQL type] */
  columns: readonly (readonly [string, string, 'REAL' | 'INTEGER' | 'TEXT'])[];
  /** Unique key beyond (device, seq): status keeps the will beside the online it repeats. */
  extraKey?: string;
  /** Indexed on ts for history by time range. */
  byTime?: boolean;
}

export const TABLES: readonly TableSpec[] = [
  {
    table: 'camera_telemetry', kind: 'camera', channel: 'telemetry',
    columns: [['online', 'online', 'INTEGER'], ['fps', 'fps', 'REAL'], ['bitrate_kbps', 'bitrateKbps', 'REAL'], ['storage_used_pct', 'storageUsedPct', 'REAL']],
  },
  {
    table: 'camera_events', kind: 'camera', channel: 'event', byTime: true,
    columns: [['type', 'type', 'TEXT'], ['zone', 'zone', 'TEXT'], ['confidence', 'confidence', 'REAL']],
  },
  {
    table: 'node5g_telemetry', kind: 'node5g', channel: 'telemetry', byTime: true,
    columns: [['rsrp_dbm', 'rsrpDbm', 'REAL'], ['sinr_db', 'sinrDb', 'REAL'], ['dl_mbps', 'dlMbps', 'REAL'], ['ul_mbps', 'ulMbps', 'REAL'], ['latency_ms', 'latencyMs', 'REAL'], ['connected_ues', 'connectedUes', 'INTEGER']],
  },
  {
    table: 'meter_telemetry', kind: 'meter', channel: 'telemetry', byTime: true,
    columns: [['kw', 'kw', 'REAL'], ['kwh', 'kwh', 'REAL'], ['voltage', 'voltage', 'REAL'], ['current', 'current', 'REAL'], ['power_factor', 'powerFactor', 'REAL']],
  },
];

/** Status of every kind goes to one table; the will repeats its session's seq, hence `state` in the key. */
export const STATUS_TABLE: TableSpec = {
  table: 'device_status', kind: 'camera', channel: 'status',
  columns: [['state', 'state', 'TEXT'], ['will', 'will', 'INTEGER']],
  extraKey: 'state',
};

export const ALL_TABLES = [...TABLES, STATUS_TABLE];
/** The table holding a spec's rows (the view without `_data` adds device names). */
export const data = (t: TableSpec): string => `${t.table}_data`;

export function tableFor(kind: DeviceKind, channel: Channel): TableSpec | undefined {
  if (channel === 'status') return STATUS_TABLE;
  return TABLES.find((t) => t.kind === kind && t.channel === channel);
}

/** `table`, `view`, ... or undefined when the file has no such object. */
export function objectType(db: Database.Database, name: string): string | undefined {
  return (db.prepare('SELECT type FROM sqlite_master WHERE name = ?').get(name) as { type: string } | undefined)?.type;
}

export function createTables(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS devices (
    id INTEGER PRIMARY KEY, device TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, enterprise TEXT, zone TEXT NOT NULL)`);
  for (const t of ALL_TABLES) {
    const cols = t.columns.map(([c, , type]) => `${c} ${type}`).join(', ');
    const key = ['device_id', 'seq', ...(t.extraKey ? [t.extraKey] : [])].join(', ');
    db.exec(`CREATE TABLE IF NOT EXISTS ${data(t)} (
      device_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, ${cols},
      UNIQUE (${key}))`);
    if (t.byTime) db.exec(`CREATE INDEX IF NOT EXISTS ${data(t)}_ts ON ${data(t)} (ts)`);
  }
}

export function createViews(db: Database.Database): void {
  for (const t of ALL_TABLES) {
    const cols = t.columns.map(([c]) => `t.${c}`).join(', ');
    db.exec(`CREATE VIEW IF NOT EXISTS ${t.table} AS
      SELECT d.device AS device, t.seq AS seq, t.ts AS ts, t.received_at AS received_at, ${cols}
      FROM ${data(t)} t JOIN devices d ON d.id = t.device_id`);
  }
}
