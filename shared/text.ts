// Shortening text someone else chose (client ids, topics, progress lines) before it goes into a
// log line or onto a terminal, so one long value cannot flood either.

/** `text` when it has at most `max` characters, else its start and an ellipsis, `max` characters in all. */
export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
