// What the ingest shards of a sharded park tell the park's aggregator (topics: shared/shard-topics.ts).
// Each shard's live part is its own live state, exactly what a single ingest would publish for its
// devices, plus what the merge needs beyond sums; the aggregator turns them back into the park's
// unchanged live snapshot/delta and alerts list (shared/schema.ts), so the screen sees one park.
import { z } from 'zod';
import { alertSchema, liveMessageSchema } from './schema.ts';

const shardHeader = {
  shard: z.number().int().min(0),
  /** The shard count N this shard was started with (all shards and the mappings must agree). */
  count: z.number().int().min(2),
  /** Shard clock, ms. */
  at: z.number(),
};

/**
 * park/{p}/shards/{k}/snapshot (retained, every few seconds: all its devices) and .../delta
 * (changed devices, every heartbeat): the shard's own live message (its `seq` +1 per delta, so
 * the aggregator sees a missed one; its summary over its own devices, whose counts and sums add up
 * over the shards), with the shard's header.
 */
export const shardLiveSchema = liveMessageSchema.extend({
  ...shardHeader,
  full: z.boolean(),
  /** 5G nodes up with telemetry: the weight of the shard's node means in the park's means. */
  nodesReporting: z.number().int().min(0),
});
export type ShardLive = z.infer<typeof shardLiveSchema>;

/** park/{p}/shards/{k}/alerts (retained): the shard's open alerts. */
export const shardAlertsSchema = z.object({ ...shardHeader, alerts: z.array(alertSchema) });
export type ShardAlerts = z.infer<typeof shardAlertsSchema>;
