// The embedded SQLite store (default when no InfluxDB is configured). All database work runs in a
// worker thread; this side only posts batches and awaits their commits.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../shared/logger.ts';
import type { ParkModel } from '../../shared/park-model.ts';
import { startWorker } from '../../shared/worker.ts';
import { StoreError } from './errors.ts';
import type { SqliteWorkerData, WorkerRequest, WorkerResponse } from './sqlite-worker.ts';
import type { TelemetryStore, WriteResult } from './types.ts';

export interface SqliteStoreOptions {
  /** Database file; created with its folder when missing (writer only). */
  path: string;
  model: ParkModel;
  logger: Logger;
  /** Open for reading only (the screen server); default false. */
  readOnly?: boolean;
  /** Default FULL: every commit is fsynced before a reading is acknowledged. */
  synchronous?: 'FULL' | 'NORMAL';
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type RequestWithoutId = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export async function createSqliteStore(opts: SqliteStoreOptions): Promise<TelemetryStore> {
  const log = opts.logger.child({ module: 'sqlite-store', path: opts.path, readOnly: opts.readOnly ?? false });
  if (!opts.readOnly) mkdirSync(dirname(opts.path), { recursive: true });
  const workerData: SqliteWorkerData = {
    path: opts.path,
    readOnly: opts.readOnly ?? false,
    synchronous: opts.synchronous ?? 'FULL',
    devices: opts.model.devices.map((d) => ({ device: d.id, kind: d.kind, enterprise: d.enterprise ?? null, zone: d.zone })),
  };
  const worker: Worker = startWorker(new URL('./sqlite-worker.ts', import.meta.url), { workerData });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failed: Error | null = null;
  let closed = false;

  const failAll = (err: Error): void => {
    failed = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  await new Promise<void>((resolve, reject) => {
    const onFirst = (msg: WorkerResponse): void => {
      if (msg.id !== 0) return;
      worker.off('message', onFirst);
      if (msg.ok) resolve();
      else reject(new StoreError('store-failed', `cannot open ${opts.path}: ${msg.error}`));
    };
    worker.on('message', onFirst);
    worker.once('error', (err) => reject(new StoreError('store-failed', `store worker failed to start: ${err.message}`)));
  });

  worker.on('message', (msg: WorkerResponse) => {
    if (msg.id === 0) return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new StoreError('store-failed', msg.error));
  });
  worker.on('error', (err) => {
    log.error({ err }, 'store worker crashed');
    failAll(new StoreError('store-failed', `store worker crashed: ${err.message}`));
  });
  worker.on('exit', (code) => {
    if (!closed) {
      log.error({ code }, 'store worker exited');
      failAll(new StoreError('store-failed', `store worker exited with code ${code}`));
    }
  });

  function call<T>(req: RequestWithoutId): Promise<T> {
    if (failed) return Promise.reject(failed);
    if (closed) return Promise.reject(new StoreError('store-failed', 'store is closed'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id });
    });
  }

  log.info('store open');
  return {
    write: (rows) => (rows.length === 0 ? Promise.resolve({ inserted: 0, duplicates: [] }) : call<WriteResult>({ op: 'write', rows })),
    history: (args) => call({ op: 'history', args }),
    latest: () => call({ op: 'latest' }),
    energySince: (since, until) => call({ op: 'energySince', since, ...(until === undefined ? {} : { until }) }),
    deviceLog: (args) => call({ op: 'deviceLog', args }),
    kwhBaselines: (since) => call({ op: 'kwhBaselines', since }),
    maxSeqByDevice: () => call({ op: 'maxSeqByDevice' }),
    keys: (filter) => call({ op: 'keys', ...(filter ? { filter } : {}) }),
    async close() {
      if (closed) return;
      // Requests already posted are answered before `close` (the worker serves them in order).
      const done = failed ? Promise.resolve() : call({ op: 'close' }).catch(() => {});
      closed = true;
      await done;
      await worker.terminate();
      log.info('store closed');
    },
  };
}
