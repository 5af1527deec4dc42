// Recent latencies for percentiles, cheap enough for the hot path: every `sampleEvery`-th value goes
// into a fixed ring of `size` samples; percentiles are computed when asked (a scrape, a benchmark).

export interface LatencyQuantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** Samples the quantiles are computed from. */
  samples: number;
}

export interface LatencyReservoir {
  record(ms: number): void;
  quantiles(): LatencyQuantiles;
}

export function createLatencyReservoir(size = 65_536, sampleEvery = 8): LatencyReservoir {
  const ring = new Float64Array(size);
  let seen = 0;
  let stored = 0;
  return {
    record(ms) {
      if (seen++ % sampleEvery !== 0) return;
      ring[stored % size] = ms;
      stored++;
    },
    quantiles() {
      const n = Math.min(stored, size);
      if (n === 0) return { p50: null, p95: null, p99: null, max: null, samples: 0 };
      const sorted = ring.slice(0, n).sort();
      const at = (p: number): number => sorted[Math.min(n - 1, Math.floor(p * n))]!;
      return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[n - 1]!, samples: n };
    },
  };
}
