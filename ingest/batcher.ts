// Groups readings into large store transactions (docs/facts.md: a SQLite row costs tens of times
// less in a large transaction than in one of its own) while bounding how long any reading waits. Batches commit strictly in order; a
// failed batch is retried with backoff and nothing behind it overtakes it, so acknowledgements to
// the broker stay in arrival order (MQTT-4.6.0-2) and nothing is acknowledged before it is stored.
import type { Logger } from '../shared/logger.ts';
import { withDefaults } from '../shared/options.ts';
import type { Reading, WriteResult } from './store/types.ts';

export interface BatcherOptions {
  write(rows: readonly Reading[]): Promise<WriteResult>;
  /** Called after each commit with the rows and what the store said about them. */
  onCommitted(rows: readonly Reading[], result: WriteResult): void;
  logger: Logger;
  /** Rows per transaction at most; default 5000. */
  maxRows?: number;
  /** ms the first reading of a batch waits at most; default 15. */
  flushIntervalMs?: number;
  /** Backoff after a failed write, ms: first and ceiling; default 200 and 10 000. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/**
 * The batching defaults (the CLI's --batch-max-rows and --flush-interval-ms read them too). The
 * wait is short because it was most of a reading's way to durable. At 10k msg/s end to end, with
 * 50 ms, a typical reading reached the ingest 15-42 ms after its device stamped it and was durable
 * 60-94 ms after (p50; p99 212-483 ms, three runs). With 15 ms: 7-12 and 22-32 ms (p99 99-145 ms),
 * and the broker used less CPU: smaller releases of held PUBACKs (docs/facts.md). Under load the
 * group commit below still makes transactions large.
 */
export const DEFAULT_BATCHER: Readonly<Required<Pick<BatcherOptions, 'maxRows' | 'flushIntervalMs' | 'retryMinMs' | 'retryMaxMs'>>> = Object.freeze({ maxRows: 5000, flushIntervalMs: 15, retryMinMs: 200, retryMaxMs: 10_000 });

export interface Batcher {
  /** Queues a reading; the promise resolves once it is durable. */
  add(reading: Reading): Promise<void>;
  /** Commits what is queued now and waits for every batch to be durable. */
  flush(): Promise<void>;
  /** Readings queued or being written. */
  readonly pending: number;
  /** Failed writes so far (each retried). */
  readonly failures: number;
}

interface Batch {
  rows: Reading[];
  done: Promise<void>;
  resolve: () => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { rows: [], done, resolve };
}

export function createBatcher(opts: BatcherOptions): Batcher {
  const log = opts.logger.child({ module: 'batcher' });
  const { maxRows, flushIntervalMs: intervalMs, retryMinMs: retryMin, retryMaxMs: retryMax } = withDefaults(DEFAULT_BATCHER, {
    maxRows: opts.maxRows,
    flushIntervalMs: opts.flushIntervalMs,
    retryMinMs: opts.retryMinMs,
    retryMaxMs: opts.retryMaxMs,
  });
  let open = newBatch();
  let timer: NodeJS.Timeout | null = null;
  const queue: Batch[] = []; // sealed, waiting to be written, in order
  let writing = false;
  let pending = 0;
  let failures = 0;

  function seal(): void {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (open.rows.length === 0) return;
    queue.push(open);
    open = newBatch();
    void drain();
  }

  // Group commit: while a transaction is being written, readings gather in the open batch instead
  // of being cut into small ones on the timer; the moment the write returns they go as one. Under
  // load transactions grow by themselves (docs/facts.md: rows per second rise about tenfold from 1
  // to 1,000 rows per transaction), and at a trickle a reading still waits `flushIntervalMs` at most.
  function onTimer(): void {
    timer = null;
    if (!writing) seal();
  }

  async function drain(): Promise<void> {
    if (writing) return;
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue[0]!;
        let delay = retryMin;
        for (;;) {
          try {
            const result = await opts.write(batch.rows);
            opts.onCommitted(batch.rows, result);
            break;
          } catch (err) {
            failures++;
            log.error({ err, rows: batch.rows.length, retryInMs: delay }, 'store write failed; retrying');
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(retryMax, delay * 2);
          }
        }
        queue.shift();
        pending -= batch.rows.length;
        batch.resolve();
        // What gathered during this write goes next, as one transaction.
        if (queue.length === 0 && open.rows.length > 0) {
          if (timer) clearTimeout(timer);
          timer = null;
          queue.push(open);
          open = newBatch();
        }
      }
    } finally {
      writing = false;
    }
  }

  return {
    add(reading) {
      open.rows.push(reading);
      pending++;
      const done = open.done;
      if (open.rows.length >= maxRows) seal();
      else timer ??= setTimeout(onTimer, intervalMs);
      return done;
    },
    async flush() {
      seal();
      const last = queue.at(-1);
      if (last) await last.done;
    },
    get pending() {
      return pending;
    },
    get failures() {
      return failures;
    },
  };
}
