// The aggregator's Prometheus metrics, read from its stats at scrape time.
import { counterFrom, gaugeFrom, type MetricsRegistry } from '../../shared/metrics.ts';
import type { Aggregator } from './create-aggregator.ts';

export function registerAggregatorMetrics(registry: MetricsRegistry, aggregator: Pick<Aggregator, 'stats'>): void {
  gaugeFrom(registry, 'aggregator_shards', 'Ingest shards of the park (as they report it; 0 before the first part)', () => aggregator.stats().shardCount ?? 0);
  gaugeFrom(registry, 'aggregator_shards_silent', 'Shards not heard from within the silence limit (10 s)', () => aggregator.stats().shards.filter((s) => s.silent).length);
  counterFrom(registry, 'aggregator_shard_gaps_total', 'Shard deltas that did not follow the previous one (healed by the next snapshot)', () => aggregator.stats().shardGaps);
  counterFrom(registry, 'aggregator_invalid_parts_total', 'Shard parts refused: unreadable, wrong schema, a disagreeing shard count, another shard\'s device', () => aggregator.stats().invalidParts);
  counterFrom(registry, 'aggregator_consumer_stalls_total', 'NATS cluster: reconnects of the session because a JetStream consumer held messages and delivered none (shared/jetstream-watchdog.ts)', () => aggregator.stats().consumerStalls);
  gaugeFrom(registry, 'aggregator_connected', '1 while the aggregator holds its MQTT session', () => (aggregator.stats().connected ? 1 : 0));
  gaugeFrom(registry, 'aggregator_open_alerts', 'Open alerts of the park (every shard\'s and its own)', () => aggregator.stats().openAlerts);
}
