// Text a client chose (client ids, topics, a camera event's zone) must be printable Unicode. MQTT
// 3.1.1 forbids or discourages, and the store and screen have no use for:
//   MQTT-1.5.3-1  ill-formed UTF-8 and encodings of U+D800..U+DFFF;
//   MQTT-1.5.3-2  U+0000;
//   1.5.3         U+0001..U+001F, U+007F..U+009F and non-characters.
// Decoders turn ill-formed bytes into U+FFFD (mqtt-packet's Buffer#toString), and JSON can spell a
// lone surrogate or NUL as an escape ("\udc00", "\u0000"), so both are checked on the decoded text.

// C0 controls (incl. NUL), DEL, C1 controls, U+FFFD (replacement) and the non-characters U+FFFE/F.
const FORBIDDEN = /[\u0000-\u001F\u007F-\u009F\uFFFD\uFFFE\uFFFF]/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string holds no character of the kinds above. */
export function isCleanText(s: string): boolean {
  return !FORBIDDEN.test(s) && !LONE_SURROGATE.test(s);
}

/** The message a schema gives for unclean text. */
export const UNCLEAN_TEXT = 'contains NUL, control characters or ill-formed UTF-8';
