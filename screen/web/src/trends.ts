// Live samples appended to history series: one point per `everyMs`, an hour's window kept.
import type { Point } from './app.ts';

export function appendSample(series: Point[], t: number, v: number | null, everyMs: number, windowMs: number): boolean {
  if (v === null || !Number.isFinite(v)) return false;
  const last = series.at(-1);
  if (last && t - last[0] < everyMs) return false;
  series.push([t, Math.round(v * 100) / 100]);
  while (series.length > 0 && series[0]![0] < t - windowMs) series.shift();
  return true;
}

export const HOUR = 3_600_000;
