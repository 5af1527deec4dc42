// SQLite schema and statements of the embedded store. Used inside the store's worker thread only.
import type Database from 'better-sqlite3';
import type { Channel, DeviceKind } from '../../shared/topics.ts';
import type { EnterpriseEnergy, HistoryPoint, HistoryQuery, LatestReading, Reading, StoredKey } from './types.ts';

interface TableSpec {
  table: string;
  kind: DeviceKind;
  channel: Channel;
  /** [column, reading field, SQL type] */
  columns: readonly (readonly [string, string, 'REAL' | 'INTEGER' | 'TEXT'])[];
  /** Primary key beyond (device, seq): status keeps the will beside the online it repeats. */
  extraKey?: string;
}

export const TABLES: readonly TableSpec[] = [
  {
    table: 'camera_telemetry', kind: 'camera', channel: 'telemetry',
    columns: [['online', 'online', 'INTEGER'], ['fps', 'fps', 'REAL'], ['bitrate_kbps', 'bitrateKbps', 'REAL'], ['storage_used_pct', 'storageUsedPct', 'REAL']],
  },
  {
    table: 'camera_events', kind: 'camera', channel: 'event',
    columns: [['type', 'type', 'TEXT'], ['zone', 'zone', 'TEXT'], ['confidence', 'confidence', 'REAL']],
  },
  {
    table: 'node5g_telemetry', kind: 'node5g', channel: 'telemetry',
    columns: [['rsrp_dbm', 'rsrpDbm', 'REAL'], ['sinr_db', 'sinrDb', 'REAL'], ['dl_mbps', 'dlMbps', 'REAL'], ['ul_mbps', 'ulMbps', 'REAL'], ['latency_ms', 'latencyMs', 'REAL'], ['connected_ues', 'connectedUes', 'INTEGER']],
  },
  {
    table: 'meter_telemetry', kind: 'meter', channel: 'telemetry',
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

export function tableFor(kind: DeviceKind, channel: Channel): TableSpec | undefined {
  if (channel === 'status') return STATUS_TABLE;
  return TABLES.find((t) => t.kind === kind && t.channel === channel);
}

export function createSchema(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS devices (
    device TEXT PRIMARY KEY, kind TEXT NOT NULL, enterprise TEXT, zone TEXT NOT NULL) WITHOUT ROWID`);
  for (const t of ALL_TABLES) {
    const cols = t.columns.map(([c, , type]) => `${c} ${type}`).join(', ');
    const key = ['device', 'seq', ...(t.extraKey ? [t.extraKey] : [])].join(', ');
    db.exec(`CREATE TABLE IF NOT EXISTS ${t.table} (
      device TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, ${cols},
      PRIMARY KEY (${key})) WITHOUT ROWID`);
  }
  db.exec('CREATE INDEX IF NOT EXISTS meter_telemetry_ts ON meter_telemetry (ts)');
  db.exec('CREATE INDEX IF NOT EXISTS meter_telemetry_device_ts ON meter_telemetry (device, ts)');
  db.exec('CREATE INDEX IF NOT EXISTS node5g_telemetry_ts ON node5g_telemetry (ts)');
  db.exec('CREATE INDEX IF NOT EXISTS camera_events_ts ON camera_events (ts)');
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
    const cols = ['device', 'seq', 'ts', 'received_at', ...t.columns.map(([c]) => c)];
    statements.set(t, db.prepare(`INSERT OR IGNORE INTO ${t.table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`));
  }
  const run = db.transaction((rows: readonly Reading[]) => {
    let inserted = 0;
    const duplicates: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const spec = tableFor(r.kind, r.channel);
      if (!spec) throw new Error(`no table for ${r.kind}/${r.channel}`);
      const args: (number | string | null)[] = [r.device, r.seq, r.ts, r.receivedAt];
      for (const [, field] of spec.columns) args.push(toSql(r.values[field]));
      if (statements.get(spec)!.run(args).changes === 1) inserted++;
      else duplicates.push(i);
    }
    return { inserted, duplicates };
  });
  return { write: (rows) => run(rows) };
}

function tableExists(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

// better-sqlite3 binds JS numbers as REAL: cast the bucket width so the division is an integer one.
const HISTORY_SQL: Record<HistoryQuery['series'], string> = {
  'park.power': `SELECT t, SUM(v) AS v FROM (
      SELECT (ts / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS t, device, AVG(kw) AS v FROM meter_telemetry
      WHERE ts >= @from AND ts < @to GROUP BY t, device) GROUP BY t ORDER BY t`,
  'node5g.rsrp': `SELECT (ts / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS t, AVG(rsrp_dbm) AS v FROM node5g_telemetry WHERE ts >= @from AND ts < @to GROUP BY t ORDER BY t`,
  'node5g.sinr': `SELECT (ts / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS t, AVG(sinr_db) AS v FROM node5g_telemetry WHERE ts >= @from AND ts < @to GROUP BY t ORDER BY t`,
  'node5g.latency': `SELECT (ts / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS t, AVG(latency_ms) AS v FROM node5g_telemetry WHERE ts >= @from AND ts < @to GROUP BY t ORDER BY t`,
  'node5g.dl': `SELECT t, SUM(v) AS v FROM (
      SELECT (ts / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS t, device, AVG(dl_mbps) AS v FROM node5g_telemetry
      WHERE ts >= @from AND ts < @to GROUP BY t, device) GROUP BY t ORDER BY t`,
  'node5g.ul': `SELECT t, SUM(v) AS v FROM (
      SELECT (ts / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS t, device, AVG(ul_mbps) AS v FROM node5g_telemetry
      WHERE ts >= @from AND ts < @to GROUP BY t, device) GROUP BY t ORDER BY t`,
  'camera.events': `SELECT (ts / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS t, COUNT(*) AS v FROM camera_events WHERE ts >= @from AND ts < @to GROUP BY t ORDER BY t`,
};

export interface Reader {
  history(q: HistoryQuery): HistoryPoint[];
  latest(): LatestReading[];
  energySince(since: number): EnterpriseEnergy[];
  kwhBaselines(since: number): Record<string, number>;
  maxSeqByDevice(): Record<string, number>;
  keys(filter?: { device?: string }): StoredKey[];
}

export function createReader(db: Database.Database): Reader {
  // A reader may open the file before the ingest has created the tables: answer empty until then.
  const ready = (): boolean => tableExists(db, 'device_status');
  return {
    history(q) {
      if (!ready()) return [];
      return db.prepare(HISTORY_SQL[q.series]).all({ b: Math.max(1, Math.round(q.bucketMs)), from: Math.floor(q.from), to: Math.ceil(q.to) }) as HistoryPoint[];
    },
    latest() {
      if (!ready()) return [];
      const out: LatestReading[] = [];
      for (const t of TABLES.filter((x) => x.channel === 'telemetry')) {
        const cols = t.columns.map(([c, f]) => `${c} AS "${f}"`).join(', ');
        // SQLite returns the other columns from the row holding MAX(seq).
        const rows = db.prepare(`SELECT device, MAX(seq) AS seq, ts, ${cols} FROM ${t.table} GROUP BY device`).all() as Record<string, number | string>[];
        for (const row of rows) {
          const { device, seq, ts, ...columns } = row;
          const values: Record<string, number | boolean | string> = columns;
          if (t.kind === 'camera') values.online = columns.online === 1;
          out.push({ device: device as string, kind: t.kind, seq: seq as number, ts: ts as number, values });
        }
      }
      return out;
    },
    energySince(since) {
      if (!ready()) return [];
      return db.prepare(`SELECT d.enterprise AS enterprise, ROUND(SUM(m.last - COALESCE(m.before, m.first)), 3) AS kwh FROM (
          SELECT device, MIN(kwh) AS first, MAX(kwh) AS last,
            (SELECT x.kwh FROM meter_telemetry x WHERE x.device = t.device AND x.ts < @since ORDER BY x.ts DESC LIMIT 1) AS before
          FROM meter_telemetry t WHERE ts >= @since GROUP BY device) m
        JOIN devices d ON d.device = m.device WHERE d.enterprise IS NOT NULL GROUP BY d.enterprise ORDER BY kwh DESC`).all({ since: Math.floor(since) }) as EnterpriseEnergy[];
    },
    kwhBaselines(since) {
      if (!ready()) return {};
      const rows = db.prepare(`SELECT d.device AS device, COALESCE(
          (SELECT x.kwh FROM meter_telemetry x WHERE x.device = d.device AND x.ts < @since ORDER BY x.ts DESC LIMIT 1),
          (SELECT x.kwh FROM meter_telemetry x WHERE x.device = d.device AND x.ts >= @since ORDER BY x.ts ASC LIMIT 1)) AS kwh
        FROM devices d WHERE d.kind = 'meter'`).all({ since: Math.floor(since) }) as { device: string; kwh: number | null }[];
      const out: Record<string, number> = {};
      for (const r of rows) if (r.kwh !== null) out[r.device] = r.kwh;
      return out;
    },
    maxSeqByDevice() {
      if (!ready()) return {};
      const out: Record<string, number> = {};
      for (const t of ALL_TABLES) {
        for (const row of db.prepare(`SELECT device, MAX(seq) AS seq FROM ${t.table} GROUP BY device`).all() as { device: string; seq: number }[]) {
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
          ...(filter?.device ? ['device = @device'] : []),
          // A will repeats the seq of the online message that opened its session: not a reading of its own.
          ...(t === STATUS_TABLE ? ['(will IS NULL OR will = 0)'] : []),
        ];
        const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
        const sql = `SELECT device, seq FROM ${t.table} ${where} ORDER BY device, seq`;
        for (const row of db.prepare(sql).all(filter?.device ? { device: filter.device } : {}) as { device: string; seq: number }[]) {
          out.push({ device: row.device, seq: row.seq, channel: t.channel });
        }
      }
      return out;
    },
  };
}
