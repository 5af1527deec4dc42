// A device's effective status, decided once, in the ingest: what the wall shows and counts (the
// live state) and what the offline alert rules act on are the same decision, from the same tracks
// (alerts/device-tracks.ts), at the same instant. So the header, the map and the alert board can
// only disagree for as long as a message takes to travel.
//
// - offline: the device said so (status or last will), a camera streams nothing, or no telemetry
//   for its kind's silence allowance (the offline rule's `noTelemetryMs`);
// - unknown: nothing heard since the ingest started; or, for a device that went offline with the
//   park's last planned shutdown, only its retained `offline` replayed, within its silence
//   allowance (the park restarting together: the devices come back in seconds, and their
//   shutdown is not an incident). Any other replayed `offline` (a device that died while the
//   ingest was down) counts at once.
// - online otherwise.
//
// Silence is judged at the instant of the last `advance(now)`: the alert timer advances it right
// before it evaluates, so the wall and the alert see a device go silent together.
import type { ParkModel } from '../shared/park-model.ts';
import type { DeviceLive, OfflineCause } from '../shared/schema.ts';
import type { DeviceKind } from '../shared/topics.ts';
import { createDeviceTracks, type ApplyResult, type DeviceTrack, type DeviceTracks } from './alerts/device-tracks.ts';
import type { Reading } from './store/types.ts';

export interface EffectiveStatus {
  status: DeviceLive['status'];
  cause: OfflineCause | null;
  /** ms since the device's newest telemetry (0 before any), at the instant judged. */
  silentMs: number;
}

export interface DeviceStatusBook extends DeviceTracks {
  /** Moves the instant silence is judged at (no-op while paused). */
  advance(now: number): void;
  /** The instant of the last advance. */
  readonly judgedAt: number;
  /** Effective status of a device at `at` (default: the last advance). */
  statusOf(id: string, at?: number): EffectiveStatus;
  /** Status of a track at `at`. */
  statusOfTrack(t: DeviceTrack, at: number): EffectiveStatus;
  /**
   * The ingest cannot hear the devices (its broker connection is down): silence from now on is
   * the ingest's, not the devices'. `resume` moves every silence clock forward by the time not
   * listened, so a broker restart accuses no device.
   */
  pause(at: number): void;
  resume(at: number): void;
  readonly paused: boolean;
  /** Devices that went offline with the last planned shutdown (their replayed offline gets a grace). */
  graceAfterShutdown(ids: Iterable<string>): void;
  /** Devices that said `offline` at or after `since` (ingest clock): those leaving with a shutdown. */
  offlineSince(since: number): string[];
}

export interface DeviceStatusOptions {
  /** ms without telemetry after which a device counts offline, per kind (the offline rules' `noTelemetryMs`). */
  silenceMs: Readonly<Record<DeviceKind, number>>;
  /** Clock at creation (the first judged instant). */
  now: number;
}

const UNKNOWN: EffectiveStatus = { status: 'unknown', cause: null, silentMs: 0 };

export function createDeviceStatus(model: ParkModel, opts: DeviceStatusOptions): DeviceStatusBook {
  const tracks = createDeviceTracks(model);
  let judgedAt = opts.now;
  let pausedAt: number | null = null;

  function statusOfTrack(t: DeviceTrack, at: number): EffectiveStatus {
    if (t.heardAt === null) return UNKNOWN;
    const allowance = opts.silenceMs[t.device.kind];
    const silentMs = t.lastDataAt === null ? 0 : Math.max(0, at - t.lastDataAt);
    if (t.status === 'offline') {
      if (t.statusReplayed && t.shutdownGrace && at - t.heardAt <= allowance) return { ...UNKNOWN, silentMs };
      return { status: 'offline', cause: 'status-offline', silentMs };
    }
    if (t.streamDown) return { status: 'offline', cause: 'stream-down', silentMs };
    if (silentMs > allowance) return { status: 'offline', cause: 'no-telemetry', silentMs };
    if (t.status === null) return { ...UNKNOWN, silentMs }; // only events so far
    return { status: 'online', cause: null, silentMs };
  }

  return {
    get: tracks.get,
    all: tracks.all,
    apply: (r: Reading, retained?: boolean): ApplyResult => tracks.apply(r, retained),
    advance(now) {
      if (pausedAt === null) judgedAt = Math.max(judgedAt, now);
    },
    get judgedAt() {
      return judgedAt;
    },
    statusOf(id, at = judgedAt) {
      const t = tracks.get(id);
      return t ? statusOfTrack(t, at) : UNKNOWN;
    },
    statusOfTrack,
    pause(at) {
      pausedAt ??= at;
    },
    resume(at) {
      if (pausedAt === null) return;
      const deaf = Math.max(0, at - pausedAt);
      pausedAt = null;
      for (const t of tracks.all()) if (t.lastDataAt !== null) t.lastDataAt += deaf;
      judgedAt = Math.max(judgedAt, at);
    },
    get paused() {
      return pausedAt !== null;
    },
    graceAfterShutdown(ids) {
      for (const id of ids) {
        const t = tracks.get(id);
        if (t) t.shutdownGrace = true;
      }
    },
    offlineSince(since) {
      const out: string[] = [];
      for (const t of tracks.all()) if (t.status === 'offline' && t.statusAt >= since) out.push(t.device.id);
      return out;
    },
  };
}
