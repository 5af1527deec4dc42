// A load-generator process: drives a share of the load meters, each on its own connection with its
// own credentials, publishing meter readings (with ts and seq) at a set rate per device, or as fast
// as the broker takes them. Prints one JSON line per second on stdout and a final report.
//   node --import tsx bench/load/publisher.ts '<json PublisherConfig>'
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { waitForFile } from './go-file.ts';
import { leanConnect, type LeanClient } from './lean-client.ts';

export interface PublisherConfig {
  host: string;
  port: number;
  parkId: string;
  /** Device secrets derive from it; null connects without credentials (a broker with anonymous access). */
  fleetKey: string | null;
  deviceIds: string[];
  qos: 0 | 1;
  /** Messages per second per device; 0 = as fast as the broker acknowledges (QoS 1) or the socket takes (QoS 0). */
  ratePerDevice: number;
  durationMs: number;
  /** New connections per second. */
  rampPerSec: number;
  /** QoS 1 in-flight window per connection. */
  window: number;
  /** First seq of every device. */
  startSeq: number;
  /** Broker hosts (a cluster's nodes, each with its MQTT port): device i connects to node i mod n; default host/port. */
  nodes?: { host: string; port: number }[];
  /** Report publish -> PUBACK percentiles (QoS 1). */
  ackLatency?: boolean;
  /**
   * Flat out only: connect every device, then wait until this file exists before publishing, and
   * count durationMs from then. Several publishers then start their floods together: without it
   * the first to connect floods the broker while the others' CONNECTs (each a scrypt run) wait, and
   * on a busy 2-core machine the last device connected as the run ended (no steady window).
   */
  goFile?: string;
  /**
   * Put `"sentAt"` (epoch ms with microseconds: performance.timeOrigin + performance.now()) after
   * `ts` in every reading. The broker suite's latencies are a few ms, where whole-ms stamps at both
   * ends make the p99 a step of 1 ms. Only for a broker alone: the ingest's schema refuses the field.
   */
  stampMicros?: boolean;
}

interface Line {
  t: number;
  connected: number;
  failures: number;
  sent: number;
  acked: number;
  cpuUs: number;
  final?: boolean;
  connectMs?: number | null;
  /** Final line: when the last device connected and when publishing stopped (epoch ms, null if one failed). */
  connectedAt?: number | null;
  /** Final line, with goFile: when publishing began (epoch ms). */
  goAt?: number;
  endAt?: number;
  rssMb?: number;
  /** Final line: [device, sent, acked] each; QoS 1 acknowledgements come in order, so a device's
   *  acknowledged seqs are startSeq .. startSeq + acked - 1. */
  devices?: [string, number, number][];
  failureReasons?: Record<string, number>;
  retries?: number;
  /** publish -> PUBACK, ms (with ackLatency). */
  ack?: { p50: number | null; p95: number | null; p99: number | null; max: number | null; n: number };
}

const config = JSON.parse(process.argv[2] ?? '{}') as PublisherConfig;
const started = Date.now();
const cpu0 = process.cpuUsage();
const clients: { id: string; client: LeanClient; seq: number; kwh: number; due: number }[] = [];
let failures = 0;
const failureReasons: Record<string, number> = {};
let sent = 0;
let allConnectedAt: number | null = null;
const ackMs: number[] = [];

function emit(extra: Partial<Line> = {}): void {
  const c = process.cpuUsage(cpu0);
  const acked = clients.reduce((s, c2) => s + c2.client.acked, 0);
  const line: Line = { t: Date.now() - started, connected: clients.filter((c2) => c2.client.connected).length, failures, sent, acked, cpuUs: c.user + c.system, ...extra };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function reading(c: (typeof clients)[number]): string {
  const kw = 80 + ((c.seq * 7919) % 400) / 10;
  c.kwh += kw / 3600;
  // Hand-built JSON: the shape of a meter reading (shared/schema.ts meterTelemetrySchema).
  const sentAt = config.stampMicros ? `"sentAt":${(performance.timeOrigin + performance.now()).toFixed(3)},` : '';
  return `{"ts":${Date.now()},${sentAt}"seq":${c.seq++},"kw":${kw},"kwh":${c.kwh.toFixed(3)},"voltage":400.2,"current":${(kw * 1.5).toFixed(1)},"powerFactor":0.93}`;
}

let retries = 0;
/** As a device does: a refused or timed-out connection is tried again, up to 5 times, 1-3 s apart. */
async function connectWithRetry(id: string, i: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const node = config.nodes?.[i % config.nodes.length] ?? { host: config.host, port: config.port };
      const client = await leanConnect({
        host: node.host, port: node.port, clientId: id, window: config.window,
        ...(config.ackLatency ? { onAck: (ms: number) => ackMs.push(ms) } : {}),
        ...(config.fleetKey ? { username: id, password: deriveDeviceSecret(config.fleetKey, config.parkId, id) } : {}),
      });
      clients.push({ id, client, seq: config.startSeq, kwh: 10_000 + i, due: Date.now() });
      return;
    } catch (err) {
      const reason = (err as Error).message;
      if (attempt >= 5 || (err as { code?: number }).code === 4 || (err as { code?: number }).code === 5) {
        failures++;
        failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
        return;
      }
      retries++;
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 2000));
    }
  }
}

async function connectAll(): Promise<void> {
  const gap = 1000 / Math.max(1, config.rampPerSec);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < config.deviceIds.length; i++) {
    const id = config.deviceIds[i]!;
    const at = started + i * gap;
    const wait = at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(connectWithRetry(id, i));
  }
  await Promise.all(pending);
  allConnectedAt = failures === 0 ? Date.now() : null;
}

const topicOf = (id: string): string => `park/${config.parkId}/meter/${id}/telemetry`;

let goAt: number | null = null;
let end = started + config.durationMs;

/** Waits for the start barrier; the run's duration counts from then. */
async function go(file: string): Promise<void> {
  await waitForFile(file);
  goAt = Date.now();
  end = goAt + config.durationMs;
}

async function run(): Promise<void> {
  const ticker = setInterval(() => emit(), 1000);
  const connecting = connectAll();
  if (config.ratePerDevice > 0) {
    // Paced: every 10 ms each device sends what its rate says is due.
    const interval = 1000 / config.ratePerDevice;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = Date.now();
        if (now >= end) {
          clearInterval(timer);
          resolve();
          return;
        }
        for (const c of clients) {
          // A reading (and its seq) is made only when the window takes it: a full window waits.
          while (c.due <= now && c.client.connected && (config.qos === 0 || c.client.hasRoom())) {
            c.client.publish(topicOf(c.id), reading(c), config.qos);
            sent++;
            c.due += interval;
          }
        }
      }, 10);
    });
  } else {
    // Flat out: keep every window full (QoS 1), or write as long as the socket accepts (QoS 0).
    const pump = async (c: (typeof clients)[number]): Promise<void> => {
      while (Date.now() < end && c.client.connected) {
        for (let k = 0; k < 50 && (config.qos === 0 || c.client.hasRoom()); k++) {
          c.client.publish(topicOf(c.id), reading(c), config.qos);
          sent++;
        }
        await c.client.drained();
        await new Promise((r) => setImmediate(r));
      }
    };
    await connecting;
    if (config.goFile) await go(config.goFile);
    await Promise.all(clients.map(pump));
  }
  await connecting;
  // Let acknowledgements of what was sent arrive (bounded).
  const settle = Date.now() + 5000;
  while (Date.now() < settle && config.qos === 1 && clients.some((c) => c.client.inflight > 0 && c.client.connected)) await new Promise((r) => setTimeout(r, 20));
  clearInterval(ticker);
  finish();
}

function percentiles(xs: number[]): NonNullable<Line['ack']> {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number | null => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 10) / 10 : null);
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s.length ? Math.round(s.at(-1)! * 10) / 10 : null, n: s.length };
}

let finished = false;
function finish(): void {
  if (finished) return;
  finished = true;
  emit({
    final: true,
    connectMs: allConnectedAt === null ? null : allConnectedAt - started,
    connectedAt: allConnectedAt,
    ...(goAt !== null ? { goAt } : {}),
    endAt: end,
    rssMb: process.memoryUsage().rss / 2 ** 20,
    devices: clients.map((c) => [c.id, c.seq - config.startSeq, c.client.acked]),
    failureReasons,
    retries,
    ...(config.ackLatency ? { ack: percentiles(ackMs) } : {}),
  });
  for (const c of clients) c.client.end();
  setTimeout(() => process.exit(0), 200);
}
// Stopped early (a benchmark that has what it needs): report what ran.
process.on('SIGTERM', finish);

void run();
