// Which messages an ingest shard takes. Mapped device topics arrive as shard/{k}/park/...; the
// unmapped status topics carry last wills (nats-server 2.9 publishes them unmapped) for every
// device, of which the shard keeps its own.
import { parseShardDeviceTopic } from '../../shared/shard-topics.ts';
import type { ShardSpec } from '../../shared/shard-topics.ts';
import { ownsDevice } from './shard-view.ts';

export type ShardRoute =
  /** For this shard: go on with `topic` (the device topic, without the shard prefix). */
  | { take: true; topic: string }
  /** Another shard's will: acknowledge and leave it to that shard (counted, not a rejection). */
  | { take: false; reason: 'other-shard' }
  /** A shard topic this shard must not get (mappings and shard count disagree): a rejection. */
  | { take: false; reason: 'shard-mismatch'; detail: string };

export function routeShardTopic(topic: string, spec: ShardSpec, parkId: string): ShardRoute {
  const parsed = parseShardDeviceTopic(topic, parkId);
  // A topic that is not a device topic at all is left to the pipeline, which rejects it by reason.
  if (!parsed.ok) return { take: true, topic: parsed.shard === null ? topic : topic.slice(topic.indexOf('/', 6) + 1) };
  const { deviceId } = parsed.topic;
  const mine = ownsDevice(spec, deviceId);
  const deviceTopic = parsed.shard === null ? topic : topic.slice(topic.indexOf('/', 6) + 1);
  if (parsed.shard === null) return mine ? { take: true, topic: deviceTopic } : { take: false, reason: 'other-shard' };
  if (parsed.shard !== spec.index || !mine) {
    return { take: false, reason: 'shard-mismatch', detail: `${deviceId} on shard/${parsed.shard}, this is shard ${spec.index} of ${spec.count}` };
  }
  return { take: true, topic: deviceTopic };
}
