// Deterministic readings of the park model's devices for store tests: every kind and channel,
// plausible values, meters with rising kWh counters, and the awkward cases a store must keep
// apart (two readings of one device in the same millisecond; a will repeating its online's seq).
import type { Reading } from '../../ingest/store/types.ts';
import type { Device, ParkModel } from '../../shared/park-model.ts';

function reading(d: Device, channel: Reading['channel'], seq: number, ts: number, values: Reading['values']): Reading {
  return { device: d.id, kind: d.kind, channel, seq, ts, receivedAt: ts + 5, enterprise: d.enterprise ?? null, zone: d.zone, values };
}

function telemetry(d: Device, i: number): Reading['values'] {
  switch (d.kind) {
    case 'camera':
      return { online: i % 7 !== 3, fps: 25 - (i % 3), bitrateKbps: 4000 + i * 10.5, storageUsedPct: 40 + (i % 10) };
    case 'node5g':
      return { rsrpDbm: -90 - (i % 5), sinrDb: 12.5 + (i % 4), dlMbps: 300 + i, ulMbps: 50 + i / 2, latencyMs: 8 + (i % 3), connectedUes: 20 + i };
    case 'meter':
      return { kw: 100 + (i % 6) * 3.25, kwh: 5000 + i * 1.5, voltage: 400, current: 150 + i, powerFactor: 0.95 };
  }
}

/**
 * `perDevice` telemetry readings for each of the first `devices` devices of every kind, one every
 * `stepMs` from `start`, each device starting with an `online` status; camera events every 4th
 * reading; plus, on the first meter, a second reading in the same ms and a will repeating its online.
 */
export function sampleReadings(model: ParkModel, opts: { start: number; stepMs?: number; perDevice?: number; devices?: number }): Reading[] {
  const step = opts.stepMs ?? 10_000;
  const per = opts.perDevice ?? 12;
  const out: Reading[] = [];
  for (const kind of ['camera', 'node5g', 'meter'] as const) {
    for (const d of model.devices.filter((x) => x.kind === kind).slice(0, opts.devices ?? 3)) {
      let seq = 1;
      const offset = out.length * 37;
      out.push(reading(d, 'status', seq++, opts.start + offset, { state: 'online' }));
      for (let i = 0; i < per; i++) {
        const ts = opts.start + offset + i * step;
        out.push(reading(d, 'telemetry', seq++, ts, telemetry(d, i)));
        if (kind === 'camera' && i % 4 === 1) out.push(reading(d, 'event', seq++, ts, { type: 'intrusion', zone: 'gate "north", lane 2', confidence: 0.91 }));
      }
    }
  }
  const meter = model.devices.find((d) => d.kind === 'meter')!;
  const last = out.filter((r) => r.device === meter.id).at(-1)!;
  // Same device, same millisecond, next seq: must stay a reading of its own.
  out.push(reading(meter, 'telemetry', last.seq + 1, last.ts, { ...telemetry(meter, per), kwh: (last.values.kwh as number) + 0.5 }));
  // The last will repeats the seq of the session's online, in the same millisecond.
  const online = out.find((r) => r.device === meter.id && r.channel === 'status')!;
  out.push({ ...online, values: { state: 'offline', will: true } });
  return out;
}
