// Reads of the embedded store (history buckets, latest values, energy, keys), the answers the
// InfluxDB side gives in InfluxQL (influx-reads.ts).
import type Database from 'better-sqlite3';
import { ALL_TABLES, data, objectType, STATUS_TABLE, TABLES } from './sqlite-schema.ts';
import type { DeviceLog, DeviceLogQuery, EnterpriseEnergy, HistoryPoint, HistoryQuery, LatestReading, StoredKey } from './types.ts';

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
