// Checks on the strings a client sends (client id, user name, topics, filters). Aedes accepts NUL,
// control characters and ill-formed UTF-8 in all of them (docs/facts.md); MQTT 3.1.1 forbids or
// discourages each:
//   MQTT-1.5.3-1  ill-formed UTF-8 and encodings of U+D800..U+DFFF must close the connection;
//   MQTT-1.5.3-2  U+0000 must close the connection;
//   1.5.3         U+0001..U+001F, U+007F..U+009F and non-characters should not be used.
// mqtt-packet decodes strings with Buffer#toString, which turns ill-formed bytes (and encoded
// surrogates) into U+FFFD, so U+FFFD stands for "was ill-formed" here and is refused too. The rule
// itself lives in shared/clean-text.ts (the ingest applies it to payload text fields).

export { isCleanText } from '../shared/clean-text.ts';
import { isCleanText } from '../shared/clean-text.ts';

/** Client ids and user names: clean, 1..maxChars characters. Park ids are at most 64. */
export function isCleanIdentifier(s: string | undefined, maxChars = 64): boolean {
  return s !== undefined && s.length > 0 && s.length <= maxChars && isCleanText(s);
}

export interface TopicLimits {
  /** Longest topic or filter, bytes of UTF-8. */
  maxBytes: number;
  /** Most levels (parts between `/`). */
  maxLevels: number;
}

/** Why a topic or filter is refused, or null when it is acceptable. */
export function topicProblem(topic: string, limits: TopicLimits): 'empty' | 'too-long' | 'too-deep' | 'bad-characters' | null {
  if (topic.length === 0) return 'empty';
  // UTF-8 takes 1..3 bytes per UTF-16 unit: only measure when the cheap bounds do not decide.
  if (topic.length > limits.maxBytes) return 'too-long';
  if (topic.length * 3 > limits.maxBytes && Buffer.byteLength(topic, 'utf8') > limits.maxBytes) return 'too-long';
  let levels = 1;
  for (let i = topic.indexOf('/'); i !== -1; i = topic.indexOf('/', i + 1)) {
    if (++levels > limits.maxLevels) return 'too-deep';
  }
  if (!isCleanText(topic)) return 'bad-characters';
  return null;
}
