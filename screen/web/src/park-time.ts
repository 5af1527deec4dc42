// Every time the wall and the console show (clocks, lists, chart axes and tooltips, date fields)
// is in the park's own time zone, the park model's `timezone`, whatever the browser's zone and
// locale: a wall PC left in UTC, or an engineer's laptop abroad, reads the park's clock. Digits
// and order are fixed (`2024-06-30 21:26:05`), so no locale can turn them into 6/30/2024.
import { parseZonedTime, startOfDay, zonedParts } from '../../../shared/time.ts';

let zone = 'UTC';

/** Set once at start from the park model (`/api/park`). */
export function setParkZone(timeZone: string): void {
  zone = timeZone;
}

export function parkZone(): string {
  return zone;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `HH:mm:ss` */
export function hms(ms: number): string {
  const p = zonedParts(ms, zone);
  return `${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}

/** `HH:mm` */
export function hm(ms: number): string {
  const p = zonedParts(ms, zone);
  return `${two(p.hour)}:${two(p.minute)}`;
}

/** `YYYY-MM-DD` */
export function ymd(ms: number): string {
  const p = zonedParts(ms, zone);
  return `${p.year}-${two(p.month)}-${two(p.day)}`;
}

/** `YYYY-MM-DD HH:mm:ss` */
export function dateTime(ms: number): string {
  return `${ymd(ms)} ${hms(ms)}`;
}

/** `MM-DD HH:mm:ss` (lists where the year is obvious) */
export function monthDayTime(ms: number): string {
  return `${ymd(ms).slice(5)} ${hms(ms)}`;
}

/** `YYYY-MM-DD HH:mm` for a date field's value */
export function fieldValue(ms: number): string {
  return `${ymd(ms)} ${hm(ms)}`;
}

/** A date field's text read in the park's zone; null when it is not `YYYY-MM-DD[ HH:mm[:ss]]`. */
export function parseField(text: string): number | null {
  return parseZonedTime(text, zone);
}

/** Day of the week, 0 = Sunday, in the park's zone. */
export function weekday(ms: number): number {
  const p = zonedParts(ms, zone);
  return new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
}

/** The zone's offset from UTC at `ms` as `UTC+8` / `UTC+5:30`. */
export function utcOffset(ms: number): string {
  const p = zonedParts(ms, zone);
  const mins = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = mins < 0 ? '-' : '+';
  const a = Math.abs(mins);
  return `UTC${sign}${Math.floor(a / 60)}${a % 60 ? `:${two(a % 60)}` : ''}`;
}

/**
 * Axis tick times every `stepMs` from `min` to `max`, aligned to the park's midnight (so a 3 h
 * step gives 00:00, 03:00, ... in the park, not in the browser's zone).
 */
export function ticks(min: number, max: number, stepMs: number): number[] {
  const out: number[] = [];
  const day = startOfDay(min, zone);
  for (let t = day + Math.ceil((min - day) / stepMs) * stepMs; t <= max; t += stepMs) out.push(t);
  return out;
}
