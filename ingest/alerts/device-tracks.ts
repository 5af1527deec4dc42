// What the rules remember about each device between messages: whether it said it is offline,
// when its telemetry last arrived (ingest clock), its newest telemetry (device clock), its last
// power reading, and the events it recently sent (to ignore a redelivered one).
import type { Device, ParkModel } from '../../shared/park-model.ts';
import type { Reading } from '../store/types.ts';

export interface DeviceTrack {
  device: Device;
  /** Ingest clock of the first message heard from the device by this process; null before. */
  heardAt: number | null;
  /** Ingest clock of the newest telemetry (the first message heard, until telemetry arrives). */
  lastDataAt: number | null;
  /** Device clock of the newest telemetry applied. */
  telemetryTs: number | null;
  status: 'online' | 'offline' | null;
  statusSeq: number;
  statusTs: number;
  /** The offline status came from the broker (MQTT last will), not from the device. */
  statusWill: boolean;
  /** Ingest clock when the status was applied (0 before any). */
  statusAt: number;
  /** The status is a retained replay of what the device said before this ingest started listening (nothing newer heard yet). */
  statusReplayed: boolean;
  /**
   * The device went offline with the park's last planned shutdown (the ingest noted it then): its
   * replayed `offline` is the shutdown, not news, until it has had its silence allowance to come
   * back (see device-status.ts).
   */
  shutdownGrace: boolean;
  /** Camera: its telemetry says the stream is down (`online: false`). */
  streamDown: boolean;
  fps: number | null;
  kw: number | null;
  kwTs: number | null;
  /** A video_loss event awaits frames (device clock of the event). */
  videoLostAt: number | null;
  recentEvents: number[];
}

export type ApplyResult = 'status' | 'telemetry' | 'event' | 'ignored';

/**
 * The device clock of a reading for ordering and freshness: never later than the ingest clock at
 * its arrival. A clock running ahead (within INGEST_MAX_FUTURE_MS, beyond is rejected) then cannot
 * make the device's next readings look older and freeze its state.
 */
export function orderTs(r: Pick<Reading, 'ts' | 'receivedAt'>): number {
  return Math.min(r.ts, r.receivedAt);
}

export interface DeviceTracks {
  get(id: string): DeviceTrack | undefined;
  all(): Iterable<DeviceTrack>;
  /** Updates the track; says what the reading was, or `ignored` when it is older than what is known. */
  apply(r: Reading, retained?: boolean): ApplyResult;
}

const RECENT_EVENTS = 64;

export function createDeviceTracks(model: ParkModel): DeviceTracks {
  const tracks = new Map<string, DeviceTrack>();
  for (const device of model.devices) {
    tracks.set(device.id, {
      device, heardAt: null, lastDataAt: null, telemetryTs: null, status: null, statusSeq: -1, statusTs: 0, statusWill: false, statusAt: 0, statusReplayed: false, shutdownGrace: false,
      streamDown: false, fps: null, kw: null, kwTs: null, videoLostAt: null, recentEvents: [],
    });
  }
  return {
    get: (id) => tracks.get(id),
    all: () => tracks.values(),
    apply(r, retained = false) {
      const t = tracks.get(r.device);
      if (!t) return 'ignored';
      const first = t.heardAt === null;
      t.heardAt ??= r.receivedAt;
      t.lastDataAt ??= r.receivedAt;
      const ts = orderTs(r);
      if (r.channel === 'status') {
        // A last will repeats the seq of its session's `online`; an older session's will (seq and
        // ts both lower) arriving after a reconnect must not mark the device offline again.
        if (r.seq < t.statusSeq && ts <= t.statusTs) return 'ignored';
        const wasOffline = t.status === 'offline';
        t.status = r.values.state === 'offline' ? 'offline' : 'online';
        t.statusWill = r.values.will === true;
        // A retained replay is news only about a device this process has not heard from yet.
        t.statusReplayed = retained && (first || t.statusReplayed);
        // A device back from offline gets a full silence allowance before its first telemetry. One
        // that was online and silent stays silent: an `online` status is no proof of data.
        if (wasOffline && t.status === 'online') t.lastDataAt = Math.max(t.lastDataAt ?? 0, r.receivedAt);
        t.statusSeq = r.seq;
        t.statusTs = ts;
        t.statusAt = r.receivedAt;
        return 'status';
      }
      t.statusReplayed = false; // the device speaks now
      if (r.channel === 'event') {
        if (t.recentEvents.includes(r.seq)) return 'ignored'; // redelivered
        t.recentEvents.push(r.seq);
        if (t.recentEvents.length > RECENT_EVENTS) t.recentEvents.shift();
        return 'event';
      }
      // Telemetry: only the newest counts (a redelivery or late fill never overrides it).
      if (t.telemetryTs !== null && ts <= t.telemetryTs) return 'ignored';
      t.telemetryTs = ts;
      t.lastDataAt = r.receivedAt;
      // Newer telemetry proves the device is up, even if its `online` status was missed. Not after
      // a last will: its ts is the dead session's start, so the session's own in-flight telemetry
      // would look newer; a device that comes back announces `online` first.
      if (!t.statusWill && ts >= t.statusTs) t.status = 'online';
      if (r.kind === 'camera') {
        t.streamDown = r.values.online === false;
        t.fps = typeof r.values.fps === 'number' ? r.values.fps : null;
      }
      return 'telemetry';
    },
  };
}
