// Load generation: synthetic load meters (shared/load-model.ts), each with its own MQTT connection,
// brought up at a connection ramp, each publishing at a set rate with payloads of a set size, for a
// bounded time. It reports the rate the broker acknowledged and every connection failure. Several
// processes can share the devices (`shard`: process i of n drives devices i, i+n, ...).
import { loadDevicesOf } from '../shared/load-model.ts';
import type { Logger } from '../shared/logger.ts';
import type { ParkModel } from '../shared/park-model.ts';
import { createFleet, type Fleet, type FleetStats } from './fleet.ts';

export interface LoadOptions {
  /** A model with load devices (buildLoadModel). */
  model: ParkModel;
  url: string;
  fleetKey: string;
  logger: Logger;
  /** Load devices to use (the first n of the model's); default all of them. */
  devices?: number;
  /** This process drives devices index, index + count, ...; default { index: 0, count: 1 }. */
  shard?: { index: number; count: number };
  /** New connections per second (this process). */
  rampPerSec: number;
  /** Messages per second per device. */
  ratePerSec: number;
  /** Payload size, bytes; 0 = a meter reading's natural size (~110 bytes). */
  payloadBytes: number;
  /** How long the run lasts from its start (ramp included), ms. */
  durationMs: number;
  /** Seq state file, so a second run continues the load devices' seqs. */
  statePath?: string;
  /** Device secret override (tests of connection failures). */
  secretFor?: (deviceId: string) => string;
  now?: () => number;
}

export interface LoadProgress extends Pick<FleetStats, 'started' | 'connected' | 'sent' | 'acked' | 'failed'> {
  elapsedMs: number;
  durationMs: number;
  /** Devices this process drives. */
  devices: number;
  /** Acknowledged messages per second over the last progress interval. */
  ratePerSec: number;
}

export interface LoadReport {
  shard: string;
  devices: number;
  rampPerSec: number;
  ratePerSecPerDevice: number;
  payloadBytes: number;
  durationS: number;
  /** Seconds until every device was connected (null: never). */
  allConnectedAfterS: number | null;
  connectedAtEnd: number;
  /** Devices that never got connected. */
  connectFailures: number;
  /** Of those, refused by the broker at CONNECT. */
  refused: number;
  connectErrors: Record<string, number>;
  sent: number;
  acked: number;
  failed: number;
  /** devices x rate. */
  targetRatePerSec: number;
  /** Acknowledged per second once every device was connected (the steady state); null without one. */
  achievedRatePerSec: number | null;
  /** Acknowledged per second over the whole run, ramp included. */
  overallRatePerSec: number;
}

export interface LoadRun {
  progress(): LoadProgress;
  done: Promise<LoadReport>;
  /** Ends the run now (the report covers what ran). */
  cancel(): void;
}

/** The load devices one shard drives. */
export function shardDevices(model: ParkModel, devices: number | undefined, shard: { index: number; count: number }) {
  const all = loadDevicesOf(model);
  if (all.length === 0) throw new Error('the park model has no load devices (start the park with --load-devices N)');
  if (devices !== undefined && devices > all.length) throw new Error(`asked for ${devices} load devices, the park has ${all.length} (start it with --load-devices ${devices})`);
  if (!(shard.count >= 1 && shard.index >= 0 && shard.index < shard.count)) throw new Error(`bad shard ${shard.index}/${shard.count}`);
  return all.slice(0, devices ?? all.length).filter((_, i) => i % shard.count === shard.index);
}

export async function runLoad(opts: LoadOptions): Promise<LoadRun> {
  const log = opts.logger.child({ module: 'load' });
  const now = opts.now ?? Date.now;
  const shard = opts.shard ?? { index: 0, count: 1 };
  const devices = shardDevices(opts.model, opts.devices, shard);
  const startedAt = now();
  const fleet: Fleet = await createFleet({
    model: opts.model,
    url: opts.url,
    fleetKey: opts.fleetKey,
    logger: opts.logger,
    devices,
    intervalMs: Math.max(10, Math.round(1000 / opts.ratePerSec)),
    rampPerSec: opts.rampPerSec,
    payloadBytes: opts.payloadBytes,
    statePath: opts.statePath,
    secretFor: opts.secretFor ? (d) => opts.secretFor!(d.id) : undefined,
    now,
  });

  let allConnectedAt: number | null = null;
  let ackedAtAllConnected = 0;
  let lastAcked = 0;
  let lastAt = startedAt;
  let rate = 0;
  const watch = setInterval(() => {
    const s = fleet.stats();
    if (allConnectedAt === null && s.connected === devices.length) {
      allConnectedAt = now();
      ackedAtAllConnected = s.acked;
    }
  }, 50);

  let finish!: () => void;
  const ended = new Promise<void>((r) => (finish = r));
  const timer = setTimeout(finish, opts.durationMs);
  log.info({ devices: devices.length, shard: `${shard.index}/${shard.count}`, rampPerSec: opts.rampPerSec, ratePerSec: opts.ratePerSec, payloadBytes: opts.payloadBytes }, 'load started');

  let final: LoadProgress | null = null;
  const progress = (): LoadProgress => {
    if (final) return final;
    const s = fleet.stats();
    const t = now();
    if (t - lastAt >= 500) {
      rate = ((s.acked - lastAcked) * 1000) / (t - lastAt);
      lastAcked = s.acked;
      lastAt = t;
    }
    return { elapsedMs: t - startedAt, durationMs: opts.durationMs, devices: devices.length, started: s.started, connected: s.connected, sent: s.sent, acked: s.acked, failed: s.failed, ratePerSec: Math.round(rate) };
  };

  const done = ended.then(async () => {
    clearTimeout(timer);
    clearInterval(watch);
    const end = now();
    const s = fleet.stats();
    const neverConnected = devices.filter((d) => (fleet.client(d.id)?.connects ?? 0) === 0).length;
    final = progress(); // the state at the end, not after the devices have left
    await fleet.close();
    // Publishes in flight at the end are settled (acknowledged or failed) by the close.
    const settled = fleet.stats();
    const seconds = (end - startedAt) / 1000;
    const steady = allConnectedAt === null ? 0 : (end - allConnectedAt) / 1000;
    const report: LoadReport = {
      shard: `${shard.index}/${shard.count}`,
      devices: devices.length,
      rampPerSec: opts.rampPerSec,
      ratePerSecPerDevice: opts.ratePerSec,
      payloadBytes: opts.payloadBytes,
      durationS: Math.round(seconds * 10) / 10,
      allConnectedAfterS: allConnectedAt === null ? null : Math.round(((allConnectedAt - startedAt) / 1000) * 10) / 10,
      connectedAtEnd: s.connected,
      connectFailures: neverConnected,
      refused: s.refused,
      connectErrors: s.connectErrors,
      sent: settled.sent,
      acked: settled.acked,
      failed: settled.failed,
      targetRatePerSec: Math.round(devices.length * opts.ratePerSec * 10) / 10,
      achievedRatePerSec: steady >= 0.5 ? Math.round(((s.acked - ackedAtAllConnected) / steady) * 10) / 10 : null,
      overallRatePerSec: Math.round((settled.acked / Math.max(0.001, seconds)) * 10) / 10,
    };
    log.info(report, 'load finished');
    return report;
  });
  return { progress, done, cancel: () => finish() };
}
