// The broker-wide budget for secret verifications (scrypt). A wrong secret for a known account
// costs one scrypt run (~50 ms of CPU at the default cost) before anyone is authenticated, so
// without a bound strangers sending CONNECTs with random secrets (from as many addresses as they
// like: the per-address budget, auth-throttle.ts, is the first line) could keep every core busy.
// Two bounds:
//   - runs at once (`concurrency`); the rest wait in a queue of `maxQueued`;
//   - failed runs per second: a token bucket, counted in default-cost runs (a cheap load-device
//     hash takes a fraction of a token), charged only when the secret was wrong. Genuine devices
//     reconnecting in a crowd (a park after a broker restart, a load test ramping thousands) never
//     spend it; an attack does, and once it is empty new verifications are refused at once.
// Refused verifications answer `auth-busy` (CONNACK 3, retriable): devices retry, and the ones
// already connected are never touched. A device the broker verified before needs no scrypt run at
// all (authenticator.ts), so an attack locks out only devices new to this broker process.
import { DEFAULT_SCRYPT } from '../shared/credentials.ts';

export interface KdfLimits {
  /** scrypt runs at once; default 4, the size of libuv's thread pool that runs them (more would only queue there). */
  concurrency: number;
  /**
   * Failed default-cost scrypt runs per second, sustained; default 4 (~0.2 s of CPU a second at
   * ~50 ms a run: a fifth of a core however many addresses an attack comes from). 0 disables it.
   */
  perSecond: number;
  /** Failed runs allowed at once above the rate; default 10. */
  burst: number;
  /** Verifications waiting for a free slot at most; default 1024 (a park's whole fleet at once). */
  maxQueued: number;
}

export const DEFAULT_KDF_LIMITS: Readonly<KdfLimits> = Object.freeze({ concurrency: 4, perSecond: 4, burst: 10, maxQueued: 1024 });

export interface KdfBudget {
  /**
   * Runs `check` (true: the secret was right) within the budget, or resolves to 'busy' without
   * running it; also without running it when `wanted()` says no at the head of the queue (the
   * client hung up while it waited).
   */
  run(cost: { N: number; r: number; p: number }, check: () => Promise<boolean>, wanted?: () => boolean): Promise<boolean | 'busy'>;
  readonly stats: { runs: number; failures: number; busy: number; running: number; queued: number };
}

/** A run's weight in tokens: its memory-hard cost relative to the default (N·r·p). */
export function kdfWeight(cost: { N: number; r: number; p: number }): number {
  return (cost.N * cost.r * cost.p) / (DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r * DEFAULT_SCRYPT.p);
}

export function createKdfBudget(limits: KdfLimits, now: () => number = Date.now): KdfBudget {
  let tokens = limits.burst;
  let last = now();
  let running = 0;
  const queue: (() => void)[] = [];
  const stats = { runs: 0, failures: 0, busy: 0, running: 0, queued: 0 };

  const available = (weight: number): boolean => {
    if (limits.perSecond <= 0) return true;
    const t = now();
    if (t > last) {
      tokens = Math.min(limits.burst, tokens + ((t - last) * limits.perSecond) / 1000);
      last = t;
    }
    return tokens >= weight;
  };
  // A finished run hands its slot straight to the next in the queue, so nothing overtakes it.
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else running--;
    stats.running = running;
    stats.queued = queue.length;
  };
  const busy = (): 'busy' => {
    stats.busy++;
    return 'busy';
  };

  return {
    async run(cost, check, wanted) {
      const weight = kdfWeight(cost);
      if (!available(weight)) return busy();
      if (running >= limits.concurrency) {
        if (queue.length >= limits.maxQueued) return busy();
        await new Promise<void>((resolve) => queue.push(resolve));
      } else running++;
      stats.running = running;
      stats.queued = queue.length;
      try {
        // Checked again at the head of the queue: failures while it waited may have spent the budget.
        if (!available(weight) || wanted?.() === false) return busy();
        stats.runs++;
        const ok = await check();
        if (!ok && limits.perSecond > 0) {
          stats.failures++;
          tokens -= weight;
        }
        return ok;
      } finally {
        release();
      }
    },
    stats,
  };
}
