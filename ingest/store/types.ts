// The telemetry store interface. SQLite (embedded, default) and InfluxDB implement it; the ingest
// writes through it and the screen's history endpoints read through it.
import type { Channel, DeviceKind } from '../../shared/topics.ts';

/** One validated device message, normalized for storage. */
export interface Reading {
  device: string;
  kind: DeviceKind;
  channel: Channel;
  seq: number;
  /** Device clock, ms. */
  ts: number;
  /** Ingest clock at arrival, ms. */
  receivedAt: number;
  enterprise: string | null;
  zone: string;
  /** Telemetry fields; event `type/zone/confidence`; status `state/will`. */
  values: Record<string, number | boolean | string>;
}

export interface WriteResult {
  /** Rows newly stored. */
  inserted: number;
  /** Indexes (into the written batch) of rows the store already held: duplicates by (device, seq). */
  duplicates: number[];
}

/** Series the history endpoints serve. */
export const HISTORY_SERIES = [
  'park.power', // sum over meters of mean kW, per bucket
  'node5g.rsrp', // mean RSRP dBm over nodes
  'node5g.sinr', // mean SINR dB
  'node5g.latency', // mean latency ms
  'node5g.dl', // sum over nodes of mean downlink Mbps
  'node5g.ul', // sum over nodes of mean uplink Mbps
  'camera.events', // count of camera events
  'camera.fps', // mean frame rate over cameras
  'camera.bitrate', // mean bitrate kbps over cameras
] as const;
export type HistorySeries = (typeof HISTORY_SERIES)[number];

export interface HistoryQuery {
  series: HistorySeries;
  /** Range start and end, ms (inclusive start, exclusive end). */
  from: number;
  to: number;
  /** Bucket width, ms. */
  bucketMs: number;
  /** One device only (the device view): its own values, summed or averaged over itself alone. */
  device?: string;
}

export interface DeviceLogQuery {
  device: string;
  /** Range start and end, ms (inclusive start, exclusive end). */
  from: number;
  to: number;
  /** Rows per list at most, newest first. */
  limit: number;
}

/** A device's recent camera events and status changes, newest first. */
export interface DeviceLog {
  events: { ts: number; seq: number; type: string; confidence: number | null }[];
  /** Newest first (a will after the online of its session). `will`: the broker published the device's last will (it dropped without saying goodbye). */
  status: { ts: number; seq: number; state: string; will: boolean }[];
}

export interface HistoryPoint {
  /** Bucket start, ms. */
  t: number;
  v: number;
}

export interface LatestReading {
  device: string;
  kind: DeviceKind;
  seq: number;
  ts: number;
  values: Record<string, number | boolean | string>;
}

export interface EnterpriseEnergy {
  enterprise: string;
  kwh: number;
}

/** (device, seq) pairs the store holds, for verification (tests, replay checks, benchmarks). */
export interface StoredKey {
  device: string;
  seq: number;
  channel: Channel;
}

/** What a store holds back or could not keep (a store with a spool: InfluxDB). */
export interface StoreLossStats {
  /** Readings spooled on disk, awaiting the database. */
  spoolLines: number;
  /** Readings the database refused (the dead-letter file). */
  deadLettered: number;
}

export interface TelemetryStore {
  /** Durable when the promise resolves (committed, or safely spooled where the store spools). */
  write(batch: readonly Reading[]): Promise<WriteResult>;
  /** Spool depth and dead letters; absent for a store that has neither (SQLite). */
  lossStats?(): StoreLossStats;
  history(q: HistoryQuery): Promise<HistoryPoint[]>;
  latest(): Promise<LatestReading[]>;
  /** Energy per enterprise since `since` (ms), up to `until` (ms, default now), from the meters' cumulative counters. */
  energySince(since: number, until?: number): Promise<EnterpriseEnergy[]>;
  /** One device's camera events and status changes in a range (the device view). */
  deviceLog(q: DeviceLogQuery): Promise<DeviceLog>;
  /** Each meter's kWh counter at `since` (ms): its last reading before, else its first after. */
  kwhBaselines(since: number): Promise<Record<string, number>>;
  /** Highest stored seq per device, to resume gap counting after a restart. */
  maxSeqByDevice(): Promise<Record<string, number>>;
  keys(filter?: { device?: string }): Promise<StoredKey[]>;
  close(): Promise<void>;
}
