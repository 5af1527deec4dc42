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
    const before = previous;
    const released = before.then(
      () => own,
      () => own,
    );
    previous = released.catch(() => {});
    return released;
  };
}

export async function openDiskPersistence(dir: string): Promise<DiskPersistence> {
  mkdirSync(dir, { recursive: true });
  const db = new Level<string, Buffer>(dir);
  // Open now, so a locked or unreadable folder fails the start with its own message.
  await db.open().catch((err: Error & { cause?: Error }) => {
    throw new Error(`broker persistence ${dir}: ${err.cause?.message ?? err.message} (one broker per folder)`, { cause: err });
  });
  const persistence = persistenceLevel(db);
  persistence.outgoingEnqueueCombi = inCallOrder(persistence.outgoingEnqueueCombi.bind(persistence));
  persistence.storeRetained = inCallOrder(persistence.storeRetained.bind(persistence));
  persistence.outgoingUpdate = inCallOrder(persistence.outgoingUpdate.bind(persistence));
  return { persistence, close: () => persistence.destroy() };
}
