// The InfluxDB store against a real InfluxDB 1.6.7 (Debian's influxd), written through the very
// WriteApi code path that talks to InfluxDB 2.x, by way of the recipe's nginx rewrite of
// /api/v2/write to /write. Its answers are compared with the SQLite store's for the same readings.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../../ingest/store/errors.ts';
import { createInfluxStore, type InfluxStore } from '../../../ingest/store/influx-store.ts';
import type { InfluxEndpoint } from '../../../ingest/store/influx-endpoint.ts';
import { createSqliteStore } from '../../../ingest/store/sqlite-store.ts';
import { HISTORY_SERIES, type Reading, type TelemetryStore } from '../../../ingest/store/types.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { loadParkModel } from '../../../shared/park-model.ts';
import { requireProgram } from '../../../testkit/external.ts';
import { startInfluxd, startInfluxV2Proxy, type Influxd, type RestartableServer } from '../../../testkit/influx-servers.ts';
import { sampleReadings } from '../../helpers/readings.ts';
import { startPark, waitFor } from '../../../testkit/park.ts';
import mqtt from 'mqtt';
import { registerIngestMetrics } from '../../../ingest/metrics.ts';
import { deriveDeviceSecret } from '../../../shared/credentials.ts';
import { createMetricsRegistry } from '../../../shared/metrics.ts';
import { deviceTopic } from '../../../shared/topics.ts';

const influxdBin = requireProgram('influxd', 'the InfluxDB store is tested against a real InfluxDB 1.6.7');
const nginxBin = requireProgram('nginx', 'nginx rewrites /api/v2/write onto InfluxDB 1.6.7');

const model = loadParkModel();
const logger = silentLogger();
const DB = 'telemetry';

describe.skipIf(!influxdBin || !nginxBin)('InfluxDB store (influxd 1.6.7 behind the /api/v2/write rewrite)', () => {
  let dir: string;
  let influxd: Influxd;
  let proxy: RestartableServer;
  const stores: TelemetryStore[] = [];
  let n = 0;

  const endpoint = (db = DB): InfluxEndpoint => ({ url: proxy.url, org: 'parkpulse', bucket: db, timeoutMs: 3000 });
  async function openInflux(opts: { db?: string; spoolDir?: string; readOnly?: boolean } = {}): Promise<InfluxStore> {
    const k = n++;
    const store = await createInfluxStore({
      endpoint: endpoint(opts.db), model, logger, readOnly: opts.readOnly,
      spoolDir: opts.spoolDir ?? join(dir, `spool-${k}`), deadLetterPath: join(dir, `dead-${k}.ndjson`),
      retryMinMs: 100, retryMaxMs: 500,
    });
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-influx-'));
    influxd = await startInfluxd(influxdBin!, join(dir, 'influxd'));
    proxy = await startInfluxV2Proxy(nginxBin!, join(dir, 'nginx'), influxd.port);
    for (const db of [DB, 'parity', 'outage', 'crash', 'dead']) await influxd.query(`CREATE DATABASE ${db}`);
  });

  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => {});
    await proxy?.stop();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers history, latest, energy, baselines, seq marks and keys as the SQLite store does', async () => {
    const start = Date.now() - 3_600_000;
    const readings = sampleReadings(model, { start, perDevice: 30 });
    const sqlite = await createSqliteStore({ path: join(dir, 'parity.db'), model, logger });
    stores.push(sqlite);
    const influx = await openInflux({ db: 'parity' });
    await sqlite.write(readings);
    await influx.write(readings);

    expect(await influx.keys()).toEqual(await sqlite.keys());
    expect(await influx.maxSeqByDevice()).toEqual(await sqlite.maxSeqByDevice());
    const byDevice = (l: { device: string }[]) => [...l].sort((a, b) => (a.device < b.device ? -1 : 1));
    expect(byDevice(await influx.latest())).toEqual(byDevice(await sqlite.latest()));
    for (const since of [start - 1000, start + 120_000, start + 3_000_000]) {
      expect(await influx.kwhBaselines(since)).toEqual(await sqlite.kwhBaselines(since));
      const [a, b] = [await influx.energySince(since), await sqlite.energySince(since)];
      expect(a.map((e) => e.enterprise).sort()).toEqual(b.map((e) => e.enterprise).sort());
      for (const e of a) expect(e.kwh).toBeCloseTo(b.find((x) => x.enterprise === e.enterprise)!.kwh, 6);
    }
    for (const series of HISTORY_SERIES) {
      for (const bucketMs of [10_000, 60_000]) {
        const q = { series, from: start - 5000, to: start + 400_000, bucketMs };
        const [a, b] = [await influx.history(q), await sqlite.history(q)];
        expect(a.length, `${series} ${bucketMs}`).toBe(b.length);
        expect(a.length).toBeGreaterThan(0);
        a.forEach((p, i) => {
          expect(p.t).toBe(b[i]!.t);
          expect(p.v).toBeCloseTo(b[i]!.v, 6);
        });
      }
    }
    // The device view's reads: one device's series, energy over a closed range, its events and status changes.
    for (const [device, series] of [['mtr-longyuan-1', 'park.power'], ['g5-01', 'node5g.dl'], ['cam-001', 'camera.bitrate'], ['cam-001', 'camera.events']] as const) {
      const q = { series, from: start - 5000, to: start + 400_000, bucketMs: 60_000, device };
      const [a, b] = [await influx.history(q), await sqlite.history(q)];
      expect(a.length, `${device} ${series}`).toBe(b.length);
      a.forEach((p, i) => expect(p.v).toBeCloseTo(b[i]!.v, 6));
    }
    const park = await sqlite.history({ series: 'park.power', from: start - 5000, to: start + 400_000, bucketMs: 60_000 });
    const one = await sqlite.history({ series: 'park.power', from: start - 5000, to: start + 400_000, bucketMs: 60_000, device: 'mtr-longyuan-1' });
    expect(one.length).toBeGreaterThan(0);
    // One meter, not the park: over the range its power sums to less than the park's (a single
    // bucket may hold that meter's reading alone, so compare the whole range).
    const sum = (ps: { v: number }[]): number => ps.reduce((acc, p) => acc + p.v, 0);
    expect(sum(one)).toBeLessThan(sum(park));
    const [ea, eb] = [await influx.energySince(start, start + 600_000), await sqlite.energySince(start, start + 600_000)];
    expect(ea.map((e) => e.enterprise).sort()).toEqual(eb.map((e) => e.enterprise).sort());
    for (const e of ea) expect(e.kwh).toBeCloseTo(eb.find((x) => x.enterprise === e.enterprise)!.kwh, 6);
    let logged = 0;
    for (const d of model.devices.slice(0, 20)) {
      const q = { device: d.id, from: start - 5000, to: Date.now() + 1000, limit: 5 };
      const [la, lb] = [await influx.deviceLog(q), await sqlite.deviceLog(q)];
      expect(la, d.id).toEqual(lb);
      logged += la.status.length + la.events.length;
    }
    expect(logged).toBeGreaterThan(0);
  });

  it('keeps two readings of a device in one millisecond apart, and a replay lands on its own point', async () => {
    const store = await openInflux();
    const readings = sampleReadings(model, { start: Date.now() - 600_000, perDevice: 3, devices: 1 });
    const first = await store.write(readings);
    expect(first).toEqual({ inserted: readings.length, duplicates: [] });
    const keys = await store.keys();
    const meter = readings.filter((r) => r.kind === 'meter' && r.channel === 'telemetry');
    const [a, b] = meter.slice(-2);
    expect(a!.ts).toBe(b!.ts);
    expect(keys.filter((k) => k.device === a!.device && k.channel === 'telemetry').map((k) => k.seq)).toEqual(meter.map((r) => r.seq));

    // Everything again (a redelivery after a crash): nothing new, every one reported as a duplicate.
    const again = await store.write(readings);
    expect(again.inserted).toBe(0);
    expect(again.duplicates).toHaveLength(readings.length);
    expect(await store.keys()).toEqual(keys);
    const raw = (await influxd.query('SELECT count("seq") FROM "meter"', DB)) as { results: { series?: { values: number[][] }[] }[] };
    expect(raw.results[0]!.series![0]!.values[0]![1]).toBe(meter.length);
  });

  it('sends a point the database refuses (HTTP 400) to the dead-letter file with the reason, and stores the rest', async () => {
    const store = await openInflux({ db: 'dead' });
    const readings = sampleReadings(model, { start: Date.now() - 300_000, perDevice: 4, devices: 1 });
    const meter = model.devices.find((d) => d.kind === 'meter')!;
    // A device clock in the year 5138: valid for the schema, outside InfluxDB's time range.
    const bad: Reading = { ...readings.find((r) => r.device === meter.id && r.channel === 'telemetry')!, seq: 9999, ts: 99_999_999_999_000 };
    const batch = [...readings.slice(0, 5), bad, ...readings.slice(5)];
    await store.write(batch);
    expect(store.stats().deadLettered).toBe(1);
    expect(store.lossStats()).toEqual({ spoolLines: 0, deadLettered: 1 });
    const deadFile = join(dir, `dead-${n - 1}.ndjson`);
    const entries = readFileSync(deadFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { line: string; reason: string; status: number });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.status).toBe(400);
    expect(entries[0]!.line).toContain('seq=9999i');
    expect(entries[0]!.reason).toMatch(/time|range|partial/i);
    const keys = await store.keys({ device: meter.id });
    const expected = readings.filter((r) => r.device === meter.id && !(r.channel === 'status' && r.values.will)).map((r) => r.seq);
    expect(keys.map((k) => k.seq).sort((x, y) => x - y)).toEqual(expected.sort((x, y) => x - y));
  });

  it('spools while the database is down, acknowledges from the spool, and replays in order when it returns', async () => {
    const store = await openInflux({ db: 'outage' });
    const readings = sampleReadings(model, { start: Date.now() - 200_000, perDevice: 10 });
    const half = Math.floor(readings.length / 2);
    await store.write(readings.slice(0, half));
    expect(store.stats()).toMatchObject({ mode: 'direct', written: half, spooled: 0 });
    await influxd.stop();
    try {
      // Each write resolves (fsynced to the spool) although nothing answers behind nginx (502).
      for (let i = half; i < readings.length; i += 10) await store.write(readings.slice(i, i + 10));
      expect(store.stats().mode).toBe('spooling');
      expect(store.stats().spooled).toBe(readings.length - half);
      expect(store.lossStats().spoolLines).toBe(readings.length - half); // the depth the metrics report
      expect(store.stats().sendFailures).toBeGreaterThan(0);
    } finally {
      await influxd.start();
    }
    await store.drained();
    expect(store.stats()).toMatchObject({ mode: 'direct', replayed: readings.length - half, spoolSegments: 0, deadLettered: 0 });
    expect(store.lossStats().spoolLines).toBe(0);
    const expected = readings.filter((r) => !(r.channel === 'status' && r.values.will)).length;
    expect(await store.keys()).toHaveLength(expected);
  });

  it('keeps spooled points across a restart of the ingest and replays them then', async () => {
    const spoolDir = join(dir, 'crash-spool');
    const readings = sampleReadings(model, { start: Date.now() - 100_000, perDevice: 5 });
    await influxd.stop();
    let first: InfluxStore;
    try {
      first = await openInflux({ db: 'crash', spoolDir }); // the database does not answer at start: no failure
      await first.write(readings);
      expect(first.stats().spooled).toBe(readings.length);
      await first.close();
    } finally {
      await influxd.start();
    }
    const second = await openInflux({ db: 'crash', spoolDir });
    await second.drained();
    expect(second.stats().replayed).toBe(readings.length);
    expect(existsSync(spoolDir)).toBe(true);
    expect(await second.keys()).toHaveLength(readings.filter((r) => !(r.channel === 'status' && r.values.will)).length);
  });

  it('refuses to start against a server without /api/v2/write (InfluxDB before 1.8), with a clear message', async () => {
    const err = await createInfluxStore({
      endpoint: { url: influxd.url, org: 'parkpulse', bucket: DB, timeoutMs: 3000 }, model, logger,
      spoolDir: join(dir, 'never'), deadLetterPath: join(dir, 'never.ndjson'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('influx-no-v2-write');
    expect((err as StoreError).message).toMatch(/no \/api\/v2\/write.*1\.8/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('refuses to start when the database (bucket) does not exist, naming it', async () => {
    const err = await openInflux({ db: 'no_such_db' }).catch((e: unknown) => e);
    expect((err as StoreError).code).toBe('influx-not-found');
    expect((err as StoreError).message).toMatch(/database not found.*no_such_db/);
  });

  it('keeps points in the spool when the database disappears after the start, and says why', async () => {
    await influxd.query('CREATE DATABASE vanishing');
    const store = await openInflux({ db: 'vanishing' });
    await influxd.query('DROP DATABASE vanishing');
    const readings = sampleReadings(model, { start: Date.now() - 50_000, perDevice: 1, devices: 1 });
    await store.write(readings);
    expect(store.stats()).toMatchObject({ mode: 'spooling', spooled: readings.length, written: 0 });
    await expect(store.keys()).rejects.toThrow(/not executed.*"vanishing" does not exist/);
    await expect(store.maxSeqByDevice()).rejects.toThrow(/database not found: vanishing/);
    // Once it exists again, the spool goes out.
    await influxd.query('CREATE DATABASE vanishing');
    await store.drained();
    expect(await store.keys()).toHaveLength(readings.filter((r) => !(r.channel === 'status' && r.values.will)).length);
  });

  it('opens read-only for the screen: reads work, writes are refused', async () => {
    const reader = await openInflux({ db: 'parity', readOnly: true });
    expect((await reader.keys()).length).toBeGreaterThan(0);
    await expect(reader.write(sampleReadings(model, { start: Date.now(), perDevice: 1, devices: 1 }))).rejects.toThrow(/read-only/);
  });

  it('reports, through the ingest and its metrics, dead letters apart from accepted readings and the real spool depth', async () => {
    await influxd.query('CREATE DATABASE ingestloss');
    const park = await startPark({ ingest: false, screen: false });
    try {
      const store = await openInflux({ db: 'ingestloss' });
      // A far-future clock passes the ingest (limit lifted) and InfluxDB refuses it: a dead letter.
      const ingest = await park.startIngest({ store, maxFutureMs: 1e15 });
      const registry = createMetricsRegistry();
      registerIngestMetrics(registry, { stats: ingest.stats });
      const id = 'mtr-longyuan-1';
      const c = await mqtt.connectAsync(park.mqttUrl, { clientId: id, username: id, password: deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id), reconnectPeriod: 0 });
      const topic = deviceTopic(park.model.id, 'meter', id, 'telemetry');
      const body = (seq: number, ts: number): string => JSON.stringify({ ts, seq, kw: 100, kwh: 1000 + seq, voltage: 400, current: 150, powerFactor: 0.95 });
      try {
        await c.publishAsync(topic, body(1, Date.now()), { qos: 1 });
        await c.publishAsync(topic, body(2, 99_999_999_999_000), { qos: 1 });
        await waitFor('dead letter counted', () => ingest.stats().deadLettered === 1, 10_000);
        expect(ingest.stats().accepted).toBe(1);
        expect(await registry.metrics()).toMatch(/^parkpulse_ingest_dead_letters_total 1$/m);
        await influxd.stop();
        try {
          for (let seq = 3; seq < 13; seq++) await c.publishAsync(topic, body(seq, Date.now()), { qos: 1 });
          await waitFor('ten readings spooled', () => ingest.stats().spoolDepth === 10, 20_000);
          expect(await registry.metrics()).toMatch(/^parkpulse_ingest_spool_depth 10$/m);
        } finally {
          await influxd.start();
        }
        await store.drained();
        expect(ingest.stats().spoolDepth).toBe(0);
      } finally {
        await c.endAsync();
      }
    } finally {
      await park.stop();
    }
  });
});
