// Sliding-window limits (sign-in attempts per address, failures per operator name). Each key keeps
// the times of its recent hits, at most `limit` of them, so memory stays bounded per key; keys
// with nothing in the window are dropped as the map grows.
export interface RateLimiter {
  /** Whether one more hit is allowed now, and if not, when the oldest one leaves the window. */
  check(key: string): { ok: true } | { ok: false; retryAfterMs: number };
  hit(key: string): void;
  reset(key: string): void;
}

export function createRateLimiter(opts: { limit: number; windowMs: number; now?: () => number; maxKeys?: number }): RateLimiter {
  const now = opts.now ?? Date.now;
  const maxKeys = opts.maxKeys ?? 50_000;
  const hits = new Map<string, number[]>();
  const recent = (key: string, t: number): number[] => {
    const list = hits.get(key) ?? [];
    while (list.length > 0 && list[0]! <= t - opts.windowMs) list.shift();
    return list;
  };
  function prune(t: number): void {
    for (const [key] of hits) if (recent(key, t).length === 0) hits.delete(key);
    // Still too many (a spray of addresses): forget the oldest keys rather than grow without bound.
    for (const key of hits.keys()) {
      if (hits.size <= maxKeys) break;
      hits.delete(key);
    }
  }
  return {
    check(key) {
      const t = now();
      const list = recent(key, t);
      return list.length < opts.limit ? { ok: true } : { ok: false, retryAfterMs: list[0]! + opts.windowMs - t };
    },
    hit(key) {
      const t = now();
      const list = recent(key, t);
      list.push(t);
      if (list.length > opts.limit) list.shift();
      hits.set(key, list);
      if (hits.size > maxKeys) prune(t);
    },
    reset(key) {
      hits.delete(key);
    },
  };
}
