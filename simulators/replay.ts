// Replays recordings into a park as the devices that sent them: each recorded device connects with
// its own credentials (derived from the fleet key) and publishes its recorded messages, in the
// recorded order, with the recorded seq values, at x1, xN or as fast as the broker acknowledges.
//
// What a replay publishes, and what not:
// - Every recorded line of the park, byte for byte except `ts`: the payload's `ts` is rebased so the
//   recording starts now (see ReplayClock). Payloads that are not JSON objects (a recorded burst of
//   malformed input) go out unchanged, and the ingest rejects them again.
// - Status messages (online, offline, and last wills with `will: true`) are republished as the
//   retained status messages they were, in their place in the stream. A replaying device sets no
//   last will of its own and publishes no status of its own (it leaves with a clean DISCONNECT), so
//   the store afterwards holds exactly the recorded readings, and the wall shows the status the
//   recording last gave each device.
// - Retained statuses the broker handed the recorder at subscribe time are replayed too (first).
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import { connectBroker } from '../shared/broker-client.ts';
import { deriveDeviceSecret } from '../shared/credentials.ts';
import type { Logger } from '../shared/logger.ts';
import { createThrottledLog } from '../shared/throttled-log.ts';
import { parseDeviceTopic } from '../shared/topics.ts';
import { decodeLine, firstReceivedAt, payloadOf, type RecordedLine } from './recording.ts';

/**
 * `recorded`: device timestamps keep the recording's spacing, shifted so its first message is now
 * (at x60 an hour of device time arrives in a minute). `scaled`: spacing divided by the speed, so
 * device time follows the wall clock of the replay (a time-lapse for the screen's charts). At
 * `max` speed there is no wall-clock mapping: both mean `recorded`.
 */
export type ReplayClock = 'recorded' | 'scaled';

export interface ReplayOptions {
  /** NDJSON files, or folders of them; replayed in the order of their first message. */
  paths: readonly string[];
  url: string;
  parkId: string;
  fleetKey: string;
  /** 1 = as recorded, 60 = sixty times faster, 'max' = as fast as the broker acknowledges. */
  speed: number | 'max';
  clock?: ReplayClock;
  logger: Logger;
  /** Messages published and not yet acknowledged, at most; default 1000. */
  maxInFlight?: number;
  /** Device secret override (tests). */
  secretFor?: (deviceId: string) => string;
  /** ms to wait for every recorded device to connect before giving up; default 30 000. */
  connectTimeoutMs?: number;
  now?: () => number;
}

export interface ReplayProgress {
  /** Messages to replay (valid lines of this park). */
  total: number;
  sent: number;
  acked: number;
  errors: number;
  devices: number;
  /** Recorded time covered so far and in all, ms. */
  position: number;
  span: number;
  elapsedMs: number;
}

export interface ReplaySummary extends ReplayProgress {
  files: string[];
  /** Messages per second over the replay. */
  ratePerSec: number;
  /** Recorded span / replay time. */
  achievedSpeed: number;
  errorsBy: { unreadableLines: number; otherPark: number; refusedDevices: number; refusedMessages: number; publishFailed: number };
  cancelled: boolean;
}

export interface Replay {
  progress(): ReplayProgress;
  /** Resolves when every message was published and acknowledged (or the replay was cancelled). */
  done: Promise<ReplaySummary>;
  /** Stops publishing; waits (briefly) for what is in flight. */
  cancel(): void;
}

/** Files to replay: folders expand to their `*.ndjson`; ordered by the time of their first message. */
export function recordingFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`no such recording: ${p}`);
    }
    if (st.isDirectory()) files.push(...readdirSync(p).filter((f) => f.endsWith('.ndjson')).sort().map((f) => join(p, f)));
    else files.push(p);
  }
  if (files.length === 0) throw new Error(`no .ndjson recording in ${paths.join(', ')}`);
  const firsts = new Map(files.map((f) => [f, firstReceivedAt(f) ?? Number.MAX_SAFE_INTEGER]));
  return [...new Set(files)].sort((a, b) => firsts.get(a)! - firsts.get(b)!);
}

async function* readLines(files: readonly string[]): AsyncGenerator<{ file: string; lineNo: number; line: RecordedLine | null; error?: string }> {
  for (const file of files) {
    const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const text of rl) {
      lineNo++;
      if (text.trim() === '') continue;
      try {
        yield { file, lineNo, line: decodeLine(text) };
      } catch (err) {
        yield { file, lineNo, line: null, error: (err as Error).message };
      }
    }
  }
}

/** The payload with its `ts` moved by `shift` ms; anything that is not a JSON object with a numeric ts goes unchanged. */
function rebased(line: RecordedLine, ts: (recorded: number) => number): Buffer {
  const bytes = payloadOf(line);
  if (line.base64) return bytes;
  let value: unknown;
  try {
    value = JSON.parse(line.payload);
  } catch {
    return bytes;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as { ts?: unknown }).ts !== 'number') return bytes;
  const v = value as { ts: number };
  return Buffer.from(JSON.stringify({ ...v, ts: ts(v.ts) }));
}

export async function createReplay(opts: ReplayOptions): Promise<Replay> {
  const log = opts.logger.child({ module: 'replay' });
  const warn = createThrottledLog(log);
  const now = opts.now ?? Date.now;
  const maxInFlight = opts.maxInFlight ?? 1000;
  const files = recordingFiles(opts.paths);
  const errorsBy = { unreadableLines: 0, otherPark: 0, refusedDevices: 0, refusedMessages: 0, publishFailed: 0 };

  // Pass 1: what is there (devices, span), so every device can connect before the clock starts.
  const perDevice = new Map<string, number>();
  let total = 0;
  let first: number | null = null;
  let last = 0;
  for await (const { file, lineNo, line, error } of readLines(files)) {
    if (!line) {
      errorsBy.unreadableLines++;
      warn('unreadable', { file, line: lineNo, err: error }, 'unreadable recording line (skipped)');
      continue;
    }
    const t = parseDeviceTopic(line.topic, opts.parkId);
    if (!t.ok) {
      errorsBy.otherPark++;
      warn('other-park', { file, line: lineNo, topic: line.topic.slice(0, 120), err: t.error }, 'not a device topic of this park (skipped)');
      continue;
    }
    total++;
    perDevice.set(t.topic.deviceId, (perDevice.get(t.topic.deviceId) ?? 0) + 1);
    first ??= line.receivedAt;
    last = Math.max(last, line.receivedAt);
  }
  const t0 = first ?? 0;
  const span = Math.max(0, last - t0);

  // Each recorded device, its own connection: no will, no status of its own.
  const clients = new Map<string, MqttClient>();
  const refused = new Set<string>();
  const connecting = Promise.all(
    [...perDevice.keys()].map(
      (id) =>
        new Promise<void>((resolve) => {
          const c = connectBroker(opts.url, {
            clientId: id,
            username: id,
            password: opts.secretFor?.(id) ?? deriveDeviceSecret(opts.fleetKey, opts.parkId, id),
            clean: true,
            protocolVersion: 4,
            reconnectPeriod: 1000,
            connectTimeout: 10_000,
          });
          clients.set(id, c);
          c.once('connect', () => resolve());
          c.on('error', (err: Error & { code?: number | string }) => {
            if (typeof err.code !== 'number') return; // socket errors: mqtt.js retries
            refused.add(id);
            warn('refused', { device: id, err: err.message }, 'the broker refused a recorded device; its messages are skipped');
            resolve();
          });
        }),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([connecting.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), opts.connectTimeoutMs ?? 30_000)))]);
  clearTimeout(timer);
  if (timedOut) {
    await Promise.all([...clients.values()].map((c) => c.endAsync(true).catch(() => {})));
    throw new Error(`replay: cannot reach the broker at ${opts.url} (${[...clients.values()].filter((c) => !c.connected).length} of ${clients.size} devices not connected)`);
  }
  for (const id of refused) {
    errorsBy.refusedDevices++;
    errorsBy.refusedMessages += perDevice.get(id) ?? 0;
  }

  const counts = { sent: 0, acked: 0 };
  let position = 0;
  let inFlight = 0;
  let slotFree: (() => void) | null = null;
  let cancelled = false;
  const startedAt = now();
  const speed = opts.speed;
  const scaled = opts.clock === 'scaled' && speed !== 'max';
  const newTs = (ts: number): number => (scaled ? startedAt + (ts - t0) / (speed as number) : ts + (startedAt - t0));
  log.info({ files: files.length, messages: total, devices: perDevice.size, spanMs: span, speed }, 'replay started');

  async function publishAll(): Promise<void> {
    for await (const { line } of readLines(files)) {
      if (cancelled) break;
      if (!line) continue;
      const t = parseDeviceTopic(line.topic, opts.parkId);
      if (!t.ok || refused.has(t.topic.deviceId)) continue;
      if (speed !== 'max') {
        const due = startedAt + (line.receivedAt - t0) / speed;
        const wait = due - now();
        if (wait > 1) await sleep(wait);
      }
      while (inFlight >= maxInFlight && !cancelled) await new Promise<void>((r) => (slotFree = r));
      if (cancelled) break;
      position = line.receivedAt - t0;
      inFlight++;
      counts.sent++;
      // The status channel is retained by contract (the device published it so).
      clients.get(t.topic.deviceId)!.publish(line.topic, rebased(line, newTs), { qos: line.qos, retain: t.topic.channel === 'status' }, (err) => {
        inFlight--;
        if (err) {
          errorsBy.publishFailed++;
          warn('publish', { topic: line.topic, err: err.message }, 'publish failed');
        } else counts.acked++;
        slotFree?.();
        slotFree = null;
      });
    }
    const deadline = now() + (cancelled ? 5000 : 60_000);
    while (inFlight > 0 && now() < deadline) await sleep(20);
  }

  const errors = (): number => Object.values(errorsBy).reduce((s, n) => s + n, 0) - errorsBy.refusedDevices;
  const progress = (): ReplayProgress => ({ total, sent: counts.sent, acked: counts.acked, errors: errors(), devices: perDevice.size, position, span, elapsedMs: now() - startedAt });

  const done = publishAll().then(async () => {
    // Forced where the connection is gone: mqtt.js would wait forever for its unacknowledged publishes.
    await Promise.all([...clients.values()].map((c) => c.endAsync(!c.connected).catch(() => {})));
    const p = progress();
    const seconds = Math.max(0.001, p.elapsedMs / 1000);
    const summary: ReplaySummary = {
      ...p,
      files,
      ratePerSec: Math.round((p.acked / seconds) * 10) / 10,
      achievedSpeed: Math.round((p.position / 1000 / seconds) * 10) / 10,
      errorsBy: { ...errorsBy },
      cancelled,
    };
    log.info(summary, 'replay finished');
    return summary;
  });

  return {
    progress,
    done,
    cancel() {
      cancelled = true;
      slotFree?.();
    },
  };
}
