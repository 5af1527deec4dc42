// The ingest's Prometheus metrics. Counters come from the ingest's running totals at scrape time;
// store write latency is measured around each batch write (one observation per batch, not per
// reading). Two hooks for parts other modules own:
//   - `spoolDepth`: readings waiting on disk for a database that is down; by default the ingest's
//     own figure, from its store (InfluxDB's spool; the embedded SQLite store has none, so 0);
//   - `alertsByState`: open alerts per state, from whoever owns alert state.
import { Histogram } from 'prom-client';
import { ALERT_STATES, type AlertState } from '../shared/schema.ts';
import { counterFrom, gaugeFrom, labelledCounterFrom, labelledGaugeFrom, METRICS_PREFIX, type MetricsRegistry } from '../shared/metrics.ts';
import type { IngestStats } from './create-ingest.ts';
import type { LatencyQuantiles } from '../shared/latency-reservoir.ts';
import { READING_FLAGS, REJECT_REASONS } from './errors.ts';
import type { TelemetryStore } from './store/types.ts';

export interface IngestMetricsOptions {
  stats: () => IngestStats;
  /** Device ts to durable, recent percentiles (computed per scrape, not per stats() call). */
  durableLatency?: () => LatencyQuantiles;
  /** Readings spooled to disk awaiting the database; default the ingest's stats().spoolDepth. */
  spoolDepth?: () => number;
  /** Alerts per state; default none (every state reported as 0). */
  alertsByState?: () => Partial<Record<AlertState, number>>;
}

export function registerIngestMetrics(registry: MetricsRegistry, opts: IngestMetricsOptions): void {
  const { stats } = opts;
  gaugeFrom(registry, 'ingest_connected', '1 while the ingest holds its MQTT session', () => (stats().connected ? 1 : 0));
  counterFrom(registry, 'ingest_accepted_total', 'Device messages accepted', () => stats().accepted);
  labelledCounterFrom(registry, 'ingest_rejects_total', 'Device messages rejected, by reason (ingest/errors.ts)', 'reason', Object.keys(REJECT_REASONS), () => stats().rejects);
  counterFrom(registry, 'ingest_duplicates_total', 'Redelivered readings the store already held', () => stats().duplicates);
  counterFrom(registry, 'ingest_seq_gaps_total', 'Missing per-device sequence numbers (readings lost before the ingest; rejected ones are not gaps)', () => stats().gaps);
  counterFrom(registry, 'ingest_seq_resets_total', 'Per-device seq jumps beyond the sane window, counted as resets instead of gaps', () => stats().resets);
  labelledCounterFrom(registry, 'ingest_flags_total', 'Readings stored but flagged, by flag (ingest/errors.ts)', 'flag', Object.keys(READING_FLAGS), () => stats().flags);
  counterFrom(registry, 'ingest_dead_letters_total', 'Accepted readings the database refused (in the dead-letter file, not counted as accepted)', () => stats().deadLettered);
  counterFrom(registry, 'ingest_store_write_failures_total', 'Store writes that failed (and were retried)', () => stats().storeWriteFailures);
  counterFrom(registry, 'ingest_consumer_stalls_total', 'NATS cluster: reconnects of the session because a JetStream consumer held messages and delivered none (shared/jetstream-watchdog.ts)', () => stats().consumerStalls);
  gaugeFrom(registry, 'ingest_pending_writes', 'Readings queued or being written', () => stats().pendingWrites);
  gaugeFrom(registry, 'ingest_unacked', 'Messages received and not yet acknowledged to the broker', () => stats().unacked);
  gaugeFrom(registry, 'ingest_spool_depth', 'Readings spooled to disk awaiting the database', () => opts.spoolDepth?.() ?? stats().spoolDepth);
  labelledGaugeFrom(registry, 'alerts', 'Alerts by state', 'state', ALERT_STATES, () => opts.alertsByState?.() ?? {});
  // Device clock to committed in the store, over recent readings (a sampled reservoir, not a histogram:
  // the benchmark wants exact recent percentiles, and recording stays a few nanoseconds).
  labelledGaugeFrom(registry, 'ingest_durable_latency_ms', 'Device ts to reading durable in the store, ms, recent readings', 'quantile', ['0.5', '0.95', '0.99', '1'], () => {
    const q = opts.durableLatency?.();
    return q ? { '0.5': q.p50 ?? 0, '0.95': q.p95 ?? 0, '0.99': q.p99 ?? 0, '1': q.max ?? 0 } : {};
  });
}

/** A histogram of latencies in seconds on DURABLE_BUCKETS_S, as a recorder of milliseconds. */
function msHistogram(registry: MetricsRegistry, name: string, help: string): (latencyMs: number) => void {
  const histogram = new Histogram({ name: `${METRICS_PREFIX}${name}`, help, buckets: DURABLE_BUCKETS_S, registers: [registry] });
  return (ms) => histogram.observe(ms / 1000);
}

/**
 * `parkpulse_ingest_durable_latency_seconds`: device ts -> reading committed, one observation per
 * reading. Unlike the reservoir gauge it can be differenced between two scrapes, so the benchmark
 * (and a Prometheus `histogram_quantile`) gets the latency of a time window. Fine buckets below
 * 500 ms, where the target (p99 < 200 ms) lies.
 */
export function durableLatencyHistogram(registry: MetricsRegistry): (latencyMs: number) => void {
  return msHistogram(registry, 'ingest_durable_latency_seconds', 'Device ts to reading committed in the store, seconds, per reading');
}

/**
 * `parkpulse_ingest_arrival_latency_seconds`: device ts -> taken in by the ingest, one observation
 * per accepted reading. The durable latency less this is the time in the ingest and the store, so
 * a slow second can be put on the broker's side or the store's.
 */
export function arrivalLatencyHistogram(registry: MetricsRegistry): (latencyMs: number) => void {
  return msHistogram(registry, 'ingest_arrival_latency_seconds', 'Device ts to reading taken in by the ingest, seconds, per accepted reading');
}

export const DURABLE_BUCKETS_S = [0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60];

/** The store with every batch write timed into `parkpulse_ingest_write_seconds`. */
export function timeStoreWrites(store: TelemetryStore, registry: MetricsRegistry): TelemetryStore {
  const histogram = new Histogram({
    name: `${METRICS_PREFIX}ingest_write_seconds`,
    help: 'Store write (one batch, committed) latency',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const write: TelemetryStore['write'] = async (batch) => {
    const end = histogram.startTimer();
    try {
      return await store.write(batch);
    } finally {
      end();
    }
  };
  // A proxy rather than a copy: a store may be a class whose methods need their own `this`.
  return new Proxy(store, {
    get(target, key) {
      if (key === 'write') return write;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
