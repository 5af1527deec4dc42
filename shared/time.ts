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
