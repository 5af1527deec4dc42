// The server picks the bucket of a history answer, so a response stays bounded whatever range a
// browser asks for: the smallest round width from the ladder that gives at most `maxPoints`.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Round bucket widths, ms: what an operator reads on an axis (10 s … 1 day). */
export const BUCKET_LADDER = [10 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR] as const;

/** Points per series a chart gets by default. */
export const DEFAULT_MAX_POINTS = 360;

/** The bucket for [from, to) with at most `maxPoints` buckets (the ladder's top when none fits). */
export function pickBucket(from: number, to: number, maxPoints = DEFAULT_MAX_POINTS): number {
  const span = Math.max(1, to - from);
  return BUCKET_LADDER.find((b) => span / b <= maxPoints) ?? BUCKET_LADDER.at(-1)!;
}
