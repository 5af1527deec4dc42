// Prometheus metrics (prom-client). One registry per process, made at the edge and passed down;
// each service registers its metrics on it. Values are read from the services' own running
// totals when Prometheus scrapes (`collect`), so the hot paths only bump plain numbers.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type MetricsRegistry = Registry;
export const METRICS_PREFIX = 'parkpulse_';

/** A registry; with `processMetrics`, also memory, CPU, event-loop lag and GC of this process. */
export function createMetricsRegistry(opts: { processMetrics?: boolean } = {}): MetricsRegistry {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX });
  return registry;
}

type Kind = 'counter' | 'gauge';

/** Sets a metric to a value read from the service (a counter is reset, then counted up to it). */
function write(metric: Counter | Gauge, kind: Kind, labels: Record<string, string>, value: number): void {
  if (kind === 'counter') (metric as Counter).inc(labels, value);
  else (metric as Gauge).set(labels, value);
}

function readOut(kind: Kind, registry: MetricsRegistry, name: string, help: string, label: string | null, known: readonly string[], read: () => Partial<Record<string, number>>): void {
  const Metric = kind === 'counter' ? Counter : Gauge;
  new Metric({
    name: METRICS_PREFIX + name,
    help,
    labelNames: label ? [label] : [],
    registers: [registry],
    collect(this: Counter | Gauge) {
      this.reset();
      const values = read();
      for (const key of new Set([...known, ...Object.keys(values)])) write(this, kind, label ? { [label]: key } : {}, values[key] ?? 0);
    },
  });
}

const single = (read: () => number) => (): Record<string, number> => ({ '': read() });

/** A counter that reports a running total the service keeps itself. */
export function counterFrom(registry: MetricsRegistry, name: string, help: string, read: () => number): void {
  readOut('counter', registry, name, help, null, [], single(read));
}

/** A gauge read at scrape time. */
export function gaugeFrom(registry: MetricsRegistry, name: string, help: string, read: () => number): void {
  readOut('gauge', registry, name, help, null, [], single(read));
}

/**
 * A counter with one label whose totals the service keeps per label value. `known` values are
 * always reported (0 until they happen), so a dashboard sees every reason before the first one.
 */
export function labelledCounterFrom(registry: MetricsRegistry, name: string, help: string, label: string, known: readonly string[], read: () => Partial<Record<string, number>>): void {
  readOut('counter', registry, name, help, label, known, read);
}

/** A gauge with one label, read at scrape time; `known` values are reported as 0 when absent. */
export function labelledGaugeFrom(registry: MetricsRegistry, name: string, help: string, label: string, known: readonly string[], read: () => Partial<Record<string, number>>): void {
  readOut('gauge', registry, name, help, label, known, read);
}
