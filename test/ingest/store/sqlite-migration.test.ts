// A store file written by the first layout (WITHOUT ROWID tables keyed by device name) opens in the
// current one with every row kept, and the views give the old names back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../../ingest/store/sqlite-store.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { loadParkModel } from '../../../shared/park-model.ts';

const dir = mkdtempSync(join(tmpdir(), 'parkpulse-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite store migration', () => {
  it('moves a first-layout file into the current schema, rows kept', async () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE devices (device TEXT PRIMARY KEY, kind TEXT NOT NULL, enterprise TEXT, zone TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE meter_telemetry (device TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, kw REAL, kwh REAL, voltage REAL, current REAL, power_factor REAL, PRIMARY KEY (device, seq)) WITHOUT ROWID;
      CREATE TABLE camera_telemetry (device TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, online INTEGER, fps REAL, bitrate_kbps REAL, storage_used_pct REAL, PRIMARY KEY (device, seq)) WITHOUT ROWID;
      CREATE TABLE camera_events (device TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, type TEXT, zone TEXT, confidence REAL, PRIMARY KEY (device, seq)) WITHOUT ROWID;
      CREATE TABLE node5g_telemetry (device TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, rsrp_dbm REAL, sinr_db REAL, dl_mbps REAL, ul_mbps REAL, latency_ms REAL, connected_ues INTEGER, PRIMARY KEY (device, seq)) WITHOUT ROWID;
      CREATE TABLE device_status (device TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, state TEXT, will INTEGER, PRIMARY KEY (device, seq, state)) WITHOUT ROWID;
      CREATE INDEX meter_telemetry_ts ON meter_telemetry (ts);
      INSERT INTO devices VALUES ('mtr-longyuan-1', 'meter', 'longyuan', 'mfg');
      INSERT INTO meter_telemetry VALUES ('mtr-longyuan-1', 1, 1719700000000, 1719700000005, 800, 1000, 400, 1200, 0.95);
      INSERT INTO meter_telemetry VALUES ('mtr-longyuan-1', 2, 1719700002000, 1719700002005, 810, 1000.5, 400, 1210, 0.95);
      INSERT INTO device_status VALUES ('cam-001', 7, 1719700000000, 1719700000001, 'online', NULL);`);
    old.close();

    const store = await createSqliteStore({ path, model: loadParkModel(), logger: silentLogger() });
    expect(await store.keys({ device: 'mtr-longyuan-1' })).toEqual([
      { device: 'mtr-longyuan-1', seq: 1, channel: 'telemetry' },
      { device: 'mtr-longyuan-1', seq: 2, channel: 'telemetry' },
    ]);
    expect(await store.keys({ device: 'cam-001' })).toEqual([{ device: 'cam-001', seq: 7, channel: 'status' }]);
    // Writing the same reading again is still a duplicate after the move.
    const again = await store.write([{ device: 'mtr-longyuan-1', kind: 'meter', channel: 'telemetry', seq: 2, ts: 1719700002000, receivedAt: 1, enterprise: 'longyuan', zone: 'mfg', values: { kw: 810, kwh: 1000.5, voltage: 400, current: 1210, powerFactor: 0.95 } }]);
    expect(again).toEqual({ inserted: 0, duplicates: [0] });
    await store.close();

    const view = new Database(path, { readonly: true });
    expect(view.prepare('SELECT device, seq, kw FROM meter_telemetry ORDER BY seq').all()).toEqual([
      { device: 'mtr-longyuan-1', seq: 1, kw: 800 },
      { device: 'mtr-longyuan-1', seq: 2, kw: 810 },
    ]);
    expect(view.pragma('user_version', { simple: true })).toBe(2);
    view.close();
  });
});
