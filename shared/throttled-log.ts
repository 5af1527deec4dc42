// Logs a repeated warning at most `perWindow` times per key and window, then one line with how
// many were suppressed, so a barrage of bad input is visible in the log without flooding it.
import type { Logger } from './logger.ts';

export function createThrottledLog(log: Logger, opts: { perWindow?: number; windowMs?: number; now?: () => number } = {}) {
  const perWindow = opts.perWindow ?? 10;
  const windowMs = opts.windowMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number }>();
  return function warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const t = now();
    let w = windows.get(key);
    if (!w || t - w.start >= windowMs) {
      if (w && w.count > perWindow) log.warn({ key, suppressed: w.count - perWindow }, `${msg} (repeats suppressed)`);
      w = { start: t, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    if (w.count <= perWindow) log.warn(fields, msg);
  };
}
