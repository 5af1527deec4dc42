// Quantiles of a time window from two scrapes of a Prometheus histogram: subtract the cumulative
// bucket counts, then interpolate linearly inside the bucket the rank falls in (as PromQL's
// histogram_quantile does). The answer is as fine as the buckets (ingest/metrics.ts has 10-25 ms
// steps below 300 ms).

/** Cumulative counts by upper bound (`le` label, "+Inf" included), as scraped. */
export type Buckets = Record<string, number>;

export function bucketDiff(later: Buckets, earlier: Buckets): Buckets {
  const out: Buckets = {};
  for (const [le, n] of Object.entries(later)) out[le] = n - (earlier[le] ?? 0);
  return out;
}

/** The q-quantile (0..1) of the observations in `buckets`, in the histogram's unit; null if none. */
export function bucketQuantile(buckets: Buckets, q: number): number | null {
  const bounds = Object.entries(buckets)
    .map(([le, n]) => ({ le: le === '+Inf' ? Infinity : Number(le), n }))
    .filter((b) => !Number.isNaN(b.le))
    .sort((a, b) => a.le - b.le);
  const total = bounds.at(-1)?.n ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevN = 0;
  for (const b of bounds) {
    if (b.n >= rank) {
      // Beyond the last finite bound there is nothing to interpolate towards: report that bound.
      if (b.le === Infinity) return prevLe;
      const inBucket = b.n - prevN;
      return inBucket <= 0 ? b.le : prevLe + ((b.le - prevLe) * (rank - prevN)) / inBucket;
    }
    prevLe = b.le;
    prevN = b.n;
  }
  return prevLe;
}
