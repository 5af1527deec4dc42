import { describe, expect, it } from 'vitest';
import { cameraEventSchema, cameraTelemetrySchema, meterTelemetrySchema, node5gTelemetrySchema, payloadSchemas, statusSchema } from '../../shared/schema.ts';

const ts = 1_719_700_000_000;

describe('device payload schemas', () => {
  it('accept the contract of each kind and channel', () => {
    expect(cameraTelemetrySchema.parse({ ts, seq: 1, online: true, fps: 25, bitrateKbps: 4096, storageUsedPct: 61.5 })).toMatchObject({ fps: 25 });
    expect(cameraEventSchema.parse({ ts, seq: 2, type: 'intrusion', zone: 'prj', confidence: 0.93 }).type).toBe('intrusion');
    expect(node5gTelemetrySchema.parse({ ts, seq: 3, rsrpDbm: -85, sinrDb: 18, dlMbps: 800, ulMbps: 90, latencyMs: 9, connectedUes: 120 }).rsrpDbm).toBe(-85);
    expect(meterTelemetrySchema.parse({ ts, seq: 4, kw: 812.5, kwh: 123456.7, voltage: 400, current: 1200, powerFactor: 0.95 }).kw).toBe(812.5);
    expect(statusSchema.parse({ ts, seq: 5, state: 'offline', will: true }).will).toBe(true);
  });

  it('require ts and seq on every message', () => {
    expect(statusSchema.safeParse({ state: 'online' }).success).toBe(false);
    expect(statusSchema.safeParse({ ts, state: 'online' }).success).toBe(false);
    expect(statusSchema.safeParse({ ts: 17, seq: 1, state: 'online' }).success).toBe(false); // seconds, not ms
    expect(statusSchema.safeParse({ ts, seq: -1, state: 'online' }).success).toBe(false);
    expect(statusSchema.safeParse({ ts, seq: 1.5, state: 'online' }).success).toBe(false);
  });

  it('reject wrong types, out-of-range values and unknown fields', () => {
    const good = { ts, seq: 4, kw: 1, kwh: 1, voltage: 400, current: 1, powerFactor: 0.9 };
    expect(meterTelemetrySchema.safeParse({ ...good, kw: '1' }).success).toBe(false);
    expect(meterTelemetrySchema.safeParse({ ...good, powerFactor: 1.2 }).success).toBe(false);
    expect(meterTelemetrySchema.safeParse({ ...good, kwh: -5 }).success).toBe(false);
    expect(meterTelemetrySchema.safeParse({ ...good, firmware: '1.2' }).success).toBe(false);
    expect(cameraEventSchema.safeParse({ ts, seq: 1, type: 'fire', zone: 'prj', confidence: 0.5 }).success).toBe(false);
    expect(node5gTelemetrySchema.safeParse({ ts, seq: 1, rsrpDbm: 10, sinrDb: 1, dlMbps: 1, ulMbps: 1, latencyMs: 1, connectedUes: 1 }).success).toBe(false);
  });

  it('give events to cameras only', () => {
    expect(payloadSchemas.camera.event).toBeDefined();
    expect(payloadSchemas.meter.event).toBeUndefined();
    expect(payloadSchemas.node5g.event).toBeUndefined();
  });
});
