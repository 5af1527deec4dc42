// Per-connection message rate limit: a token bucket per client. A bucket holds up to `burst`
// tokens and refills at `perSecond`; each PUBLISH takes one. A client that finds its bucket empty
// is over its rate for longer than its burst allows and is disconnected (the caller counts it).
// A reconnect starts a fresh bucket, which is why reconnecting too fast is banned separately
// (flap-guard.ts).

export interface RateLimit {
  /** Sustained messages per second. */
  perSecond: number;
  /** Messages a client may send at once above the sustained rate. */
  burst: number;
}

export interface TokenBucket {
  /** Takes one token; false when none is left. */
  take(): boolean;
}

export function createTokenBucket(limit: RateLimit, now: () => number = Date.now): TokenBucket {
  let tokens = limit.burst;
  let last = now();
  const perMs = limit.perSecond / 1000;
  return {
    take() {
      const t = now();
      if (t > last) {
        tokens = Math.min(limit.burst, tokens + (t - last) * perMs);
        last = t;
      }
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
