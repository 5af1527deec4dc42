// The fleet simulator: every device of the park model as its own MQTT client, publishing plausible
// telemetry at a configurable rate. Seq counters (and meter kWh) persist in a state file so a
// restarted fleet continues where it stopped instead of repeating sequence numbers.
// Scenarios drive single devices through `takeOffline`, `bringOnline`, `setFault`, `sendEvent`
// and `publishRaw`; load tests add a connection ramp and sized payloads.
import { existsSync, readFileSync } from 'node:fs';
import { deriveDeviceSecret } from '../shared/credentials.ts';
import type { Logger } from '../shared/logger.ts';
import type { Device, ParkModel } from '../shared/park-model.ts';
import type { CameraEvent } from '../shared/schema.ts';
import { createThrottledLog } from '../shared/throttled-log.ts';
import { createDeviceClient, type DeviceClient, type Published } from './device-client.ts';
import { createBehaviour, type AlarmRates, type DeviceBehaviour, type DeviceFault } from './profiles.ts';
import { withDefaults } from '../shared/options.ts';
import { writeFileAtomic } from '../shared/json-file.ts';

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
  /** New connections per second; default 0 = every device at once. */
  rampPerSec?: number;
  /** Pad telemetry payloads to exactly this many bytes (see payload-size.ts); default 0 = natural. */
  payloadBytes?: number;
  /** ms between a device's reconnect attempts (jittered ±50%); default 1000. */
  reconnectPeriodMs?: number;
  /** Intrusions and tampering across the park (profiles.ts AlarmRates); default a few a night. */
  alarms?: AlarmRates;
  now?: () => number;
}

export interface FleetStats {
  devices: number;
  /** Clients created so far (all of them once the ramp is done). */
  started: number;
  connected: number;
  sent: number;
  acked: number;
  failed: number;
  events: number;
  /** Connections made again after a loss (broker restart, network cut), over all devices. */
  reconnects: number;
  /** Devices the broker refused at CONNECT (wrong secret, unknown account); they stay down. */
  refused: number;
  /** Connection errors by code (a CONNACK return code, or a socket error such as ECONNREFUSED). */
  connectErrors: Record<string, number>;
  /** Devices a scenario took offline. */
  offline: number;
}

/** How a device goes offline: its will (socket dies), a clean offline status, or silence (connected, sending nothing). */
export type OfflineMode = 'will' | 'graceful' | 'silent';

export interface Fleet {
  /** Resolves once every device is connected (or `timeoutMs` passed; then rejects). */
  connected(timeoutMs?: number): Promise<void>;
  /** Resolves when `maxMessages` data messages were sent and settled (acknowledged, or failed with a lost connection). */
  done(): Promise<void>;
  stats(): FleetStats;
  /** Acknowledged messages (with `track`). */
  published(): readonly Published[];
  client(deviceId: string): DeviceClient | undefined;
  /** Connected, and not taken offline or silenced by a scenario. */
  active(deviceId: string): boolean;
  takeOffline(deviceId: string, mode: OfflineMode): Promise<void>;
  /** Back online after `takeOffline` (a new session, seq continues). */
  bringOnline(deviceId: string): void;
  setFault(deviceId: string, fault: DeviceFault | null): void;
  /** Publishes a camera event now (scenario intrusions); resolves on PUBACK. */
  sendEvent(deviceId: string, event: Omit<CameraEvent, 'ts' | 'seq'>): Promise<Published>;
  /** Publishes raw bytes as the device (malformed payloads); resolves on PUBACK. */
  publishRaw(deviceId: string, channel: 'telemetry' | 'event' | 'status', payload: string | Buffer): Promise<void>;
  close(): Promise<void>;
}

/** The simulator's defaults (the CLI's settings read them): a message per device every 2 s, a fixed seed, no end. */
export const DEFAULT_FLEET: Readonly<Required<Pick<FleetOptions, 'intervalMs' | 'seed' | 'maxMessages'>>> = Object.freeze({ intervalMs: 2000, seed: 20240630, maxMessages: 0 });

interface SavedState {
  savedAt: string;
  devices: Record<string, { nextSeq: number; values: Record<string, number> }>;
}

/** Seqs reserved ahead in the state file, so a crash (no final save) never reuses one. */
const SEQ_RESERVE = 1000;

export async function createFleet(opts: FleetOptions): Promise<Fleet> {
  const log = opts.logger.child({ module: 'fleet' });
  const warn = createThrottledLog(log);
  const now = opts.now ?? Date.now;
  const { intervalMs, seed, maxMessages } = withDefaults(DEFAULT_FLEET, { intervalMs: opts.intervalMs, seed: opts.seed, maxMessages: opts.maxMessages });
  const devices = opts.devices ?? opts.model.devices;
  const byId = new Map(devices.map((d) => [d.id, d]));
  const saved: SavedState | null = opts.statePath && existsSync(opts.statePath) ? (JSON.parse(readFileSync(opts.statePath, 'utf8')) as SavedState) : null;
  const stats = { sent: 0, acked: 0, failed: 0, events: 0 };
  const connectErrors: Record<string, number> = {};
  const published: Published[] = [];
  const clients = new Map<string, DeviceClient>();
  // Connections of clients a scenario replaced (takeOffline + bringOnline), for the reconnect count.
  let retiredConnects = 0;
  const behaviours = new Map<string, DeviceBehaviour>();
  const silent = new Set<string>();
  const offline = new Set<string>();
  const timers: NodeJS.Timeout[] = [];
  let doneResolve!: () => void;
  const donePromise = new Promise<void>((r) => (doneResolve = r));
  let closed = false;

  for (const device of devices) {
    const prior = saved?.devices[device.id];
    behaviours.set(device.id, createBehaviour(device, { model: opts.model, seed, saved: prior?.values, fullPrecision: (opts.payloadBytes ?? 0) > 0, alarms: opts.alarms, intervalMs }));
  }

  function startClient(device: Device, startSeq: number): DeviceClient {
    const client = createDeviceClient({
      url: opts.url,
      parkId: opts.model.id,
      device,
      secret: opts.secretFor?.(device) ?? deriveDeviceSecret(opts.fleetKey, opts.model.id, device.id),
      startSeq,
      now,
      reconnectPeriodMs: opts.reconnectPeriodMs,
      payloadBytes: opts.payloadBytes,
      onConnectError: (err) => {
        // A CONNACK return code, a socket error code, or mqtt.js's own words (`connack timeout`).
        const code = String(err.code ?? err.message.slice(0, 40));
        connectErrors[code] = (connectErrors[code] ?? 0) + 1;
        warn(`connect-${code}`, { device: device.id, err: err.message }, 'device connection error');
      },
    });
    clients.set(device.id, client);
    return client;
  }

  // The connection ramp: `rampPerSec` new clients per second, in steps of 100 ms.
  let startedCount = 0;
  const startNext = (n: number): void => {
    for (let i = 0; i < n && startedCount < devices.length; i++, startedCount++) {
      const device = devices[startedCount]!;
      startClient(device, saved?.devices[device.id]?.nextSeq ?? 1);
    }
  };
  const ramp = opts.rampPerSec ?? 0;
  if (ramp <= 0) startNext(devices.length);
  else {
    let credit = 0;
    const step = (): void => {
      credit += ramp / 10;
      const n = Math.floor(credit);
      credit -= n;
      startNext(n);
      if (startedCount >= devices.length) clearInterval(rampTimer);
    };
    const rampTimer = setInterval(step, 100);
    timers.push(rampTimer);
    step();
  }

  function saveState(reserve: number): void {
    if (!opts.statePath) return;
    const state: SavedState = { savedAt: new Date(now()).toISOString(), devices: { ...saved?.devices } };
    for (const [id, c] of clients) state.devices[id] = { nextSeq: c.nextSeq + reserve, values: behaviours.get(id)!.state() };
    writeFileAtomic(opts.statePath, JSON.stringify(state));
  }
  saveState(SEQ_RESERVE);
  if (opts.statePath) timers.push(setInterval(() => saveState(SEQ_RESERVE), 10_000));

  const budgetLeft = (): boolean => maxMessages === 0 || stats.sent < maxMessages;
  // A publish that fails (its device killed mid-flight) is settled too: waiting for its ack would be forever.
  const settled = (): void => {
    if (maxMessages > 0 && stats.acked + stats.failed >= maxMessages) doneResolve();
  };
  function track(p: Promise<Published>, device: string): Promise<Published> {
    return p.then(
      (pub) => {
        stats.acked++;
        if (opts.track) published.push(pub);
        settled();
        return pub;
      },
      (err: Error) => {
        stats.failed++;
        settled();
        warn('publish-failed', { device, err: err.message }, 'publish failed');
        throw err;
      },
    );
  }
  function send(client: DeviceClient, channel: 'telemetry' | 'event', values: Record<string, unknown>): void {
    stats.sent++;
    if (channel === 'event') stats.events++;
    track(client.publish(channel, values), client.device.id).catch(() => {});
  }

  function tick(device: Device): void {
    const client = clients.get(device.id);
    if (closed || !client?.connected || silent.has(device.id) || offline.has(device.id) || !budgetLeft()) return;
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

  const countConnected = (): number => {
    let n = 0;
    for (const c of clients.values()) if (c.connected) n++;
    return n;
  };
  const need = (deviceId: string): DeviceClient => {
    const c = clients.get(deviceId);
    if (!c) throw new Error(`device ${deviceId} is not in this fleet${byId.has(deviceId) ? ' yet (still ramping up)' : ''}`);
    return c;
  };
  log.info({ devices: devices.length, intervalMs, maxMessages, seed, rampPerSec: ramp, payloadBytes: opts.payloadBytes ?? 0 }, 'fleet started');

  return {
    async connected(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const want = (): number => devices.length - offline.size;
      while (countConnected() < want()) {
        if (Date.now() > deadline) {
          // What went wrong, if anything did: refused CONNACKs and socket errors by code (none: only slow).
          let refused = 0;
          let connects = 0;
          for (const c of clients.values()) {
            if (c.refused) refused++;
            connects += c.connects;
          }
          throw new Error(`only ${countConnected()} of ${want()} devices connected after ${timeoutMs} ms (${clients.size} started, ${connects} connects, ${refused} refused, connect errors ${JSON.stringify(connectErrors)})`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    done: () => (maxMessages > 0 ? donePromise : Promise.reject(new Error('fleet has no message budget (maxMessages = 0)'))),
    stats() {
      let reconnects = retiredConnects;
      let refused = 0;
      for (const c of clients.values()) {
        reconnects += Math.max(0, c.connects - 1);
        if (c.refused) refused++;
      }
      return { devices: devices.length, started: clients.size, connected: countConnected(), ...stats, reconnects, refused, connectErrors: { ...connectErrors }, offline: offline.size + silent.size };
    },
    published: () => published,
    client: (id) => clients.get(id),
    active: (id) => (clients.get(id)?.connected ?? false) && !silent.has(id) && !offline.has(id),
    async takeOffline(deviceId, mode) {
      const c = need(deviceId);
      if (mode === 'silent') {
        silent.add(deviceId);
        return;
      }
      offline.add(deviceId);
      if (mode === 'will') c.kill();
      else await c.stop();
    },
    bringOnline(deviceId) {
      const c = need(deviceId);
      silent.delete(deviceId);
      if (!offline.delete(deviceId) || closed) return;
      // The old session is over: count its connections as reconnects of this device.
      retiredConnects += c.connects;
      startClient(byId.get(deviceId)!, c.nextSeq);
    },
    setFault(deviceId, fault) {
      need(deviceId);
      behaviours.get(deviceId)!.setFault(fault);
    },
    sendEvent(deviceId, event) {
      const c = need(deviceId);
      stats.sent++;
      stats.events++;
      return track(c.publish('event', event), deviceId);
    },
    publishRaw: (deviceId, channel, payload) => need(deviceId).publishRaw(channel, payload),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all([...clients].filter(([id]) => !offline.has(id)).map(([, c]) => c.stop()));
      saveState(0);
      log.info(stats, 'fleet stopped');
    },
  };
}
