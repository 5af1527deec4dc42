// The recording format: NDJSON, one device message per line, in the order the recorder received
// them. `payload` is the message as UTF-8 text; a payload that is not valid UTF-8 is stored as
// base64 with `"base64": true`, so every byte survives a round trip.
//   {"topic":"park/dantu/meter/mtr-zhonghai-1/telemetry","payload":"{\"ts\":...}","qos":1,"retain":false,"receivedAt":1719734400123}
import { closeSync, openSync, readSync } from 'node:fs';
import { TextDecoder } from 'node:util';
import { z } from 'zod';
import { formatIssues } from '../shared/validation.ts';

export const recordedLineSchema = z.strictObject({
  topic: z.string().min(1),
  payload: z.string(),
  base64: z.literal(true).optional(),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  /** Set when the broker delivered a stored retained message (at subscribe), not a live one. */
  retain: z.boolean(),
  /** Recorder clock at arrival, ms. */
  receivedAt: z.number().int().nonnegative(),
});
export type RecordedLine = z.infer<typeof recordedLineSchema>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeLine(msg: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean; receivedAt: number }): string {
  let text: string | null = null;
  try {
    text = utf8.decode(msg.payload);
  } catch {
    text = null;
  }
  const line: RecordedLine =
    text === null
      ? { topic: msg.topic, payload: msg.payload.toString('base64'), base64: true, qos: msg.qos, retain: msg.retain, receivedAt: msg.receivedAt }
      : { topic: msg.topic, payload: text, qos: msg.qos, retain: msg.retain, receivedAt: msg.receivedAt };
  return `${JSON.stringify(line)}\n`;
}

/** Parses one line; throws with the reason when it is not a recorded message. */
export function decodeLine(text: string): RecordedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  const parsed = recordedLineSchema.safeParse(raw);
  if (!parsed.success) throw new Error(formatIssues(parsed.error));
  return parsed.data;
}

export function payloadOf(line: RecordedLine): Buffer {
  return line.base64 ? Buffer.from(line.payload, 'base64') : Buffer.from(line.payload, 'utf8');
}

/** The `receivedAt` of a recording file's first line, or null (empty or unreadable). */
export function firstReceivedAt(path: string): number | null {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const first = buf.subarray(0, n).toString('utf8').split('\n', 1)[0] ?? '';
    return decodeLine(first).receivedAt;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
