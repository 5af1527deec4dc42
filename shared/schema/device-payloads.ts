// Device payloads: what a camera, a 5G node and a meter send on their telemetry, event and status
// channels, and the size limit on any of them (part of the schema module, shared/schema.ts).
import { z } from 'zod';
import { isCleanText, UNCLEAN_TEXT } from '../clean-text.ts';
import type { Channel, DeviceKind } from '../topics.ts';

/** Largest device payload the ingest accepts (bytes). A full meter reading is ~130 bytes. */
export const MAX_DEVICE_PAYLOAD_BYTES = 4096;

// Every device message carries the device clock and a per-device counter (+1 per message), so
// loss and duplication are measurable end to end.
const envelope = {
  /** Device clock, ms since the Unix epoch. */
  ts: z.number().int().min(1_000_000_000_000).max(99_999_999_999_999),
  /** Per-device message counter, +1 per message across telemetry, event and status. */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
};

// Strict objects: an unknown field is a schema violation, counted and logged, so a firmware that
// drifts from the contract is noticed instead of half-read.
export const cameraTelemetrySchema = z.strictObject({
  ...envelope,
  online: z.boolean(),
  fps: z.number().min(0).max(240),
  bitrateKbps: z.number().min(0).max(1_000_000),
  storageUsedPct: z.number().min(0).max(100),
});

export const CAMERA_EVENT_TYPES = ['intrusion', 'tamper', 'loitering', 'video_loss', 'motion'] as const;
export type CameraEventType = (typeof CAMERA_EVENT_TYPES)[number];

export const cameraEventSchema = z.strictObject({
  ...envelope,
  type: z.enum(CAMERA_EVENT_TYPES),
  /** Free text from the camera: printable only (schema-invalid otherwise; shared/clean-text.ts). */
  zone: z.string().min(1).max(64).refine(isCleanText, UNCLEAN_TEXT),
  confidence: z.number().min(0).max(1),
});

export const node5gTelemetrySchema = z.strictObject({
  ...envelope,
  rsrpDbm: z.number().min(-156).max(-31),
  sinrDb: z.number().min(-23).max(40),
  dlMbps: z.number().min(0).max(100_000),
  ulMbps: z.number().min(0).max(100_000),
  latencyMs: z.number().min(0).max(60_000),
  connectedUes: z.number().int().min(0).max(1_000_000),
});

export const meterTelemetrySchema = z.strictObject({
  ...envelope,
  /** Active power, kW (negative when the site feeds back). */
  kw: z.number().min(-1_000_000).max(1_000_000),
  /** Cumulative energy counter, kWh; never decreases except at a meter replacement. */
  kwh: z.number().min(0).max(1e12),
  voltage: z.number().min(0).max(1_000_000),
  current: z.number().min(0).max(1_000_000),
  powerFactor: z.number().min(-1).max(1),
});

export const DEVICE_STATES = ['online', 'offline'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/**
 * Retained `online`/`offline`. A device's MQTT last will is composed at connect time, so it
 * repeats the `seq` of the `online` message that opened its session and sets `will: true`.
 */
export const statusSchema = z.strictObject({
  ...envelope,
  state: z.enum(DEVICE_STATES),
  will: z.boolean().optional(),
});

export type CameraTelemetry = z.infer<typeof cameraTelemetrySchema>;
export type CameraEvent = z.infer<typeof cameraEventSchema>;
export type Node5gTelemetry = z.infer<typeof node5gTelemetrySchema>;
export type MeterTelemetry = z.infer<typeof meterTelemetrySchema>;
export type DeviceStatus = z.infer<typeof statusSchema>;

/** Which schema validates which (kind, channel); a missing entry is a channel the kind does not speak. */
export const payloadSchemas: Readonly<Record<DeviceKind, Partial<Record<Channel, z.ZodType>>>> = Object.freeze({
  camera: { telemetry: cameraTelemetrySchema, event: cameraEventSchema, status: statusSchema },
  node5g: { telemetry: node5gTelemetrySchema, status: statusSchema },
  meter: { telemetry: meterTelemetrySchema, status: statusSchema },
});

export type TelemetryFor<K extends DeviceKind> = K extends 'camera'
  ? CameraTelemetry
  : K extends 'node5g'
    ? Node5gTelemetry
    : MeterTelemetry;

/** Numeric/boolean telemetry fields per kind, in a stable order (the store's columns). */
export const TELEMETRY_FIELDS = {
  camera: ['online', 'fps', 'bitrateKbps', 'storageUsedPct'],
  node5g: ['rsrpDbm', 'sinrDb', 'dlMbps', 'ulMbps', 'latencyMs', 'connectedUes'],
  meter: ['kw', 'kwh', 'voltage', 'current', 'powerFactor'],
} as const satisfies Record<DeviceKind, readonly string[]>;
