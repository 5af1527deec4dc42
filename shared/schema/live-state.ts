// Live park state: derived by the ingest, carried over MQTT to the screen, then to browsers. One
// model on both hops: the state (summary + devices) is the same object in a snapshot and a delta,
// and each stream numbers its messages with `seq` (part of the schema module, shared/schema.ts).
import { z } from 'zod';
import { CAMERA_EVENT_TYPES } from './device-payloads.ts';

export const DEVICE_LIVE_STATUSES = ['online', 'offline', 'unknown'] as const;
/**
 * Why a device counts as offline:
 * - status-offline: it said so (retained `offline`, or its last will published by the broker)
 * - stream-down: a camera that is connected but streams nothing (telemetry `online: false`)
 * - no-telemetry: no telemetry for the silence allowance of its kind (the offline rule's `noTelemetryMs`)
 */
export const OFFLINE_CAUSES = ['status-offline', 'stream-down', 'no-telemetry'] as const;
export type OfflineCause = (typeof OFFLINE_CAUSES)[number];

export const deviceLiveSchema = z.object({
  id: z.string(),
  kind: z.enum(['camera', 'node5g', 'meter']),
  /**
   * The device's effective status, computed once by the ingest (the same decision its offline
   * alert rules make): `online` = reporting (a camera: and streaming), `offline` (see `cause`),
   * `unknown` = nothing current heard since the ingest started. The wall shows and counts this.
   */
  status: z.enum(DEVICE_LIVE_STATUSES),
  /** Why it is offline (null unless `status` is `offline`). */
  cause: z.enum(OFFLINE_CAUSES).nullable(),
  /** Device clock of the newest message, ms, never ahead of the ingest clock at its arrival; null before the first one. */
  ts: z.number().nullable(),
  /** Ingest clock when the newest message arrived, ms; null before the first one. Never moves backwards. */
  seenAt: z.number().nullable(),
  /** Newest telemetry values, by field name. */
  t: z.record(z.string(), z.union([z.number(), z.boolean()])).nullable(),
});
export type DeviceLive = z.infer<typeof deviceLiveSchema>;

export const liveEventSchema = z.object({
  device: z.string(),
  seq: z.number(),
  ts: z.number(),
  type: z.enum(CAMERA_EVENT_TYPES),
  zone: z.string(),
  confidence: z.number(),
});
export type LiveEvent = z.infer<typeof liveEventSchema>;

export const liveSummarySchema = z.object({
  /** Ingest clock when this summary was computed, ms. */
  at: z.number(),
  ingest: z.object({
    /** Accepted device messages per second over the last few seconds. */
    ratePerSec: z.number(),
    accepted: z.number(),
    rejected: z.number(),
    rejects: z.record(z.string(), z.number()),
    gaps: z.number(),
    duplicates: z.number(),
  }),
  /** Counts by effective status (deviceLiveSchema `status`): the same numbers the map and the lists show. */
  cameras: z.object({
    total: z.number(),
    online: z.number(),
    offline: z.number(),
    unknown: z.number(),
    eventsLastHour: z.number(),
    latestEvents: z.array(liveEventSchema),
  }),
  nodes: z.object({
    total: z.number(),
    up: z.number(),
    down: z.number(),
    unknown: z.number(),
    /** Means over nodes that are up; null when none is. */
    rsrpDbm: z.number().nullable(),
    sinrDb: z.number().nullable(),
    latencyMs: z.number().nullable(),
    /** Sums over nodes that are up. */
    dlMbps: z.number(),
    ulMbps: z.number(),
  }),
  energy: z.object({
    /** Sum of every meter's newest kW; a meter that went offline counts with its last reading. */
    totalKw: z.number(),
    metersOnline: z.number(),
    metersTotal: z.number(),
    enterprises: z.array(z.object({ id: z.string(), kw: z.number(), kwhToday: z.number() })),
  }),
  /** Device clock of the newest message per kind (never ahead of the ingest clock), ms; null before the first. */
  newest: z.object({ camera: z.number().nullable(), node5g: z.number().nullable(), meter: z.number().nullable() }),
});
export type LiveSummary = z.infer<typeof liveSummarySchema>;

/** The derived state: one shape in snapshots and deltas, on MQTT and on the WebSocket. */
export const liveStateShape = {
  summary: liveSummarySchema,
  /** A snapshot: every device. A delta: every device whose state changed since message `seq - 1`. */
  devices: z.array(deviceLiveSchema),
};

/**
 * The ingest's live stream: retained on park/{p}/live/snapshot (every device, every few seconds)
 * and on park/{p}/live/delta (changed devices). A delta goes out every `heartbeatMs` even when
 * nothing changed: it is the ingest's heartbeat, by which the screen knows the pipeline is alive.
 */
export const liveMessageSchema = z.object({
  /** Stream counter: +1 per delta; a snapshot repeats the seq of the last delta. */
  seq: z.number().int(),
  /** ms between deltas: a screen that hears nothing for a few of these has lost the ingest. */
  heartbeatMs: z.number().int().positive(),
  ...liveStateShape,
});
export type LiveMessage = z.infer<typeof liveMessageSchema>;
