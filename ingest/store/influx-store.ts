// The InfluxDB store: line protocol through the WriteApi, reads in InfluxQL, and no loss.
//
// `write()` resolves only once its points are written or safely spooled (fsynced); the ingest
// acknowledges the broker's QoS 1 messages only after that. While InfluxDB does not answer, every
// batch goes to the on-disk spool, and a replayer sends the spool oldest first once it answers
// again; only when the spool is empty do batches go straight to InfluxDB again. Points are
// idempotent (influx-schema.ts), so a replay, a redelivery after a crash or a re-sent half of a
// refused request overwrites its own earlier point instead of adding a duplicate. Points refused
// as malformed (HTTP 400) go to the dead-letter file with the server's reason.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../shared/logger.ts';
import type { ParkModel } from '../../shared/park-model.ts';
import { createThrottledLog } from '../../shared/throttled-log.ts';
import { StoreError } from './errors.ts';
import { createDeadLetters, type DeadLetters } from './influx-dead-letter.ts';
import { probeWriteEndpoint, safeUrl, type InfluxEndpoint } from './influx-endpoint.ts';
import { readingToLine } from './influx-line-protocol.ts';
import { createInfluxQl } from './influx-query.ts';
import { createInfluxReader } from './influx-reads.ts';
import { openSpool, type Spool } from './influx-spool.ts';
import { createLineSender, type LineSender } from './influx-writer.ts';
import { createRecentKeys } from './recent-keys.ts';
import type { Reading, StoreLossStats, TelemetryStore } from './types.ts';

export interface InfluxStoreOptions {
  endpoint: InfluxEndpoint;
  model: ParkModel;
  logger: Logger;
  /** Reads only (the screen server): no spool, no writes, no write probe. Default false. */
  readOnly?: boolean;
  /** Spool folder (writers). */
  spoolDir?: string;
  /** Dead-letter NDJSON file (writers). */
  deadLetterPath?: string;
  /** Lines per HTTP request at most; default 5000. */
  maxLinesPerRequest?: number;
  /** Replay backoff after a failed attempt, ms: first and ceiling; default 250 and 5000. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Spool segment size before a new file starts; default 8 MiB. */
  maxSegmentBytes?: number;
}

export interface InfluxStoreStats {
  /** `direct`: batches go to InfluxDB; `spooling`: to the spool, replayed in order. */
  mode: 'direct' | 'spooling';
  /** Lines written straight to InfluxDB. */
  written: number;
  /** Lines appended to the spool. */
  spooled: number;
  /** Spooled lines since written by the replayer. */
  replayed: number;
  deadLettered: number;
  /** Failed sends (each one spooled or retried). */
  sendFailures: number;
  spoolSegments: number;
  spoolBytes: number;
}

export interface InfluxStore extends TelemetryStore {
  stats(): InfluxStoreStats;
  lossStats(): StoreLossStats;
  /** Resolves once the spool is empty (every spooled point written or dead-lettered). */
  drained(): Promise<void>;
}

/** Errors that mean "this configuration cannot write": logged as errors, data still spooled. */
const CONFIG_ERRORS = new Set(['influx-auth', 'influx-not-found', 'influx-no-v2-write']);

function chunk(lines: readonly string[], maxLines: number, maxBytes: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    if (cur.length >= maxLines || (cur.length > 0 && bytes + line.length > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(line);
    bytes += line.length + 1;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export async function createInfluxStore(opts: InfluxStoreOptions): Promise<InfluxStore> {
  const { endpoint, model } = opts;
  const log = opts.logger.child({ module: 'influx-store', url: safeUrl(endpoint.url), bucket: endpoint.database ?? endpoint.bucket, readOnly: opts.readOnly ?? false });
  const reader = createInfluxReader(createInfluxQl(endpoint), model);

  if (opts.readOnly) {
    log.info('store open (InfluxDB, reads only)');
    const refuse = (): never => {
      throw new StoreError('store-failed', 'store opened read-only');
    };
    return {
      ...reader,
      write: async () => refuse(),
      stats: () => ({ mode: 'direct', written: 0, spooled: 0, replayed: 0, deadLettered: 0, sendFailures: 0, spoolSegments: 0, spoolBytes: 0 }),
      lossStats: () => ({ spoolLines: 0, deadLettered: 0 }),
      drained: () => Promise.resolve(),
      close: async () => {},
    };
  }

  if (!opts.spoolDir || !opts.deadLetterPath) throw new TypeError('a writing InfluxDB store needs spoolDir and deadLetterPath');
  const probe = await probeWriteEndpoint(endpoint); // throws on a fatal configuration error
  if (!probe.ok) log.warn({ err: probe.error.message }, 'InfluxDB does not answer yet: points are spooled until it does');

  const maxLines = opts.maxLinesPerRequest ?? 5000;
  const maxRequestBytes = 8 * 1024 * 1024;
  const retryMin = opts.retryMinMs ?? 250;
  const retryMax = opts.retryMaxMs ?? 5000;
  const sender: LineSender = createLineSender({ endpoint, logger: opts.logger, maxLines });
  const spool: Spool = openSpool({ dir: opts.spoolDir, maxSegmentBytes: opts.maxSegmentBytes });
  const dead: DeadLetters = createDeadLetters({ path: opts.deadLetterPath, logger: opts.logger });
  const recent = createRecentKeys();
  const warn = createThrottledLog(log, { perWindow: 3 });
  const counters = { written: 0, spooled: 0, replayed: 0, sendFailures: 0 };
  let replaying = false;
  let replayer: Promise<void> | null = null;
  let closing = false;
  const wake = new AbortController();
  const drainWaiters: (() => void)[] = [];

  // Writes (direct or to the spool) and the replayer's switch back to direct run one at a time.
  let lock: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn);
    lock = run.catch(() => {});
    return run;
  };

  /** Sends one request's worth; a refused request is halved until the refused lines are alone. */
  async function sendChunk(lines: string[]): Promise<void> {
    try {
      await sender.send(lines);
    } catch (err) {
      const e = err as StoreError;
      if ((e.code === 'influx-refused' || e.code === 'influx-too-large') && lines.length > 1) {
        // InfluxDB may have written the good lines of a refused request already ("partial
        // write"); sending them again overwrites them with themselves.
        const mid = Math.ceil(lines.length / 2);
        await sendChunk(lines.slice(0, mid));
        await sendChunk(lines.slice(mid));
        return;
      }
      if (e.code === 'influx-refused') {
        await dead.add([{ line: lines[0]!, reason: e.message, status: e.status }]);
        return;
      }
      throw e;
    }
  }

  async function deliver(lines: readonly string[]): Promise<void> {
    for (const c of chunk(lines, maxLines, maxRequestBytes)) await sendChunk(c);
  }

  // A configuration error repeats with every replay attempt: an error line at most once a minute.
  let lastConfigError = 0;
  function reportSendFailure(err: StoreError, what: string): void {
    counters.sendFailures++;
    const fields = { code: err.code, status: err.status, err: err.message };
    if (!CONFIG_ERRORS.has(err.code)) {
      warn(`${what}-${err.code}`, fields, `${what}: InfluxDB unavailable; points go to the spool`);
    } else if (Date.now() - lastConfigError >= 60_000) {
      lastConfigError = Date.now();
      log.error({ ...fields, failures: counters.sendFailures }, `${what}: InfluxDB refuses this configuration; points stay in the spool`);
    }
  }

  function notifyDrained(): void {
    for (const w of drainWaiters.splice(0)) w();
  }

  function startReplayer(): void {
    if (replayer || closing) return;
    replaying = true;
    replayer = replay().finally(() => {
      replayer = null;
    });
  }

  async function replay(): Promise<void> {
    let delay = retryMin;
    let replayedThisRun = 0;
    log.info(spool.stats(), 'replaying the spool');
    while (!closing) {
      // Deciding "empty, back to direct" under the write lock: no batch can slip into the spool
      // after the last segment was taken and stay there unnoticed.
      const segment = await serial(async () => {
        const s = await spool.oldest();
        if (!s) replaying = false;
        return s;
      });
      if (!segment) {
        log.info({ replayed: replayedThisRun }, 'spool drained; writing directly again');
        notifyDrained();
        return;
      }
      try {
        const { lines, torn } = await spool.read(segment);
        if (torn > 0) log.warn({ torn, segment: segment.path }, 'skipped spooled lines of an append that never completed (never acknowledged)');
        await deliver(lines);
        await spool.remove(segment);
        counters.replayed += lines.length;
        replayedThisRun += lines.length;
        delay = retryMin;
        log.info({ replayed: replayedThisRun, ...spool.stats() }, 'spool replay progress');
      } catch (err) {
        reportSendFailure(err as StoreError, 'replay');
        try {
          await sleep(delay, undefined, { signal: wake.signal });
        } catch {
          // woken by close()
        }
        delay = Math.min(retryMax, delay * 2);
      }
    }
  }

  function toLines(batch: readonly Reading[]): { lines: string[]; unmapped: { line: string; reason: string }[] } {
    const lines: string[] = [];
    const unmapped: { line: string; reason: string }[] = [];
    for (const r of batch) {
      try {
        lines.push(readingToLine(r, model.id));
      } catch (err) {
        unmapped.push({ line: JSON.stringify(r), reason: (err as Error).message });
      }
    }
    return { lines, unmapped };
  }

  // Points an earlier run spooled go out first.
  if (!spool.empty) startReplayer();
  log.info({ spool: spool.stats(), probe: probe.ok ? 'ok' : 'unanswered' }, 'store open (InfluxDB)');

  return {
    ...reader,
    async write(batch) {
      if (closing) throw new StoreError('store-failed', 'store is closed');
      if (batch.length === 0) return { inserted: 0, duplicates: [] };
      const duplicates = recent.duplicates(batch);
      const { lines, unmapped } = toLines(batch);
      if (unmapped.length > 0) await dead.add(unmapped);
      await serial(async () => {
        if (!replaying && spool.empty) {
          try {
            await deliver(lines);
            counters.written += lines.length;
            return;
          } catch (err) {
            reportSendFailure(err as StoreError, 'write');
          }
        }
        await spool.append(lines);
        counters.spooled += lines.length;
        startReplayer();
      });
      recent.remember(batch);
      return { inserted: batch.length - duplicates.length, duplicates };
    },
    stats: () => ({ mode: replaying || !spool.empty ? 'spooling' : 'direct', ...counters, deadLettered: dead.count, spoolSegments: spool.stats().segments, spoolBytes: spool.stats().bytes }),
    lossStats: () => ({ spoolLines: spool.stats().lines, deadLettered: dead.count }),
    drained: () => (!replaying && spool.empty ? Promise.resolve() : new Promise<void>((r) => drainWaiters.push(r))),
    async close() {
      if (closing) return;
      closing = true;
      wake.abort();
      await serial(async () => {}); // the write in flight finishes (written or spooled)
      await replayer;
      await sender.close();
      await spool.close();
      notifyDrained();
      log.info({ ...counters, deadLettered: dead.count, spool: spool.stats() }, 'store closed');
    },
  };
}
