// The embedded store's worker thread: owns the better-sqlite3 connection so that synchronous
// commits never block the event loop that routes MQTT and serves the screen (docs/facts.md: a large commit
// takes about a second on a loaded machine, all of it taken from whichever thread runs it).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createSchema } from './sqlite-migration.ts';
import { createReader } from './sqlite-reads.ts';
import { createWriter, upsertDevices, type DeviceRow } from './sqlite-writer.ts';

export interface SqliteWorkerData {
  path: string;
  /** Reader-only connection (the screen's history endpoints); never writes or migrates. */
  readOnly: boolean;
  devices: DeviceRow[];
  /** PRAGMA synchronous: FULL (default) fsyncs every commit, so an acknowledged reading survives power loss. */
  synchronous: 'FULL' | 'NORMAL';
}

export type WorkerRequest =
  | { id: number; op: 'write'; rows: Parameters<ReturnType<typeof createWriter>['write']>[0] }
  | { id: number; op: 'history'; args: Parameters<ReturnType<typeof createReader>['history']>[0] }
  | { id: number; op: 'latest' }
  | { id: number; op: 'energySince'; since: number; until?: number }
  | { id: number; op: 'deviceLog'; args: Parameters<ReturnType<typeof createReader>['deviceLog']>[0] }
  | { id: number; op: 'kwhBaselines'; since: number }
  | { id: number; op: 'maxSeqByDevice' }
  | { id: number; op: 'keys'; filter?: { device?: string } }
  | { id: number; op: 'close' };

export type WorkerResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string } | { id: 0; ok: true; result: 'ready' };

/**
 * WAL pages between automatic checkpoints (SQLite's default is 1,000, ~4 MB). Readings of many
 * devices interleave, so each row of a commit changes a `(device_id, seq)` index page of its own,
 * and the WAL holds the same pages again and again; a checkpoint writes each page back once,
 * however often it changed. With ten times the default (~40 MB of WAL at most), 150-row commits of
 * 1,000 meters cost 14.1 µs of CPU and 5.5 KiB of disk writes per row instead of 17.7 µs and
 * 9.1 KiB (docs/facts.md, "A checkpoint writes a page once").
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

const data = workerData as SqliteWorkerData;
const port = parentPort!;

function open(): Database.Database {
  if (data.readOnly) {
    const db = new Database(data.path, { fileMustExist: false });
    db.pragma('query_only = ON');
    db.pragma('busy_timeout = 2000');
    return db;
  }
  const db = new Database(data.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${data.synchronous}`);
  // Index pages of every device a batch touches stay cached between commits.
  db.pragma('cache_size = -65536');
  db.pragma('busy_timeout = 5000');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  createSchema(db);
  upsertDevices(db, data.devices);
  return db;
}

let db: Database.Database;
try {
  db = open();
} catch (err) {
  port.postMessage({ id: 0, ok: false, error: (err as Error).message } satisfies WorkerResponse);
  process.exit(1);
}
const writer = data.readOnly ? null : createWriter(db);
const reader = createReader(db);
port.postMessage({ id: 0, ok: true, result: 'ready' } satisfies WorkerResponse);

port.on('message', (req: WorkerRequest) => {
  try {
    let result: unknown;
    switch (req.op) {
      case 'write':
        if (!writer) throw new Error('store opened read-only');
        result = writer.write(req.rows);
        break;
      case 'history':
        result = reader.history(req.args);
        break;
      case 'latest':
        result = reader.latest();
        break;
      case 'energySince':
        result = reader.energySince(req.since, req.until);
        break;
      case 'deviceLog':
        result = reader.deviceLog(req.args);
        break;
      case 'kwhBaselines':
        result = reader.kwhBaselines(req.since);
        break;
      case 'maxSeqByDevice':
        result = reader.maxSeqByDevice();
        break;
      case 'keys':
        result = reader.keys(req.filter);
        break;
      case 'close':
        if (!data.readOnly) db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
        port.postMessage({ id: req.id, ok: true, result: null } satisfies WorkerResponse);
        port.close();
        return;
    }
    port.postMessage({ id: req.id, ok: true, result } satisfies WorkerResponse);
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, error: (err as Error).message } satisfies WorkerResponse);
  }
});
