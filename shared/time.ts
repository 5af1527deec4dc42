// Calendar helpers in the park's own time zone ("today" in Zhenjiang, not in UTC).

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock parts of `ts` in `timeZone`. */
export function zonedParts(ts: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ts))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** ms of local midnight (start of the day containing `ts`) in `timeZone`. */
export function startOfDay(ts: number, timeZone: string): number {
  const p = zonedParts(ts, timeZone);
  const sinceMidnight = ((p.hour * 60 + p.minute) * 60 + p.second) * 1000 + (ts % 1000);
  let guess = ts - sinceMidnight;
  // A DST change between midnight and ts shifts the guess by the change; correct once.
  const g = zonedParts(guess, timeZone);
  if (g.hour !== 0 || g.minute !== 0) guess -= ((g.hour >= 12 ? g.hour - 24 : g.hour) * 60 + g.minute) * 60_000;
  return guess;
}

/** Local hour of day (0..23, fractional) in `timeZone`. */
export function hourOfDay(ts: number, timeZone: string): number {
  const p = zonedParts(ts, timeZone);
  return p.hour + p.minute / 60 + p.second / 3600;
}

/** ms of the wall-clock time `parts` in `timeZone` (the inverse of zonedParts; DST gaps resolve forward). */
export function zonedTime(parts: { year: number; month: number; day: number; hour?: number; minute?: number; second?: number }, timeZone: string): number {
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  const offsetAt = (ts: number): number => {
    const p = zonedParts(ts, timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ts / 1000) * 1000;
  };
  let guess = wall - offsetAt(wall);
  guess = wall - offsetAt(guess); // a second pass settles an offset change between wall and guess
  return guess;
}

/** `YYYY-MM-DD HH:mm[:ss]` (or with `T`) read as a wall-clock time in `timeZone`; null when malformed. */
export function parseZonedTime(text: string, timeZone: string): number | null {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?\s*$/.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const ts = zonedTime({ year, month, day, hour, minute, second }, timeZone);
  const back = zonedParts(ts, timeZone);
  return back.day === day && back.month === month ? ts : null; // 2024-02-31 is not a day
}
