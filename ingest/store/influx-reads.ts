// The store's reads in InfluxQL, mirroring the SQLite store's answers (sqlite-reads.ts): history
// buckets for the screen, latest reading per device, energy from the cumulative kWh counters,
// seq high-water marks and stored keys. Buckets are aligned to the epoch like SQLite's
// (ts / b) * b, and only buckets with data are returned (fill(none)).
import type { ParkModel } from '../../shared/park-model.ts';
import { StoreError } from './errors.ts';
import type { DeviceLog, EnterpriseEnergy, HistoryPoint, HistoryQuery, HistorySeries, LatestReading, StoredKey, TelemetryStore } from './types.ts';
import { EVENT_MEASUREMENT, MEASUREMENTS, STATUS_MEASUREMENT, TELEMETRY_MEASUREMENTS } from './influx-schema.ts';
import { columnsOf, ident, literal, msTime, type InfluxQl, type Series } from './influx-query.ts';

export type StoreReader = Pick<TelemetryStore, 'history' | 'latest' | 'energySince' | 'deviceLog' | 'kwhBaselines' | 'maxSeqByDevice' | 'keys'>;

/** A GROUP BY time() without a bounded bucket count can exhaust the server's memory. */
const MAX_BUCKETS = 100_000;
/** How far back the seq high-water marks look (a device silent longer starts its gap count afresh). */
const MAX_SEQ_LOOKBACK = '30d';

type Aggregate = { measurement: string; field: string; fn: 'MEAN' | 'COUNT'; sumOverDevices: boolean };

const HISTORY: Record<HistorySeries, Aggregate> = {
  'park.power': { measurement: 'meter', field: 'kw', fn: 'MEAN', sumOverDevices: true },
  'node5g.rsrp': { measurement: 'node5g', field: 'rsrp_dbm', fn: 'MEAN', sumOverDevices: false },
  'node5g.sinr': { measurement: 'node5g', field: 'sinr_db', fn: 'MEAN', sumOverDevices: false },
  'node5g.latency': { measurement: 'node5g', field: 'latency_ms', fn: 'MEAN', sumOverDevices: false },
  'node5g.dl': { measurement: 'node5g', field: 'dl_mbps', fn: 'MEAN', sumOverDevices: true },
  'node5g.ul': { measurement: 'node5g', field: 'ul_mbps', fn: 'MEAN', sumOverDevices: true },
  'camera.events': { measurement: EVENT_MEASUREMENT.measurement, field: 'seq', fn: 'COUNT', sumOverDevices: false },
  'camera.fps': { measurement: 'camera', field: 'fps', fn: 'MEAN', sumOverDevices: false },
  'camera.bitrate': { measurement: 'camera', field: 'bitrate_kbps', fn: 'MEAN', sumOverDevices: false },
};

export function historyQuery(q: HistoryQuery): string {
  const b = Math.max(1, Math.round(q.bucketMs));
  const from = Math.floor(q.from);
  const to = Math.ceil(q.to);
  if ((to - from) / b > MAX_BUCKETS) throw new StoreError('influx-query', `history: ${Math.ceil((to - from) / b)} buckets asked, ${MAX_BUCKETS} at most`);
  const a = HISTORY[q.series];
  const range = `time >= ${msTime(from)} AND time < ${msTime(to)}${q.device ? ` AND "device" = ${literal(q.device)}` : ''}`;
  if (!a.sumOverDevices) {
    return `SELECT ${a.fn}(${ident(a.field)}) AS v FROM ${ident(a.measurement)} WHERE ${range} GROUP BY time(${b}ms) fill(none)`;
  }
  // Sum over devices of each device's mean in the bucket (a device reporting twice as often must
  // not count twice as much).
  return `SELECT SUM(v) AS v FROM (SELECT ${a.fn}(${ident(a.field)}) AS v FROM ${ident(a.measurement)} WHERE ${range} GROUP BY time(${b}ms), "device" fill(none)) WHERE ${range} GROUP BY time(${b}ms) fill(none)`;
}

/** Rows of every series of a statement as objects keyed by column, with the series tags. */
function rows(series: Series[]): { tags: Record<string, string>; name: string; row: Record<string, unknown> }[] {
  const out: { tags: Record<string, string>; name: string; row: Record<string, unknown> }[] = [];
  for (const s of series) {
    const cols = columnsOf(s);
    for (const values of s.values) {
      const row: Record<string, unknown> = {};
      for (const [c, i] of Object.entries(cols)) row[c] = values[i];
      out.push({ tags: s.tags ?? {}, name: s.name, row });
    }
  }
  return out;
}

export function createInfluxReader(ql: InfluxQl, model: ParkModel): StoreReader {
  const meters = model.devices.filter((d) => d.kind === 'meter');
  const enterpriseOf = new Map(model.devices.map((d) => [d.id, d.enterprise ?? null]));

  /** Per meter: LAST(kwh) before `since`, and FIRST/MIN/MAX from it (to `until` when given). */
  async function kwhAround(since: number, until?: number): Promise<Map<string, { before?: number; first?: number; min?: number; max?: number }>> {
    const end = until === undefined ? '' : ` AND time < ${msTime(Math.ceil(until))}`;
    const [before, after] = await ql.query(
      `SELECT LAST("kwh") AS kwh FROM "meter" WHERE time < ${msTime(since)} GROUP BY "device"; ` +
        `SELECT FIRST("kwh") AS first, MIN("kwh") AS min, MAX("kwh") AS max FROM "meter" WHERE time >= ${msTime(since)}${end} GROUP BY "device"`,
    );
    const out = new Map<string, { before?: number; first?: number; min?: number; max?: number }>();
    const entry = (device: string) => out.get(device) ?? out.set(device, {}).get(device)!;
    for (const { tags, row } of rows(before ?? [])) if (tags.device && typeof row.kwh === 'number') entry(tags.device).before = row.kwh;
    for (const { tags, row } of rows(after ?? [])) {
      if (!tags.device) continue;
      const e = entry(tags.device);
      if (typeof row.first === 'number') e.first = row.first;
      if (typeof row.min === 'number') e.min = row.min;
      if (typeof row.max === 'number') e.max = row.max;
    }
    return out;
  }

  return {
    async history(q) {
      const [series] = await ql.query(historyQuery(q));
      const out: HistoryPoint[] = [];
      for (const { row } of rows(series ?? [])) if (typeof row.v === 'number') out.push({ t: row.time as number, v: row.v });
      return out;
    },

    async latest() {
      // The newest point of each device's series (LIMIT applies per GROUP BY series).
      const statements = TELEMETRY_MEASUREMENTS.map((m) => `SELECT * FROM ${ident(m.measurement)} GROUP BY "device" ORDER BY time DESC LIMIT 1`);
      const results = await ql.query(statements.join('; '));
      const out: LatestReading[] = [];
      TELEMETRY_MEASUREMENTS.forEach((m, i) => {
        for (const { tags, row } of rows(results[i] ?? [])) {
          const values: Record<string, number | boolean | string> = {};
          for (const [field, key] of m.fields) {
            const v = row[field];
            if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') values[key] = v;
          }
          out.push({ device: tags.device!, kind: m.kind!, seq: row.seq as number, ts: row.time as number, values });
        }
      });
      return out;
    },

    async deviceLog(q) {
      const where = `"device" = ${literal(q.device)} AND time >= ${msTime(Math.floor(q.from))} AND time < ${msTime(Math.ceil(q.to))}`;
      const limit = Math.max(1, Math.floor(q.limit));
      const [events, status] = await ql.query(
        `SELECT "seq", "event_type", "confidence" FROM ${ident(EVENT_MEASUREMENT.measurement)} WHERE ${where} ORDER BY time DESC LIMIT ${limit}; ` +
          `SELECT "seq", "state", "will" FROM ${ident(STATUS_MEASUREMENT.measurement)} WHERE ${where} ORDER BY time DESC LIMIT ${limit}`,
      );
      const out: DeviceLog = { events: [], status: [] };
      for (const { row } of rows(events ?? [])) out.events.push({ ts: Math.floor(row.time as number), seq: row.seq as number, type: String(row.event_type), confidence: typeof row.confidence === 'number' ? row.confidence : null });
      for (const { row } of rows(status ?? [])) out.status.push({ ts: Math.floor(row.time as number), seq: row.seq as number, state: String(row.state), will: row.will === true });
      // Newest first; a will repeats its session's seq and follows that session's online (as SQLite orders them).
      out.status.sort((a, b) => b.ts - a.ts || b.seq - a.seq || Number(b.will) - Number(a.will));
      return out;
    },

    async energySince(since, until) {
      const around = await kwhAround(since, until);
      const sums = new Map<string, number>();
      for (const [device, e] of around) {
        const enterprise = enterpriseOf.get(device);
        // Like SQLite: only meters of a known enterprise with readings since `since`.
        if (!enterprise || e.max === undefined || e.min === undefined) continue;
        sums.set(enterprise, (sums.get(enterprise) ?? 0) + (e.max - (e.before ?? e.min)));
      }
      const out: EnterpriseEnergy[] = [...sums].map(([enterprise, kwh]) => ({ enterprise, kwh: Math.round(kwh * 1000) / 1000 }));
      return out.sort((a, b) => b.kwh - a.kwh);
    },

    async kwhBaselines(since) {
      const around = await kwhAround(since);
      const out: Record<string, number> = {};
      for (const m of meters) {
        const e = around.get(m.id);
        const v = e?.before ?? e?.first;
        if (v !== undefined) out[m.id] = v;
      }
      return out;
    },

    async maxSeqByDevice() {
      const from = MEASUREMENTS.map((m) => ident(m.measurement)).join(', ');
      const [series] = await ql.query(`SELECT MAX("seq") AS seq FROM ${from} WHERE time > now() - ${MAX_SEQ_LOOKBACK} GROUP BY "device"`);
      const out: Record<string, number> = {};
      for (const { tags, row } of rows(series ?? [])) {
        if (tags.device && typeof row.seq === 'number') out[tags.device] = Math.max(out[tags.device] ?? -1, row.seq);
      }
      return out;
    },

    async keys(filter) {
      const where = filter?.device ? ` WHERE "device" = ${literal(filter.device)}` : '';
      const statements = MEASUREMENTS.map((m) =>
        m === STATUS_MEASUREMENT ? `SELECT "seq", "will" FROM ${ident(m.measurement)}${where} GROUP BY "device", "state"` : `SELECT "seq" FROM ${ident(m.measurement)}${where} GROUP BY "device"`,
      );
      const results = await ql.query(statements.join('; '));
      const out: StoredKey[] = [];
      MEASUREMENTS.forEach((m, i) => {
        const part: StoredKey[] = [];
        for (const { tags, row } of rows(results[i] ?? [])) {
          // A will repeats the seq of its session's `online`: not a reading of its own.
          if (m === STATUS_MEASUREMENT && row.will === true) continue;
          part.push({ device: tags.device!, seq: row.seq as number, channel: m.channel });
        }
        part.sort((a, b) => (a.device === b.device ? a.seq - b.seq : a.device < b.device ? -1 : 1));
        out.push(...part);
      });
      return out;
    },
  };
}
