// The recorder: subscribes to every device topic of the park with its own service account
// (`svc-recorder`: reads device topics, publishes nothing) and appends each message to an NDJSON
// recording (recording.ts) with size/age rotation (rotating-writer.ts). In a sharded park on a NATS
// cluster the broker delivers device messages as shard/{k}/park/...: they are recorded under their
// device topic, so a recording is the same whichever broker it came from.
import type { MqttClient } from 'mqtt';
import { connectBroker } from '../shared/broker-client.ts';
import type { Logger } from '../shared/logger.ts';
import { allShardsDeviceFilters } from '../shared/shard-topics.ts';
import { deviceFilters } from '../shared/topics.ts';
import { encodeLine } from './recording.ts';
import { createRotatingWriter } from './rotating-writer.ts';

export interface RecorderOptions {
  url: string;
  parkId: string;
  username: string;
  password: string;
  /** Default `<username>-<pid>`: several recorders may run at once. */
  clientId?: string;
  /** The active recording file; full segments are renamed beside it. */
  out: string;
  /** Rotate at this size, bytes; 0 = never by size. */
  rotateBytes?: number;
  /** Rotate at this age, ms; 0 = never by age. */
  rotateMs?: number;
  /** ms `ready()` waits for the broker; default 30 000. */
  readyTimeoutMs?: number;
  logger: Logger;
  now?: () => number;
}

export interface RecorderStats {
  connected: boolean;
  messages: number;
  /** Of those, retained messages the broker replayed at subscribe time. */
  retained: number;
  /** Of those, payloads stored as base64 (not valid UTF-8). */
  binary: number;
  bytes: number;
  files: string[];
}

export interface Recorder {
  /** Resolves once connected and subscribed; rejects when the broker refuses the account or the subscription. */
  ready(): Promise<void>;
  stats(): RecorderStats;
  /** Leaves the broker, then writes and closes the file. */
  close(): Promise<void>;
}

export async function createRecorder(opts: RecorderOptions): Promise<Recorder> {
  const log = opts.logger.child({ module: 'recorder' });
  const now = opts.now ?? Date.now;
  const writer = createRotatingWriter({ path: opts.out, maxBytes: opts.rotateBytes, maxAgeMs: opts.rotateMs, now });
  const counts = { messages: 0, retained: 0, binary: 0 };
  let closed = false;

  const client: MqttClient = connectBroker(opts.url, {
    clientId: opts.clientId ?? `${opts.username.split('@')[0]}-${process.pid}`,
    username: opts.username,
    password: opts.password,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
  });
  client.on('message', (raw, payload, packet) => {
    const topic = raw.startsWith('shard/') ? raw.slice(raw.indexOf('/', 6) + 1) : raw;
    const line = encodeLine({ topic, payload, qos: packet.qos, retain: packet.retain, receivedAt: now() });
    writer.write(line);
    counts.messages++;
    if (packet.retain) counts.retained++;
    if (line.includes('"base64":true')) counts.binary++;
  });
  client.on('offline', () => log.warn('broker unreachable; reconnecting'));

  const ready = new Promise<void>((resolve, reject) => {
    // A refused CONNACK is final; anything else (no broker yet, a slow CONNACK) mqtt.js retries, up to a limit.
    const timer = setTimeout(() => reject(new Error(`recorder cannot connect to ${opts.url} within ${opts.readyTimeoutMs ?? 30_000} ms`)), opts.readyTimeoutMs ?? 30_000);
    client.on('error', (err: Error & { code?: number | string }) => {
      if (typeof err.code === 'number') reject(new Error(`recorder cannot connect to ${opts.url}: ${err.message}`));
    });
    client.on('connect', () => {
      clearTimeout(timer);
      client.subscribe([...deviceFilters(opts.parkId), ...allShardsDeviceFilters(opts.parkId)], { qos: 1 }, (err, granted) => {
        const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
        if (err || refused.length > 0) {
          reject(new Error(`the broker refused the recorder's subscription ${err?.message ?? refused.join(', ')}`));
          return;
        }
        log.info({ out: opts.out }, 'recording');
        resolve();
      });
    });
  });
  ready.catch(() => {});
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));

  return {
    ready: () => ready,
    stats: () => ({ connected: client.connected, ...counts, bytes: writer.bytesWritten, files: writer.files() }),
    async close() {
      if (closed) return;
      closed = true;
      await client.endAsync();
      writer.close();
      log.info({ ...counts, files: writer.files() }, 'recording closed');
    },
  };
}
