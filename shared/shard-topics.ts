// Device shards of a park on a NATS cluster, and the topics they add to shared/topics.ts.
//
// A park too big for one ingest runs N ingest shards. The cluster's account mappings (written by
// `parkpulse cluster-config`) rewrite the 9 device subjects `park.<p>.<kind>.<device>.<channel>`
// to `shard.<k>.park.<p>.<kind>.<device>.<channel>` with k = partition(N, device): the broker does
// the hashing, so a device always lands on the same shard whoever is connected. In MQTT terms:
//
// Shard device topics: shard/{k}/park/{parkId}/{kind}/{deviceId}/{channel}   (shard k consumes)
// Shard parts:         park/{parkId}/shards/{k}/snapshot   (shard, retained: its devices, counters, events)
//                      park/{parkId}/shards/{k}/delta      (shard: what changed, every live interval)
//                      park/{parkId}/shards/{k}/alerts     (shard, retained: its open alerts)
// The park's aggregator merges the parts into the unchanged live/ and alerts/ topics.
//
// The command topic and alerts/reply are not mapped. A last will is published by the broker on the
// device's own (unmapped) status topic by nats-server 2.9 (it maps wills only when the account's
// mappings are known at CONNECT), so a shard also reads `park/{p}/{kind}/+/status` and keeps what
// hashes to it.
import { DEVICE_KINDS, isValidId, parseDeviceTopic, type TopicParseResult } from './topics.ts';

/** Most shards a park may have (the mapping's partition count). */
export const MAX_SHARDS = 1024;

export interface ShardSpec {
  /** 0 <= index < count. */
  index: number;
  count: number;
}

/**
 * The shard of a device: FNV-1a (32 bit) of the device id's bytes, mod N, exactly as nats-server's
 * `partition(N, token)` mapping computes it (subject_transform.go getHashPartition), so a process
 * can tell which shard owns a device without asking the broker. Ids are ASCII ([a-z0-9-]).
 */
export function shardOf(deviceId: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, got ${count}`);
  return fnv1a32(deviceId) % count;
}

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text` (Go's hash/fnv New32a). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

function assertShard(shard: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= MAX_SHARDS) throw new TypeError(`invalid shard ${shard}`);
}

/** What shard k subscribes to for its devices' messages (one filter per kind, as deviceFilters). */
export function shardDeviceFilters(parkId: string, shard: number): string[] {
  assertShard(shard);
  if (!isValidId(parkId)) throw new TypeError(`invalid park id ${JSON.stringify(parkId)}`);
  return DEVICE_KINDS.map((kind) => `shard/${shard}/park/${parkId}/${kind}/+/+`);
}

/** Every shard's device topics (the recorder's view of a sharded park). */
export function allShardsDeviceFilters(parkId: string): string[] {
  if (!isValidId(parkId)) throw new TypeError(`invalid park id ${JSON.stringify(parkId)}`);
  return DEVICE_KINDS.map((kind) => `shard/+/park/${parkId}/${kind}/+/+`);
}

/** Unmapped status topics: where nats-server 2.9 publishes last wills in a sharded park. */
export function unmappedStatusFilters(parkId: string): string[] {
  if (!isValidId(parkId)) throw new TypeError(`invalid park id ${JSON.stringify(parkId)}`);
  return DEVICE_KINDS.map((kind) => `park/${parkId}/${kind}/+/status`);
}

export type ShardPart = 'snapshot' | 'delta' | 'alerts';

export function shardPartTopic(parkId: string, shard: number, part: ShardPart): string {
  assertShard(shard);
  if (!isValidId(parkId)) throw new TypeError(`invalid park id ${JSON.stringify(parkId)}`);
  return `park/${parkId}/shards/${shard}/${part}`;
}

/** What the aggregator subscribes to: every shard's parts. */
export function shardPartsFilter(parkId: string): string {
  if (!isValidId(parkId)) throw new TypeError(`invalid park id ${JSON.stringify(parkId)}`);
  return `park/${parkId}/shards/#`;
}

/** `park/{p}/shards/{k}/{part}` -> shard and part, or null. */
export function parseShardPartTopic(topic: string, parkId: string): { shard: number; part: ShardPart } | null {
  const m = /^park\/([a-z0-9][a-z0-9-]{0,63})\/shards\/(\d{1,4})\/(snapshot|delta|alerts)$/.exec(topic);
  if (!m || m[1] !== parkId) return null;
  const shard = Number(m[2]);
  return shard < MAX_SHARDS ? { shard, part: m[3] as ShardPart } : null;
}

export type ShardTopicResult = TopicParseResult & { shard: number | null };

/**
 * A device topic as a shard receives it: `shard/{k}/park/...` (mapped), or `park/...` (a will the
 * broker did not map). `shard` is null for the unmapped form. Never throws.
 */
export function parseShardDeviceTopic(topic: string, expectedParkId?: string): ShardTopicResult {
  if (topic.startsWith('shard/')) {
    const slash = topic.indexOf('/', 6);
    const k = slash > 6 ? topic.slice(6, slash) : '';
    if (!/^\d{1,4}$/.test(k) || Number(k) >= MAX_SHARDS) return { ok: false, error: 'bad-shape', shard: null };
    return { ...parseDeviceTopic(topic.slice(slash + 1), expectedParkId), shard: Number(k) };
  }
  return { ...parseDeviceTopic(topic, expectedParkId), shard: null };
}
