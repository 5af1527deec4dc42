// Events per second over a sliding window of whole seconds.

export interface RateMeter {
  tick(n?: number): void;
  /** Mean rate over the last `windowSec` complete seconds. */
  rate(): number;
}

export function createRateMeter(windowSec = 5, now: () => number = Date.now): RateMeter {
  const buckets = new Float64Array(windowSec + 1);
  let current = Math.floor(now() / 1000);
  function advance(): void {
    const sec = Math.floor(now() / 1000);
    if (sec === current) return;
    const steps = Math.min(sec - current, buckets.length);
    for (let i = 1; i <= steps; i++) buckets[(current + i) % buckets.length] = 0;
    current = sec;
  }
  return {
    tick(n = 1) {
      advance();
      buckets[current % buckets.length]! += n;
    },
    rate() {
      advance();
      let sum = 0;
      for (let i = 1; i <= windowSec; i++) sum += buckets[(current - i + buckets.length * 2) % buckets.length]!;
      return sum / windowSec;
    },
  };
}
