// The fleet simulator: every device of the park model as its own MQTT client, publishing plausible
// telemetry at a configurable rate. Seq counters (and meter kWh) persist in a state file so a
// restarted fleet continues where it stopped instead of repeating sequence numbers.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deriveDeviceSecret } from '../shared/credentials.ts';
import type { Logger } from '../shared/logger.ts';
import type { Device, ParkModel } from '../shared/park-model.ts';
import { createDeviceClient, type DeviceClient, type Published } from './device-client.ts';
import { createBehaviour, type DeviceBehaviour } from './profiles.ts';

export interface FleetOptions {
  model: ParkModel;
  /** Broker URL (mqtt://, ws://). */
  url: string;
  /** Fleet provisioning key: each device's secret derives from it. */
  fleetKey: string;
  logger: Logger;
  /** ms between telemetry messages of one device; default 2000. */
  intervalMs?: number;
  /** Random seed; default 20240630. */
  seed?: number;
  /** Stop after this many data messages (telemetry + events) in all; 0 = run until closed. */
  maxMessages?: number;
  /** Only these devices (default: every device of the model). */
  devices?: readonly Device[];
  /** Seq/kWh state file; none = counters start at 1 each run. */
  statePath?: string;
  /** Keep every acknowledged (device, seq), for verification; default false. */
  track?: boolean;
  /** Override a device's secret (tests of wrong secrets). */
  secretFor?: (device: Device) => string;
  now?: () => number;
}

export interface FleetStats {
  devices: number;
  connected: number;
  sent: number;
  acked: number;
  failed: number;
  events: number;
}

export interface Fleet {
  /** Resolves once every device is connected (or `timeoutMs` passed; then rejects). */
  connected(timeoutMs?: number): Promise<void>;
  /** Resolves when `maxMessages` data messages were acknowledged by the broker. */
  done(): Promise<void>;
  stats(): FleetStats;
  /** Acknowledged messages (with `track`). */
  published(): readonly Published[];
  client(deviceId: string): DeviceClient | undefined;
  close(): Promise<void>;
}

interface SavedState {
  savedAt: string;
  devices: Record<string, { nextSeq: number; values: Record<string, number> }>;
}

/** Seqs reserved ahead in the state file, so a crash (no final save) never reuses one. */
const SEQ_RESERVE = 1000;

export async function createFleet(opts: FleetOptions): Promise<Fleet> {
  const log = opts.logger.child({ module: 'fleet' });
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? 2000;
  const seed = opts.seed ?? 20240630;
  const maxMessages = opts.maxMessages ?? 0;
  const devices = opts.devices ?? opts.model.devices;
  const saved: SavedState | null = opts.statePath && existsSync(opts.statePath) ? (JSON.parse(readFileSync(opts.statePath, 'utf8')) as SavedState) : null;
  const stats: FleetStats = { devices: devices.length, connected: 0, sent: 0, acked: 0, failed: 0, events: 0 };
  const published: Published[] = [];
  const clients = new Map<string, DeviceClient>();
  const behaviours = new Map<string, DeviceBehaviour>();
  const timers: NodeJS.Timeout[] = [];
  let doneResolve!: () => void;
  const donePromise = new Promise<void>((r) => (doneResolve = r));
  let closed = false;

  for (const device of devices) {
    const prior = saved?.devices[device.id];
    behaviours.set(device.id, createBehaviour(device, { model: opts.model, seed, saved: prior?.values }));
    clients.set(
      device.id,
      createDeviceClient({
        url: opts.url,
        parkId: opts.model.id,
        device,
        secret: opts.secretFor?.(device) ?? deriveDeviceSecret(opts.fleetKey, opts.model.id, device.id),
        startSeq: prior?.nextSeq ?? 1,
        now,
        onConnectError: (err) => log.warn({ device: device.id, err: err.message }, 'device connection error'),
      }),
    );
  }

  function saveState(reserve: number): void {
    if (!opts.statePath) return;
    const state: SavedState = { savedAt: new Date(now()).toISOString(), devices: {} };
    for (const [id, c] of clients) state.devices[id] = { nextSeq: c.nextSeq + reserve, values: behaviours.get(id)!.state() };
    mkdirSync(dirname(opts.statePath), { recursive: true });
    writeFileSync(`${opts.statePath}.tmp`, JSON.stringify(state));
    renameSync(`${opts.statePath}.tmp`, opts.statePath);
  }
  saveState(SEQ_RESERVE);
  if (opts.statePath) timers.push(setInterval(() => saveState(SEQ_RESERVE), 10_000));

  const budgetLeft = (): boolean => maxMessages === 0 || stats.sent < maxMessages;
  function send(client: DeviceClient, channel: 'telemetry' | 'event', values: Record<string, unknown>): void {
    stats.sent++;
    if (channel === 'event') stats.events++;
    client.publish(channel, values).then(
      (p) => {
        stats.acked++;
        if (opts.track) published.push(p);
        if (maxMessages > 0 && stats.acked >= maxMessages) doneResolve();
      },
      (err: Error) => {
        stats.failed++;
        log.warn({ device: client.device.id, err: err.message }, 'publish failed');
      },
    );
  }

  function tick(device: Device): void {
    const client = clients.get(device.id)!;
    if (closed || !client.connected || !budgetLeft()) return;
    const b = behaviours.get(device.id)!;
    const ts = now();
    send(client, 'telemetry', b.telemetry(ts));
    const ev = b.event(ts);
    if (ev && budgetLeft()) send(client, 'event', ev);
  }

  // Spread the devices over one interval so the broker sees a steady stream, not bursts.
  devices.forEach((device, i) => {
    const offset = Math.floor((i / devices.length) * intervalMs);
    timers.push(
      setTimeout(() => {
        tick(device);
        timers.push(setInterval(() => tick(device), intervalMs));
      }, offset),
    );
  });

  const countConnected = (): number => [...clients.values()].filter((c) => c.connected).length;
  log.info({ devices: devices.length, intervalMs, maxMessages, seed }, 'fleet started');

  return {
    async connected(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (countConnected() < clients.size) {
        if (Date.now() > deadline) throw new Error(`only ${countConnected()} of ${clients.size} devices connected after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    done: () => (maxMessages > 0 ? donePromise : Promise.reject(new Error('fleet has no message budget (maxMessages = 0)'))),
    stats: () => ({ ...stats, connected: countConnected() }),
    published: () => published,
    client: (id) => clients.get(id),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all([...clients.values()].map((c) => c.stop()));
      saveState(0);
      log.info(stats, 'fleet stopped');
    },
  };
}
