// One way to say what a zod validation found wrong, for error messages, logs and HTTP answers:
// `path: message` per problem (`(root)` when the value itself is wrong), joined with `; `.
import type { z } from 'zod';

/** One problem, `path: message`. */
export function formatIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return '(root): invalid';
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}

/** Every problem (or the first `max`), `path: message; path: message`. */
export function formatIssues(error: z.ZodError, max = Infinity): string {
  return error.issues.slice(0, max).map(formatIssue).join('; ');
}
