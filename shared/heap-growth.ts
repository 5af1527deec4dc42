// Keeps a process's V8 old generation close to its live data while the process has CPU to spare,
// and lets V8 choose again once it has been busy for a while. The broker's live heap is ~40 MB at
// 8k msg/s, but V8's own heap-growing factor (up to 4x under a high allocation rate) let its old
// generation reach 150-180 MB of mostly dead messages before a full GC. Bounded to 30%, the heap
// V8 reserves fell from 174-184 to 85 MB for ~5 points of a core. Overloaded (30k offered) the
// broker is CPU-bound and every full GC costs intake (29.3k against 31.0k msg/s in one run), so
// after 30 s above `busyAbove` of event-loop utilisation V8's own factor applies again
// (docs/facts.md, "The broker's memory"). Not sooner: after a connect storm of 10-15 s the bound
// lifted and stayed off at 10k msg/s on a busy machine, the heap grew to 4x, and each full GC of it
// was a 200-360 ms stall (docs/facts.md, "A connect storm lifted the heap bound").
// V8 reads --heap-growing-percent at every full GC, so it can be changed while the process runs;
// 0 means V8's own dynamic factor.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';

export interface HeapGrowthOptions {
  /** % the old generation may grow past live data between full GCs while the process is not busy; 0 = never bound. */
  percent: number;
  /**
   * Event-loop utilisation (0-1) at or above which V8's own growth applies. Default 0.9: measured
   * on the broker, 0.6-0.7 at 10k msg/s (keeping up), 0.9-1.0 at 30k offered (overloaded), 0.75-0.9
   * while 1000 devices connect.
   */
  busyAbove?: number;
  /** Utilisation below which the bound applies again. Default 0.9, as busyAbove: the check counts below set the hysteresis. */
  idleBelow?: number;
  /** ms between utilisation checks. Default 1000. */
  intervalMs?: number;
  /**
   * Consecutive checks at or above busyAbove before the bound lifts. Default 30: 1000 devices
   * connecting keep the broker over 90% busy for 5-15 s, which keeps the bound (and the memory down
   * when it matters most); only a sustained overload lifts it.
   */
  busyChecks?: number;
  /** Consecutive checks below idleBelow before it applies again. Default 10. */
  idleChecks?: number;
  /** Called on each switch, with the utilisation that caused it. */
  onChange?: (bounded: boolean, utilisation: number) => void;
}

export interface HeapGrowth {
  /** True while the bound applies. */
  bounded(): boolean;
  /** Stops checking and gives V8 its own factor back. */
  close(): void;
}

export function startHeapGrowth(opts: HeapGrowthOptions): HeapGrowth {
  const busyAbove = opts.busyAbove ?? 0.9;
  const idleBelow = opts.idleBelow ?? 0.9;
  let bounded = false;
  const set = (on: boolean, utilisation: number): void => {
    if (on === bounded) return;
    bounded = on;
    setFlagsFromString(`--heap-growing-percent=${on ? opts.percent : 0}`);
    opts.onChange?.(on, utilisation);
  };
  if (opts.percent <= 0) return { bounded: () => false, close: () => {} };
  set(true, 0);
  const busyChecks = opts.busyChecks ?? 30;
  const idleChecks = opts.idleChecks ?? 10;
  let streak = 0;
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    const pastThreshold = bounded ? u >= busyAbove : u < idleBelow;
    streak = pastThreshold ? streak + 1 : 0;
    if (streak >= (bounded ? busyChecks : idleChecks)) {
      streak = 0;
      set(!bounded, u);
    }
  }, opts.intervalMs ?? 1000);
  timer.unref();
  return {
    bounded: () => bounded,
    close: () => {
      clearInterval(timer);
      set(false, 0);
    },
  };
}
