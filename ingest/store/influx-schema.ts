// The InfluxDB schema: which measurement each (kind, channel) goes to, its tags and its typed
// fields. The line-protocol writer and the InfluxQL reader both read this table, so the two can
// never disagree. README "InfluxDB schema" documents it for people.
//
// Point identity in InfluxDB is measurement + tag set + timestamp: a second point with the same
// three overwrites the first. So the timestamp carries the seq in its sub-millisecond digits
// (see pointTime): two readings of one device in the same millisecond stay two points, and a
// replayed reading lands on exactly its own earlier point (idempotent), with seq as a field,
// never a tag (it would create a series per message).
import type { Channel, DeviceKind } from '../../shared/topics.ts';

export type FieldType = 'float' | 'int' | 'bool' | 'string';

export interface MeasurementSpec {
  measurement: string;
  /** null: every kind (status). */
  kind: DeviceKind | null;
  channel: Channel;
  /** [line-protocol field, reading value key, type]; seq and received_at are added to every point. */
  fields: readonly (readonly [string, string, FieldType])[];
  /** Low-cardinality reading values stored as tags: [tag, reading value key]. */
  tags: readonly (readonly [string, string])[];
}

export const MEASUREMENTS: readonly MeasurementSpec[] = [
  {
    measurement: 'camera', kind: 'camera', channel: 'telemetry', tags: [],
    fields: [['online', 'online', 'bool'], ['fps', 'fps', 'float'], ['bitrate_kbps', 'bitrateKbps', 'float'], ['storage_used_pct', 'storageUsedPct', 'float']],
  },
  {
    measurement: 'camera_event', kind: 'camera', channel: 'event', tags: [['event_type', 'type']],
    fields: [['event_zone', 'zone', 'string'], ['confidence', 'confidence', 'float']],
  },
  {
    measurement: 'node5g', kind: 'node5g', channel: 'telemetry', tags: [],
    fields: [['rsrp_dbm', 'rsrpDbm', 'float'], ['sinr_db', 'sinrDb', 'float'], ['dl_mbps', 'dlMbps', 'float'], ['ul_mbps', 'ulMbps', 'float'], ['latency_ms', 'latencyMs', 'float'], ['connected_ues', 'connectedUes', 'int']],
  },
  {
    measurement: 'meter', kind: 'meter', channel: 'telemetry', tags: [],
    fields: [['kw', 'kw', 'float'], ['kwh', 'kwh', 'float'], ['voltage', 'voltage', 'float'], ['current', 'current', 'float'], ['power_factor', 'powerFactor', 'float']],
  },
  // A will repeats the seq of the `online` that opened its session, often in the same ms: `state`
  // is a tag (two values) so the two stay two points.
  {
    measurement: 'device_status', kind: null, channel: 'status', tags: [['state', 'state']],
    fields: [['will', 'will', 'bool']],
  },
];

/** Tags on every point, in line-protocol order (sorted, as InfluxDB prefers). */
export const COMMON_TAGS = ['device', 'enterprise', 'kind', 'park', 'zone'] as const;

const BY_KIND_CHANNEL = new Map<string, MeasurementSpec>();
for (const m of MEASUREMENTS) {
  for (const kind of m.kind === null ? (['camera', 'node5g', 'meter'] as const) : [m.kind]) BY_KIND_CHANNEL.set(`${kind}/${m.channel}`, m);
}

export function measurementFor(kind: DeviceKind, channel: Channel): MeasurementSpec | undefined {
  return BY_KIND_CHANNEL.get(`${kind}/${channel}`);
}

export const TELEMETRY_MEASUREMENTS = MEASUREMENTS.filter((m) => m.channel === 'telemetry');
export const STATUS_MEASUREMENT = MEASUREMENTS.find((m) => m.channel === 'status')!;
export const EVENT_MEASUREMENT = MEASUREMENTS.find((m) => m.channel === 'event')!;

/** Readings of one device per millisecond that can be told apart (seq mod this, in µs). */
export const SUB_MS_SLOTS = 1000;

/**
 * The point's time in µs: the device clock (ms) with `seq mod 1000` as its sub-millisecond digits.
 * Deterministic (a replay hits the same point) and distinct for up to 1000 consecutive seqs of one
 * device within one ms. Built as a string: ts x 1000 can exceed 2^53.
 */
export function pointTime(ts: number, seq: number): string {
  return `${Math.floor(ts)}${String(seq % SUB_MS_SLOTS).padStart(3, '0')}`;
}
