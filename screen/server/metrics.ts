// The screen server's Prometheus metrics, read from its running totals at scrape time.
import { counterFrom, gaugeFrom, labelledCounterFrom, type MetricsRegistry } from '../../shared/metrics.ts';
import type { Screen } from './create-screen.ts';

export function registerScreenMetrics(registry: MetricsRegistry, stats: Screen['stats']): void {
  gaugeFrom(registry, 'screen_clients', 'Browsers connected to /ws', () => stats().clients);
  gaugeFrom(registry, 'screen_mqtt_connected', '1 while the screen holds its MQTT session', () => (stats().mqttConnected ? 1 : 0));
  counterFrom(registry, 'screen_messages_sent_total', 'Snapshots and deltas sent to browsers', () => stats().sent);
  counterFrom(registry, 'screen_slow_skips_total', 'Times a slow browser was skipped', () => stats().skipped);
  labelledCounterFrom(registry, 'screen_upgrades_refused_total', 'WebSocket upgrades refused, by reason', 'reason', ['origin', 'token'], () => stats().upgradesRefused);
}
