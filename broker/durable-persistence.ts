// The broker's durable mode: QoS 1 queues of offline sessions (and retained messages and wills) in
// LevelDB through aedes-persistence-level, so a broker crash does not lose what it has
// acknowledged. One broker process per folder (LevelDB locks it).
//
// Aedes routes a message only after its persistence writes complete (storing a retained message,
// queueing it for offline sessions, and, per delivery to a persistent session, recording its
// packet id), and those complete in any order when they are real disk writes: a later message
// can overtake an earlier one. The completions are therefore released in call order here (the
// writes themselves still run concurrently), so every topic keeps its order (MQTT-4.6.0-6).
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import persistenceLevel, { type LevelPersistence } from 'aedes-persistence-level';

export interface DiskPersistence {
  /** For Aedes' `persistence` option. */
  persistence: LevelPersistence;
  close(): Promise<void>;
}

/** Wraps an async function so its results are delivered in call order. */
export function inCallOrder<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let previous: Promise<unknown> = Promise.resolve();
  return (...args) => {
    const own = fn(...args);
    // `own` may reject while an earlier call is still pending, before `released` adopts it: without
    // a handler of its own that is an unhandled rejection, which ends the process (Node's default).
    // Seen as a broker crash on 'no such packet' (outgoingUpdate) in the reconnect wave after a
    // restart. The caller still gets the rejection through `released`.
    own.catch(noop);
    const before = previous;
    const released = before.then(
      () => own,
      () => own,
    );
    previous = released.catch(() => {});
    return released;
  };
}

type Op = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };

/** Written values kept in memory to answer reads without a disk read; most are read back soon. */
const READ_CACHE_ENTRIES = 50_000;

/**
 * Makes the persistence's LevelDB cheaper per routed message, which costs it several writes
 * (queue the message, record its packet id, delete both on PUBACK) and reads (each write above
 * re-reads what it changes):
 * - the single puts, deletes and batches issued within one turn of the event loop go to LevelDB
 *   as one batch, instead of one native call and thread-pool job each;
 * - values are kept in memory once their batch is written (a bounded cache), so reading one back
 *   needs no disk read. A delete drops the entry when it is issued.
 * Each caller's promise settles only once its batch is written, so a write is never reported done
 * before it is, and no read sees a value before it is on disk. Iterators and `clear` read LevelDB
 * itself (they never race the writes they depend on: Aedes awaits those first).
 */
export function coalesceWrites(db: Level<string, Buffer>): { settled(): Promise<void> } {
  const batch = db.batch.bind(db) as (ops?: Op[], opts?: object) => unknown;
  const get = db.get.bind(db) as (key: string, opts?: object) => Promise<Buffer | undefined>;
  const clear = db.clear.bind(db) as (range: { gte?: string; lt?: string }) => Promise<void>;
  let last: Promise<unknown> = Promise.resolve();
  const cache = new Map<string, Buffer>();
  let pending: { ops: Op[]; settle: { resolve: () => void; reject: (e: Error) => void }[] } | null = null;
  const flush = (): void => {
    const p = pending!;
    pending = null;
    last = (batch(p.ops, { valueEncoding: 'buffer' }) as Promise<void>).then(
      () => {
        for (const op of p.ops) {
          if (op.type !== 'put') continue;
          cache.delete(op.key); // re-insert as newest
          cache.set(op.key, op.value);
          if (cache.size > READ_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
        }
        for (const s of p.settle) s.resolve();
      },
      (err: Error) => p.settle.forEach((s) => s.reject(err)),
    );
  };
  const enqueue = (ops: Op[]): Promise<void> => {
    for (const op of ops) cache.delete(op.key);
    if (!pending) {
      pending = { ops: [], settle: [] };
      setImmediate(flush);
    }
    const p = pending;
    p.ops.push(...ops);
    return new Promise<void>((resolve, reject) => p.settle.push({ resolve, reject }));
  };
  const d = db as unknown as Record<'put' | 'del' | 'batch' | 'get' | 'clear', unknown>;
  d.put = (key: string, value: Buffer) => enqueue([{ type: 'put', key, value }]);
  d.del = (key: string) => enqueue([{ type: 'del', key }]);
  // A range clear (a clean session's stored QoS 2 ids) drops the cached values in the range too.
  d.clear = (range: { gte?: string; lt?: string }) => {
    for (const key of [...cache.keys()]) if ((range.gte === undefined || key >= range.gte) && (range.lt === undefined || key < range.lt)) cache.delete(key);
    return clear(range);
  };
  d.get = (key: string, opts?: object) => {
    const hit = cache.get(key);
    return hit ? Promise.resolve(hit) : get(key, opts);
  };
  d.batch = (ops?: Op[]) => {
    if (ops !== undefined) return enqueue(ops.map((o) => ({ ...o })));
    // The chained form (`db.batch().del(a).del(b).write()`), coalesced the same way.
    const chained: Op[] = [];
    const c = {
      put: (key: string, value: Buffer) => (chained.push({ type: 'put', key, value }), c),
      del: (key: string) => (chained.push({ type: 'del', key }), c),
      write: () => enqueue(chained),
      close: () => Promise.resolve(),
    };
    return c;
  };
  return {
    // The batch queued for this turn (if any) and the one written last.
    settled: () => new Promise<void>((r) => setImmediate(r)).then(() => last.then(noop, noop)),
  };
}

function noop(): void {}

export async function openDiskPersistence(dir: string): Promise<DiskPersistence> {
  mkdirSync(dir, { recursive: true });
  const db = new Level<string, Buffer>(dir);
  // Open now, so a locked or unreadable folder fails the start with its own message.
  await db.open().catch((err: Error & { cause?: Error }) => {
    throw new Error(`broker persistence ${dir}: ${err.cause?.message ?? err.message} (one broker per folder)`, { cause: err });
  });
  const writes = coalesceWrites(db);
  const persistence = persistenceLevel(db);
  persistence.outgoingEnqueueCombi = inCallOrder(persistence.outgoingEnqueueCombi.bind(persistence));
  persistence.storeRetained = inCallOrder(persistence.storeRetained.bind(persistence));
  persistence.outgoingUpdate = inCallOrder(persistence.outgoingUpdate.bind(persistence));
  return {
    persistence,
    async close() {
      await writes.settled();
      await persistence.destroy();
    },
  };
}
