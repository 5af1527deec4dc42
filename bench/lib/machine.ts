// The whole machine's CPU (Linux /proc/stat), so a run can say how busy the machine was around the
// process it measures: a paced p99 of a few ms moves with whatever else holds a core, and on a
// shared VM with time the hypervisor gave to someone else (steal).

import { readFileSync } from 'node:fs';

export interface CpuSample {
  /** Clock ticks (all cores) spent busy: user, nice, system, irq, softirq. */
  busy: number;
  /** Clock ticks the hypervisor ran someone else while this VM wanted a core. */
  steal: number;
  /** Every tick counted, idle and iowait included. */
  total: number;
}

/** One reading of /proc/stat's aggregate line, or null where there is none (not Linux). */
export function cpuSample(): CpuSample | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return null;
  }
}

export interface CpuShare {
  /** Share of the machine's cores busy between two samples, % of all of them (100 = every core). */
  busyPct: number;
  /** Share of the machine stolen by the hypervisor, %. */
  stealPct: number;
}

export function cpuBetween(a: CpuSample | null, b: CpuSample | null): CpuShare | null {
  if (!a || !b || b.total <= a.total) return null;
  const span = b.total - a.total;
  return { busyPct: ((b.busy - a.busy) / span) * 100, stealPct: ((b.steal - a.steal) / span) * 100 };
}

/**
 * Waits until the machine has been quiet (under `busyPct` of all cores over `windowMs`) or
 * `maxMs` has passed; returns how busy the last window was and how long it waited. Processes of
 * the previous run (a killed broker's exit, a load generator's last writes) are still finishing
 * when the next starts.
 */
export async function settle(o: { busyPct?: number; windowMs?: number; maxMs?: number } = {}): Promise<{ waitedMs: number; last: CpuShare | null }> {
  const { busyPct = 15, windowMs = 1000, maxMs = 15_000 } = o;
  const t0 = Date.now();
  let last: CpuShare | null = null;
  for (;;) {
    const a = cpuSample();
    await new Promise((r) => setTimeout(r, windowMs));
    last = cpuBetween(a, cpuSample());
    if (!last || last.busyPct < busyPct || Date.now() - t0 >= maxMs) return { waitedMs: Date.now() - t0, last };
  }
}
