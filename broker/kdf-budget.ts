// The broker-wide budget for secret verifications (scrypt). A wrong secret for a known account
// costs one scrypt run (~50 ms of CPU at the default cost) before anyone is authenticated, so
// without a bound a stranger sending CONNECTs with random secrets could keep every core busy.
// Two bounds: runs at once (`concurrency`, the rest wait in a short queue) and runs per second (a
// token bucket counted in default-cost runs: a cheap load-device hash takes a fraction of a
// token). Beyond either bound the attempt is refused at once (`auth-busy`, retriable): devices
// retry, and the ones already connected are never touched.
import { DEFAULT_SCRYPT } from '../shared/credentials.ts';

export interface KdfLimits {
  /** scrypt runs at once; default 2. */
  concurrency: number;
  /**
   * Default-cost scrypt runs per second, sustained; default 4 (~0.2 s of CPU a second at ~50 ms a
   * run: a fifth of a core however many addresses an attack comes from). 0 disables the rate bound.
   */
  perSecond: number;
  /** Runs allowed at once above the rate: a whole park of ~100 devices reconnecting after a restart; default 120. */
  burst: number;
  /** Verifications waiting for a free slot at most; default 64. */
  maxQueued: number;
}

export const DEFAULT_KDF_LIMITS: Readonly<KdfLimits> = Object.freeze({ concurrency: 2, perSecond: 4, burst: 120, maxQueued: 64 });

export interface KdfBudget {
  /** Runs `job` within the budget, or resolves to 'busy' without running it. */
  run<T>(cost: { N: number; r: number; p: number }, job: () => Promise<T>): Promise<T | 'busy'>;
  readonly stats: { runs: number; busy: number; running: number; queued: number };
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
  const stats = { runs: 0, busy: 0, running: 0, queued: 0 };

  const takeTokens = (weight: number): boolean => {
    if (limits.perSecond <= 0) return true;
    const t = now();
    if (t > last) {
      tokens = Math.min(limits.burst, tokens + ((t - last) * limits.perSecond) / 1000);
      last = t;
    }
    if (tokens < weight) return false;
    tokens -= weight;
    return true;
  };
  // A finished run hands its slot straight to the next in the queue, so nothing overtakes it.
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else running--;
    stats.running = running;
    stats.queued = queue.length;
  };

  return {
    async run(cost, job) {
      if (running >= limits.concurrency && queue.length >= limits.maxQueued) {
        stats.busy++;
        return 'busy';
      }
      if (!takeTokens(kdfWeight(cost))) {
        stats.busy++;
        return 'busy';
      }
      if (running >= limits.concurrency) await new Promise<void>((resolve) => queue.push(resolve));
      else running++;
      stats.runs++;
      stats.running = running;
      stats.queued = queue.length;
      try {
        return await job();
      } finally {
        release();
      }
    },
    stats,
  };
}
