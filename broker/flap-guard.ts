// Bans client ids that reconnect too fast. A device stuck in a reconnect loop (a bug, two devices
// sharing one id) costs the broker a TLS handshake and a session takeover per attempt; after
// `maxConnects` authenticated CONNECTs within `windowMs` its id is refused for `banMs` without any
// of that work. Only CONNECTs that authenticated are counted (the broker calls `attempt` after
// the secret was checked): device ids are public, and a stranger failing in a device's name must
// never get the device banned (failures are limited per address instead: auth-throttle.ts).
// Attempts during a ban do not extend it, so a well-meaning client retrying every second gets back
// in once the ban ends. Keyed by client id, not address: a park's devices often share one NAT.
// The table is bounded: a scanner cycling through random ids cannot grow it without limit.

export interface FlapLimits {
  /** CONNECTs of one client id allowed within the window; 0 disables the guard. */
  maxConnects: number;
  /** ms over which CONNECTs are counted. */
  windowMs: number;
  /** ms a flapping client id is refused. */
  banMs: number;
  /** Client ids tracked at most; the oldest are forgotten first; default 100 000. */
  maxTracked?: number;
}

export interface FlapGuard {
  /** Records an authenticated CONNECT; returns the ms left of a ban (then refuse), or 0. */
  attempt(clientId: string): number;
  /** The ms left of a ban on this client id, or 0; records nothing. */
  bannedFor(clientId: string): number;
  /** Client ids tracked right now. */
  readonly size: number;
}

interface Entry {
  windowStart: number;
  count: number;
  bannedUntil: number;
}

export function createFlapGuard(limits: FlapLimits, now: () => number = Date.now): FlapGuard {
  const entries = new Map<string, Entry>();
  const maxTracked = limits.maxTracked ?? 100_000;

  function prune(t: number): void {
    for (const [id, e] of entries) {
      if (e.bannedUntil <= t && t - e.windowStart >= limits.windowMs) entries.delete(id);
    }
    // Still too many: drop the oldest (Map keeps insertion order, and entries are re-inserted on use).
    for (const id of entries.keys()) {
      if (entries.size < maxTracked) break;
      entries.delete(id);
    }
  }

  return {
    attempt(clientId) {
      if (limits.maxConnects <= 0) return 0;
      const t = now();
      let e = entries.get(clientId);
      if (e && e.bannedUntil > t) return e.bannedUntil - t;
      if (!e || t - e.windowStart >= limits.windowMs) {
        if (!e && entries.size >= maxTracked) prune(t);
        e = { windowStart: t, count: 0, bannedUntil: 0 };
      }
      entries.delete(clientId);
      entries.set(clientId, e);
      e.count++;
      if (e.count > limits.maxConnects) {
        e.bannedUntil = t + limits.banMs;
        e.windowStart = e.bannedUntil; // a fresh window once the ban ends
        e.count = 0;
        return limits.banMs;
      }
      return 0;
    },
    bannedFor(clientId) {
      const e = entries.get(clientId);
      const t = now();
      return e && e.bannedUntil > t ? e.bannedUntil - t : 0;
    },
    get size() {
      return entries.size;
    },
  };
}
