// Failed authentications, limited where they come from. Device ids are public in the park model,
// so a limit keyed by client id alone lets any stranger lock a device out by failing in its name.
// Failures are counted per source address and per address + client id instead: over either
// budget, that address (or that id from that address) gets no more secret verifications until the
// window ends. The broker asks again right before each scrypt run, so attempts that queued while
// the first ones were being checked cannot slip past once those failed. Everything else goes on as before: the genuine device from its own address, and
// even from the same address a device whose secret the broker verified before (a digest
// comparison, no verification needed; authenticator.ts). A success clears its address + client id
// count. Tables are bounded: a scanner cycling through addresses or ids cannot grow them forever.

export interface AuthFailureLimits {
  /** Failed authentications from one address per window before it is throttled; 0 disables. Default 30. */
  perAddress: number;
  /** Failed authentications of one client id from one address per window; default 5. */
  perAddressClient: number;
  /** ms over which failures are counted (fixed window, restarting at the first failure); default 60 000. */
  windowMs: number;
  /** Keys (addresses, address + id pairs) tracked at most; oldest forgotten first. Default 50 000. */
  maxTracked?: number;
}

export const DEFAULT_AUTH_FAILURE_LIMITS: Readonly<AuthFailureLimits> = Object.freeze({ perAddress: 30, perAddressClient: 5, windowMs: 60_000 });

export interface AuthThrottle {
  /** True when this address, or this client id from it, used up its failure budget. */
  throttled(address: string, clientId: string): boolean;
  failed(address: string, clientId: string): void;
  /** The secret was right: clears the address + client id count (the address keeps its own). */
  succeeded(address: string, clientId: string): void;
  readonly size: number;
}

interface Window {
  start: number;
  count: number;
}

export function createAuthThrottle(limits: AuthFailureLimits, now: () => number = Date.now): AuthThrottle {
  const windows = new Map<string, Window>();
  const maxTracked = limits.maxTracked ?? 50_000;
  const pairKey = (address: string, clientId: string): string => `${address}\u0000${clientId}`;

  const over = (key: string, limit: number, t: number): boolean => {
    const w = windows.get(key);
    return w !== undefined && t - w.start < limits.windowMs && w.count >= limit;
  };
  const count = (key: string, t: number): void => {
    let w = windows.get(key);
    if (!w || t - w.start >= limits.windowMs) w = { start: t, count: 0 };
    windows.delete(key); // re-inserted: Map order is then oldest use first
    windows.set(key, w);
    w.count++;
    for (const k of windows.keys()) {
      if (windows.size <= maxTracked) break;
      windows.delete(k);
    }
  };

  return {
    throttled(address, clientId) {
      if (limits.perAddress <= 0) return false;
      const t = now();
      return over(address, limits.perAddress, t) || over(pairKey(address, clientId), limits.perAddressClient, t);
    },
    failed(address, clientId) {
      if (limits.perAddress <= 0) return;
      const t = now();
      count(address, t);
      count(pairKey(address, clientId), t);
    },
    succeeded(address, clientId) {
      windows.delete(pairKey(address, clientId));
    },
    get size() {
      return windows.size;
    },
  };
}
