// The live park state the ingest derives from accepted readings: every device's effective status
// (device-status.ts: the same decision the offline alerts make) and newest values, and the summary
// the big screen shows. Published as deltas every heartbeat (even when nothing changed: the
// screen knows the ingest is alive by them) and as a retained snapshot, so the screen never
// parses raw device payloads and never re-derives a status.
//
// Times: a reading's device clock counts only up to the ingest clock at its arrival (orderTs), so
// a clock running ahead cannot freeze a device's state nor push `newest` into the future (where
// nothing would ever look stale again); a late reading never moves a device's freshness back.
import type { ParkModel } from '../shared/park-model.ts';
import type { DeviceLive, LiveEvent, LiveMessage, LiveSummary } from '../shared/schema.ts';
import { startOfDay } from '../shared/time.ts';
import type { DeviceKind } from '../shared/topics.ts';
import { orderTs } from './alerts/device-tracks.ts';
import type { DeviceStatusBook } from './device-status.ts';
import type { Reading } from './store/types.ts';

export interface IngestCounters {
  ratePerSec: number;
  accepted: number;
  rejected: number;
  rejects: Record<string, number>;
  gaps: number;
  duplicates: number;
}

export interface LiveState {
  /** Applies an accepted reading; returns 'counter-reset' when a meter's kWh counter went backwards. */
  apply(reading: Reading): 'counter-reset' | undefined;
  /** Meter kWh counters at the start of today, from the store, so "today" survives a restart. */
  seedDayBaselines(dayStart: number, kwhByMeter: Readonly<Record<string, number>>): void;
  /** Summary plus the devices changed since the last delta; bumps `seq`. */
  takeDelta(now: number, counters: IngestCounters): LiveMessage;
  /** Every device, with the seq of the last delta. */
  snapshot(now: number, counters: IngestCounters): LiveMessage;
  device(id: string): DeviceLive | undefined;
}

export interface LiveStateOptions {
  /** Where effective statuses come from (shared with the alert rules). */
  devices: DeviceStatusBook;
  /** ms between deltas (the heartbeat the screen watches for). */
  heartbeatMs: number;
}

const LATEST_EVENTS = 10;
const HOUR = 3_600_000;

export function createLiveState(model: ParkModel, opts: LiveStateOptions): LiveState {
  const book = opts.devices;
  const devices = new Map<string, DeviceLive>();
  for (const d of model.devices) devices.set(d.id, { id: d.id, kind: d.kind, status: 'unknown', cause: null, ts: null, seenAt: null, t: null });
  /** Device clock (orderTs) of each device's newest telemetry applied. */
  const telemetryTs = new Map<string, number>();
  const changed = new Set<string>();
  const newest: Record<DeviceKind, number | null> = { camera: null, node5g: null, meter: null };
  const events: LiveEvent[] = []; // newest last, last hour only
  // kWh counter of each meter at the start of the current day
  let dayStart = 0;
  const baseline = new Map<string, number>();
  let seq = 0;

  /** Takes every device's effective status from the book; marks those that changed. */
  function refreshStatuses(): void {
    for (const live of devices.values()) {
      const s = book.statusOf(live.id);
      if (s.status === live.status && s.cause === live.cause) continue;
      live.status = s.status;
      live.cause = s.cause;
      changed.add(live.id);
    }
  }

  function rollDay(ts: number): void {
    const start = startOfDay(ts, model.timezone);
    if (start === dayStart) return;
    dayStart = start;
    baseline.clear();
    for (const d of model.devicesOfKind('meter')) {
      const kwh = devices.get(d.id)?.t?.kwh;
      if (typeof kwh === 'number') baseline.set(d.id, kwh);
    }
  }

  function summary(now: number, counters: IngestCounters): LiveSummary {
    rollDay(now);
    while (events.length > 0 && events[0]!.ts < now - HOUR) events.shift();
    const cams = { total: 0, online: 0, offline: 0, unknown: 0 };
    const nodes = { total: 0, up: 0, down: 0, unknown: 0, rsrp: 0, sinr: 0, lat: 0, dl: 0, ul: 0, n: 0 };
    const ent = new Map<string, { kw: number; kwhToday: number }>(model.enterprises.map((e) => [e.id, { kw: 0, kwhToday: 0 }]));
    let totalKw = 0;
    let metersOnline = 0;
    let metersTotal = 0;
    for (const d of model.devices) {
      const live = devices.get(d.id)!;
      if (d.kind === 'camera') {
        cams.total++;
        cams[live.status]++;
      } else if (d.kind === 'node5g') {
        nodes.total++;
        if (live.status === 'unknown') nodes.unknown++;
        else if (live.status === 'online') {
          nodes.up++;
          const t = live.t;
          if (t) {
            nodes.n++;
            nodes.rsrp += t.rsrpDbm as number;
            nodes.sinr += t.sinrDb as number;
            nodes.lat += t.latencyMs as number;
            nodes.dl += t.dlMbps as number;
            nodes.ul += t.ulMbps as number;
          }
        } else nodes.down++;
      } else if (d.kind === 'meter') {
        metersTotal++;
        if (live.status === 'online') metersOnline++;
        if (!live.t) continue;
        // An offline meter keeps its last reading (the site did not stop consuming because its
        // meter went quiet); the wall says how many meters are reporting beside the total.
        const kw = live.t.kw as number;
        const kwh = live.t.kwh as number;
        const today = Math.max(0, kwh - (baseline.get(d.id) ?? kwh));
        totalKw += kw;
        const e = d.enterprise ? ent.get(d.enterprise) : undefined;
        if (e) {
          e.kw += kw;
          e.kwhToday += today;
        }
      }
    }
    const mean = (sum: number): number | null => (nodes.n > 0 ? round(sum / nodes.n, 2) : null);
    return {
      at: now,
      ingest: counters,
      cameras: { ...cams, eventsLastHour: events.length, latestEvents: events.slice(-LATEST_EVENTS).reverse() },
      nodes: {
        total: nodes.total, up: nodes.up, down: nodes.down, unknown: nodes.unknown,
        rsrpDbm: mean(nodes.rsrp), sinrDb: mean(nodes.sinr), latencyMs: mean(nodes.lat),
        dlMbps: round(nodes.dl, 2), ulMbps: round(nodes.ul, 2),
      },
      energy: {
        totalKw: round(totalKw, 2),
        metersOnline,
        metersTotal,
        enterprises: [...ent].map(([id, v]) => ({ id, kw: round(v.kw, 2), kwhToday: round(v.kwhToday, 2) })),
      },
      newest: { ...newest },
    };
  }

  return {
    apply(r) {
      const live = devices.get(r.device);
      if (!live) return undefined;
      const ts = orderTs(r);
      let flag: 'counter-reset' | undefined;
      if (r.channel === 'telemetry') {
        // Out-of-order telemetry (a redelivery, a late fill) never overwrites newer values.
        const last = telemetryTs.get(r.device);
        if (last === undefined || ts >= last) {
          telemetryTs.set(r.device, ts);
          // Telemetry values are numbers and booleans (shared/schema.ts): kept as they are, no copy
          // per reading (the ingest's allocation rate is its GC time).
          const t = r.values as Record<string, number | boolean>;
          // A kWh counter only grows; going backwards is a meter replaced or reset. What the meter
          // counted today before that stays counted: the baseline moves down by the drop.
          const before = live.t?.kwh;
          if (r.kind === 'meter' && typeof before === 'number' && typeof t.kwh === 'number' && t.kwh < before) {
            flag = 'counter-reset';
            const base = baseline.get(r.device);
            if (base !== undefined) baseline.set(r.device, base - (before - t.kwh));
          }
          live.t = t;
          if (r.kind === 'meter' && dayStart !== 0 && !baseline.has(r.device) && typeof t.kwh === 'number') baseline.set(r.device, t.kwh);
        }
      } else if (r.channel === 'event') {
        const ev: LiveEvent = { device: r.device, seq: r.seq, ts, type: r.values.type as LiveEvent['type'], zone: String(r.values.zone), confidence: Number(r.values.confidence) };
        events.push(ev);
        if (events.length > 10_000) events.splice(0, events.length - 10_000);
      }
      // A last will carries the ts of its session's start (composed at CONNECT): not news of data.
      const isWill = r.channel === 'status' && r.values.will === true;
      if (!isWill && (live.ts === null || ts >= live.ts)) live.seenAt = Math.max(live.seenAt ?? 0, r.receivedAt);
      if (live.ts === null || ts > live.ts) live.ts = ts;
      if (newest[r.kind] === null || ts > newest[r.kind]!) newest[r.kind] = ts;
      changed.add(r.device);
      return flag;
    },
    seedDayBaselines(start, kwhByMeter) {
      dayStart = start;
      baseline.clear();
      for (const [id, kwh] of Object.entries(kwhByMeter)) baseline.set(id, kwh);
    },
    takeDelta(now, counters) {
      refreshStatuses();
      const list: DeviceLive[] = [];
      for (const id of changed) list.push({ ...devices.get(id)! });
      changed.clear();
      seq++;
      return { seq, heartbeatMs: opts.heartbeatMs, summary: summary(now, counters), devices: list };
    },
    snapshot(now, counters) {
      refreshStatuses();
      return { seq, heartbeatMs: opts.heartbeatMs, summary: summary(now, counters), devices: [...devices.values()].map((d) => ({ ...d })) };
    },
    device: (id) => devices.get(id),
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
