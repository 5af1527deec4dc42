// The broker's Prometheus metrics, read from its running totals at scrape time.
import { counterFrom, gaugeFrom, labelledCounterFrom, type MetricsRegistry } from '../shared/metrics.ts';
import type { Broker } from './create-broker.ts';
import { BROKER_ERROR_CODES } from './errors.ts';

export function registerBrokerMetrics(registry: MetricsRegistry, broker: Pick<Broker, 'stats'>): void {
  gaugeFrom(registry, 'broker_connections', 'Open client connections, all transports', () => broker.stats().connections);
  counterFrom(registry, 'broker_connects_total', 'CONNECTs accepted', () => broker.stats().connectsAccepted);
  counterFrom(registry, 'broker_messages_in_total', 'PUBLISH packets accepted from clients', () => broker.stats().publishesIn);
  gaugeFrom(registry, 'broker_bus_queued', 'Messages waiting in the broker for delivery slots (backpressure from slow subscribers)', () => broker.stats().busQueued);
  counterFrom(registry, 'broker_admission_pauses_total', 'Times device reads were paused because the bus was full', () => broker.stats().admissionPauses);
  counterFrom(registry, 'broker_messages_out_total', 'Messages delivered to subscribers (one per subscriber)', () => broker.stats().messagesOut);
  gaugeFrom(registry, 'broker_acks_held', 'Device QoS 1 messages whose PUBACK waits for the ingest to store them (--broker-ack ingest)', () => broker.stats().ackChain?.held ?? 0);
  gaugeFrom(registry, 'broker_acks_waiting_for_ingest', 'Device QoS 1 messages held unrouted until an ingest session exists', () => broker.stats().ackChain?.waitingForIngest ?? 0);
  counterFrom(registry, 'broker_kdf_runs_total', 'Secret verifications that needed a scrypt run (not answered from memory)', () => broker.stats().kdfRuns);
  labelledCounterFrom(registry, 'broker_refusals_total', 'Connections, packets, publishes and subscriptions refused, by reason (broker/errors.ts)', 'reason', BROKER_ERROR_CODES, () => broker.stats().refused);
}
