// SQLite schema and statements of the embedded store. Used inside the store's worker thread only.
//
// Shape chosen by measurement (bench: 150k meter rows, 1,000 meters, WAL, synchronous=FULL): rowid
// tables keyed UNIQUE(device_id INTEGER, seq) with one index on ts took ~110-180k rows/s; the first
// schema (WITHOUT ROWID, PRIMARY KEY(device TEXT, seq), indexes on ts and (device, ts)) took ~36k.
// Rows append to the rowid tree in arrival order, and index entries are two integers. Per-kind
// `*_data` tables hold the rows; views with the old names (`meter_telemetry`, ...) give them back
// with device names, for people and tests reading the file directly.
import type Database from 'better-sqlite3';
import type { Channel, DeviceKind } from '../../shared/topics.ts';
import type { DeviceLog, DeviceLogQuery, EnterpriseEnergy, HistoryPoint, HistoryQuery, LatestReading, Reading, StoredKey } from './types.ts';

/** Version of this schema in `PRAGMA user_version` (0 = the first layout, migrated on open). */
const SCHEMA_VERSION = 2;

interface TableSpec {
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

const ALL_TABLES = [...TABLES, STATUS_TABLE];
const data = (t: TableSpec): string => `${t.table}_data`;

export function tableFor(kind: DeviceKind, channel: Channel): TableSpec | undefined {
  if (channel === 'status') return STATUS_TABLE;
  return TABLES.find((t) => t.kind === kind && t.channel === channel);
}

function objectType(db: Database.Database, name: string): string | undefined {
  return (db.prepare('SELECT type FROM sqlite_master WHERE name = ?').get(name) as { type: string } | undefined)?.type;
}

function createTables(db: Database.Database): void {
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

function createViews(db: Database.Database): void {
  for (const t of ALL_TABLES) {
    const cols = t.columns.map(([c]) => `t.${c}`).join(', ');
    db.exec(`CREATE VIEW IF NOT EXISTS ${t.table} AS
      SELECT d.device AS device, t.seq AS seq, t.ts AS ts, t.received_at AS received_at, ${cols}
      FROM ${data(t)} t JOIN devices d ON d.id = t.device_id`);
  }
}

/** The first layout (WITHOUT ROWID tables keyed by device name) moves into this one, rows kept. */
function migrateFromV0(db: Database.Database): void {
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

export function createSchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < SCHEMA_VERSION) migrateFromV0(db);
  createTables(db);
  createViews(db);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

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

// Bucket start of a row: better-sqlite3 binds JS numbers as REAL, so the width is cast for an
// integer division.
const BUCKET = '(t.ts / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER)';
// With a device, its rows only: the (device_id, seq) key finds them without the ts index.
const range = (device: boolean): string => `t.ts >= @from AND t.ts < @to${device ? ' AND t.device_id = (SELECT id FROM devices WHERE device = @device)' : ''}`;
const perDeviceSum = (table: string, col: string) => (device: boolean): string => `SELECT bucket AS t, SUM(v) AS v FROM (
    SELECT ${BUCKET} AS bucket, t.device_id, AVG(t.${col}) AS v FROM ${table} t WHERE ${range(device)} GROUP BY bucket, t.device_id)
  GROUP BY bucket ORDER BY bucket`;
const mean = (table: string, col: string) => (device: boolean): string => `SELECT ${BUCKET} AS t, AVG(t.${col}) AS v FROM ${table} t WHERE ${range(device)} GROUP BY 1 ORDER BY 1`;

const HISTORY_SQL: Record<HistoryQuery['series'], (device: boolean) => string> = {
  'park.power': perDeviceSum('meter_telemetry_data', 'kw'),
  'node5g.rsrp': mean('node5g_telemetry_data', 'rsrp_dbm'),
  'node5g.sinr': mean('node5g_telemetry_data', 'sinr_db'),
  'node5g.latency': mean('node5g_telemetry_data', 'latency_ms'),
  'node5g.dl': perDeviceSum('node5g_telemetry_data', 'dl_mbps'),
  'node5g.ul': perDeviceSum('node5g_telemetry_data', 'ul_mbps'),
  'camera.events': (device) => `SELECT ${BUCKET} AS t, COUNT(*) AS v FROM camera_events_data t WHERE ${range(device)} GROUP BY 1 ORDER BY 1`,
  'camera.fps': mean('camera_telemetry_data', 'fps'),
  'camera.bitrate': mean('camera_telemetry_data', 'bitrate_kbps'),
};

/** How far back a meter's counter reading before `since` is looked for (its baseline). */
const BASELINE_LOOKBACK_MS = 86_400_000;

export interface Reader {
  history(q: HistoryQuery): HistoryPoint[];
  latest(): LatestReading[];
  energySince(since: number, until?: number): EnterpriseEnergy[];
  deviceLog(q: DeviceLogQuery): DeviceLog;
  kwhBaselines(since: number): Record<string, number>;
  maxSeqByDevice(): Record<string, number>;
  keys(filter?: { device?: string }): StoredKey[];
}

export function createReader(db: Database.Database): Reader {
  // A reader may open the file before the ingest has created (or migrated) the tables: answer empty.
  const ready = (): boolean => objectType(db, 'device_status_data') === 'table';
  // Each meter's counter at `since`: its last reading in the day before, else its first after (the ts
  // index finds both without reading the meter's whole history).
  const baselineSql = `SELECT d.device AS device, d.enterprise AS enterprise, COALESCE(
      (SELECT x.kwh FROM meter_telemetry_data x INDEXED BY meter_telemetry_data_ts WHERE x.ts < @since AND x.ts >= @since - ${BASELINE_LOOKBACK_MS} AND x.device_id = d.id ORDER BY x.ts DESC LIMIT 1),
      (SELECT x.kwh FROM meter_telemetry_data x INDEXED BY meter_telemetry_data_ts WHERE x.ts >= @since AND x.device_id = d.id ORDER BY x.ts ASC LIMIT 1)) AS kwh
    FROM devices d WHERE d.kind = 'meter'`;
  return {
    history(q) {
      if (!ready()) return [];
      const args = { b: Math.max(1, Math.round(q.bucketMs)), from: Math.floor(q.from), to: Math.ceil(q.to), ...(q.device ? { device: q.device } : {}) };
      return db.prepare(HISTORY_SQL[q.series](q.device !== undefined)).all(args) as HistoryPoint[];
    },
    deviceLog(q) {
      if (!ready()) return { events: [], status: [] };
      const args = { device: q.device, from: Math.floor(q.from), to: Math.ceil(q.to), limit: q.limit };
      const where = 't.device_id = (SELECT id FROM devices WHERE device = @device) AND t.ts >= @from AND t.ts < @to';
      const events = db.prepare(`SELECT t.ts AS ts, t.seq AS seq, t.type AS type, t.confidence AS confidence FROM camera_events_data t WHERE ${where} ORDER BY t.ts DESC LIMIT @limit`).all(args) as DeviceLog['events'];
      const status = (db.prepare(`SELECT t.ts AS ts, t.seq AS seq, t.state AS state, t.will AS will FROM device_status_data t WHERE ${where} ORDER BY t.ts DESC, t.seq DESC, t.will DESC LIMIT @limit`).all(args) as { ts: number; seq: number; state: string; will: number | null }[])
        .map((r) => ({ ...r, will: r.will === 1 }));
      return { events, status };
    },
    latest() {
      if (!ready()) return [];
      const out: LatestReading[] = [];
      for (const t of TABLES.filter((x) => x.channel === 'telemetry')) {
        const cols = t.columns.map(([c, f]) => `t.${c} AS "${f}"`).join(', ');
        // SQLite returns the other columns from the row holding MAX(seq).
        const rows = db.prepare(`SELECT d.device AS device, MAX(t.seq) AS seq, t.ts AS ts, ${cols} FROM ${data(t)} t JOIN devices d ON d.id = t.device_id GROUP BY t.device_id`).all() as Record<string, number | string>[];
        for (const row of rows) {
          const { device, seq, ts, ...columns } = row;
          const values: Record<string, number | boolean | string> = columns;
          if (t.kind === 'camera') values.online = columns.online === 1;
          out.push({ device: device as string, kind: t.kind, seq: seq as number, ts: ts as number, values });
        }
      }
      return out;
    },
    energySince(since, until) {
      if (!ready()) return [];
      const to = until === undefined ? '' : ' AND t.ts < @until';
      return db.prepare(`SELECT b.enterprise AS enterprise, ROUND(SUM(m.last - b.kwh), 3) AS kwh
        FROM (${baselineSql}) b
        JOIN (SELECT d.device AS device, MAX(t.kwh) AS last FROM meter_telemetry_data t JOIN devices d ON d.id = t.device_id WHERE t.ts >= @since${to} GROUP BY t.device_id) m ON m.device = b.device
        WHERE b.enterprise IS NOT NULL AND b.kwh IS NOT NULL GROUP BY b.enterprise ORDER BY kwh DESC`).all({ since: Math.floor(since), ...(until === undefined ? {} : { until: Math.ceil(until) }) }) as EnterpriseEnergy[];
    },
    kwhBaselines(since) {
      if (!ready()) return {};
      const out: Record<string, number> = {};
      for (const r of db.prepare(baselineSql).all({ since: Math.floor(since) }) as { device: string; kwh: number | null }[]) if (r.kwh !== null) out[r.device] = r.kwh;
      return out;
    },
    maxSeqByDevice() {
      if (!ready()) return {};
      const out: Record<string, number> = {};
      for (const t of ALL_TABLES) {
        for (const row of db.prepare(`SELECT d.device AS device, MAX(t.seq) AS seq FROM ${data(t)} t JOIN devices d ON d.id = t.device_id GROUP BY t.device_id`).all() as { device: string; seq: number }[]) {
          out[row.device] = Math.max(out[row.device] ?? -1, row.seq);
        }
      }
      return out;
    },
    keys(filter) {
      if (!ready()) return [];
      const out: StoredKey[] = [];
      for (const t of ALL_TABLES) {
        const conditions = [
          ...(filter?.device ? ['d.device = @device'] : []),
          // A will repeats the seq of the online message that opened its session: not a reading of its own.
          ...(t === STATUS_TABLE ? ['(t.will IS NULL OR t.will = 0)'] : []),
        ];
        const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
        const sql = `SELECT d.device AS device, t.seq AS seq FROM ${data(t)} t JOIN devices d ON d.id = t.device_id ${where} ORDER BY d.device, t.seq`;
        for (const row of db.prepare(sql).all(filter?.device ? { device: filter.device } : {}) as { device: string; seq: number }[]) {
          out.push({ device: row.device, seq: row.seq, channel: t.channel });
        }
      }
      return out;
    },
  };
}
