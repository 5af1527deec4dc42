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

/** A counter that reports a running total the service keeps itself. */
export function counterFrom(registry: MetricsRegistry, name: string, help: string, read: () => number): void {
  new Counter({
    name: METRICS_PREFIX + name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/**
 * A counter with one label whose totals the service keeps per label value. `known` values are
 * always reported (0 until they happen), so a dashboard sees every reason before the first one.
 */
export function labelledCounterFrom(registry: MetricsRegistry, name: string, help: string, label: string, known: readonly string[], read: () => Partial<Record<string, number>>): void {
  new Counter({
    name: METRICS_PREFIX + name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      const values = read();
      for (const key of new Set([...known, ...Object.keys(values)])) this.inc({ [label]: key }, values[key] ?? 0);
    },
  });
}

/** A gauge read at scrape time. */
export function gaugeFrom(registry: MetricsRegistry, name: string, help: string, read: () => number): void {
  new Gauge({
    name: METRICS_PREFIX + name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** A gauge with one label, read at scrape time; `known` values are reported as 0 when absent. */
export function labelledGaugeFrom(registry: MetricsRegistry, name: string, help: string, label: string, known: readonly string[], read: () => Partial<Record<string, number>>): void {
  new Gauge({
    name: METRICS_PREFIX + name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      const values = read();
      for (const key of new Set([...known, ...Object.keys(values)])) this.set({ [label]: key }, values[key] ?? 0);
    },
  });
}
