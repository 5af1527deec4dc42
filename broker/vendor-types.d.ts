// aedes-persistence-level ships no types; the little the broker uses of it.
declare module 'aedes-persistence-level' {
  import type { Level } from 'level';

  /** The persistence on a Level database (promise API when called without callbacks). */
  export interface LevelPersistence {
    outgoingEnqueueCombi(subs: unknown[], packet: unknown): Promise<unknown>;
    storeRetained(packet: unknown): Promise<void>;
    outgoingUpdate(client: unknown, packet: unknown): Promise<void>;
    destroy(): Promise<void>;
  }

  export default function persistence(db: Level<string, Buffer>): LevelPersistence;
}
