// Merging the shards' live parts into the park's live summary. Each shard's summary covers its own
// devices, so counts and sums add up; means (5G signal) are weighted by the nodes each shard has
// reporting; the newest timestamps and latest events are the newest over all shards. A shard never
// heard from counts its devices as `unknown`, as a single ingest does before it hears a device.
import type { ParkModel } from '../../shared/park-model.ts';
import type { LiveSummary } from '../../shared/schema.ts';
import type { ShardLive } from '../../shared/shard-schema.ts';
import { shardOf } from '../../shared/shard-topics.ts';
import type { DeviceKind } from '../../shared/topics.ts';

const LATEST_EVENTS = 10;

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** Devices per kind of each shard (for shards not heard from yet). */
export function devicesPerShard(model: ParkModel, count: number): Map<number, Record<DeviceKind, number>> {
  const out = new Map<number, Record<DeviceKind, number>>();
  for (let k = 0; k < count; k++) out.set(k, { camera: 0, node5g: 0, meter: 0 });
  for (const d of model.devices) out.get(shardOf(d.id, count))![d.kind]++;
  return out;
}

/** The park's summary from the latest part of every shard heard; `missing` are the shards not heard. */
export function mergeSummaries(model: ParkModel, parts: readonly ShardLive[], missing: readonly Record<DeviceKind, number>[], now: number): LiveSummary {
  const rejects: Record<string, number> = {};
  const ingest = { ratePerSec: 0, accepted: 0, rejected: 0, rejects, gaps: 0, duplicates: 0 };
  const cameras = { total: 0, online: 0, offline: 0, unknown: 0, eventsLastHour: 0, latestEvents: [] as LiveSummary['cameras']['latestEvents'] };
  const nodes = { total: 0, up: 0, down: 0, unknown: 0, dlMbps: 0, ulMbps: 0 };
  const means = { rsrp: 0, sinr: 0, lat: 0, n: 0 };
  const ent = new Map(model.enterprises.map((e) => [e.id, { kw: 0, kwhToday: 0 }]));
  let totalKw = 0;
  let metersOnline = 0;
  let metersTotal = 0;
  const newest: LiveSummary['newest'] = { camera: null, node5g: null, meter: null };
  for (const p of parts) {
    const s = p.summary;
    ingest.ratePerSec += s.ingest.ratePerSec;
    ingest.accepted += s.ingest.accepted;
    ingest.rejected += s.ingest.rejected;
    ingest.gaps += s.ingest.gaps;
    ingest.duplicates += s.ingest.duplicates;
    for (const [k, v] of Object.entries(s.ingest.rejects)) rejects[k] = (rejects[k] ?? 0) + v;
    cameras.total += s.cameras.total;
    cameras.online += s.cameras.online;
    cameras.offline += s.cameras.offline;
    cameras.unknown += s.cameras.unknown;
    cameras.eventsLastHour += s.cameras.eventsLastHour;
    cameras.latestEvents.push(...s.cameras.latestEvents);
    nodes.total += s.nodes.total;
    nodes.up += s.nodes.up;
    nodes.down += s.nodes.down;
    nodes.unknown += s.nodes.unknown;
    nodes.dlMbps += s.nodes.dlMbps;
    nodes.ulMbps += s.nodes.ulMbps;
    if (p.nodesReporting > 0 && s.nodes.rsrpDbm !== null && s.nodes.sinrDb !== null && s.nodes.latencyMs !== null) {
      means.rsrp += s.nodes.rsrpDbm * p.nodesReporting;
      means.sinr += s.nodes.sinrDb * p.nodesReporting;
      means.lat += s.nodes.latencyMs * p.nodesReporting;
      means.n += p.nodesReporting;
    }
    totalKw += s.energy.totalKw;
    metersOnline += s.energy.metersOnline;
    metersTotal += s.energy.metersTotal;
    for (const e of s.energy.enterprises) {
      const m = ent.get(e.id);
      if (!m) continue;
      m.kw += e.kw;
      m.kwhToday += e.kwhToday;
    }
    newest.camera = maxOrNull(newest.camera, s.newest.camera);
    newest.node5g = maxOrNull(newest.node5g, s.newest.node5g);
    newest.meter = maxOrNull(newest.meter, s.newest.meter);
  }
  for (const m of missing) {
    cameras.total += m.camera;
    cameras.unknown += m.camera;
    nodes.total += m.node5g;
    nodes.unknown += m.node5g;
    metersTotal += m.meter;
  }
  ingest.ratePerSec = round(ingest.ratePerSec, 1);
  cameras.latestEvents = cameras.latestEvents.sort((a, b) => b.ts - a.ts).slice(0, LATEST_EVENTS);
  const mean = (sum: number): number | null => (means.n > 0 ? round(sum / means.n, 2) : null);
  return {
    at: now,
    ingest,
    cameras,
    nodes: { ...nodes, rsrpDbm: mean(means.rsrp), sinrDb: mean(means.sinr), latencyMs: mean(means.lat), dlMbps: round(nodes.dlMbps, 2), ulMbps: round(nodes.ulMbps, 2) },
    energy: {
      totalKw: round(totalKw, 2),
      metersOnline,
      metersTotal,
      enterprises: [...ent].map(([id, v]) => ({ id, kw: round(v.kw, 2), kwhToday: round(v.kwhToday, 2) })),
    },
    newest,
  };
}
