// The live state's arithmetic, without a broker: what the wall's summary says for a given set of
// readings (power and today's energy per enterprise, 5G means, events of the last hour, which
// devices a delta carries), with the real status book the ingest uses.
import { describe, expect, it } from 'vitest';
import { parseAlertRules } from '../../ingest/alerts/rules-config.ts';
import { silenceAllowance } from '../../ingest/alerts/rules.ts';
import { createDeviceStatus } from '../../ingest/device-status.ts';
import { createLiveState, type IngestCounters } from '../../ingest/live-state.ts';
import type { Reading } from '../../ingest/store/types.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { startOfDay } from '../../shared/time.ts';

const model = loadParkModel();
const COUNTERS: IngestCounters = { ratePerSec: 0, accepted: 0, rejected: 0, rejects: {}, gaps: 0, duplicates: 0 };
// 2024-06-30 10:00 in the park's time zone (UTC+8).
const T0 = Date.parse('2024-06-30T02:00:00Z');
const DAY0 = startOfDay(T0, model.timezone);

function setup(now = T0) {
  const book = createDeviceStatus(model, { silenceMs: silenceAllowance(parseAlertRules({ version: 1 })), now });
  const live = createLiveState(model, { devices: book, heartbeatMs: 250 });
  const seqs = new Map<string, number>();
  /** Applies a reading as the ingest does: status book first, then the live state. */
  const feed = (device: string, channel: Reading['channel'], values: Reading['values'], ts: number, receivedAt = ts): Reading => {
    const d = model.deviceById.get(device)!;
    const seq = (seqs.get(device) ?? 0) + 1;
    seqs.set(device, seq);
    const r: Reading = { device, kind: d.kind, channel, seq, ts, receivedAt, enterprise: d.enterprise ?? null, zone: d.zone, values };
    book.apply(r);
    book.advance(receivedAt);
    live.apply(r);
    return r;
  };
  const meter = (device: string, kw: number, kwh: number, ts: number) => feed(device, 'telemetry', { kw, kwh, voltage: 230, current: 10, powerFactor: 0.95 }, ts);
  return { book, live, feed, meter };
}

const enterprise = (summary: { energy: { enterprises: { id: string; kw: number; kwhToday: number }[] } }, id: string) => summary.energy.enterprises.find((e) => e.id === id)!;

describe('live state', () => {
  it('sums power over the meters and per enterprise, rounded to 0.01 kW', () => {
    const { live, meter } = setup();
    meter('mtr-longyuan-1', 100.004, 5000, T0);
    meter('mtr-longyuan-2', 50.003, 3000, T0);
    meter('mtr-zhonghai-1', 20.5, 100, T0);
    const s = live.takeDelta(T0 + 10, COUNTERS).summary;
    expect(s.energy.totalKw).toBe(170.51);
    expect(enterprise(s, 'longyuan').kw).toBe(150.01);
    expect(enterprise(s, 'zhonghai').kw).toBe(20.5);
    expect(enterprise(s, 'liandong').kw).toBe(0);
    expect(s.energy.metersTotal).toBe(model.devicesOfKind('meter').length);
    expect(s.energy.metersOnline).toBe(3);
  });

  it('counts today\'s energy from the day\'s baseline, and from the first reading for a meter without one', () => {
    const { live, meter } = setup();
    live.seedDayBaselines(DAY0, { 'mtr-longyuan-1': 4_900 });
    meter('mtr-longyuan-1', 10, 5_000, T0);
    meter('mtr-longyuan-2', 10, 3_000, T0); // no stored baseline: today starts at this reading
    let s = live.takeDelta(T0, COUNTERS).summary;
    expect(enterprise(s, 'longyuan').kwhToday).toBe(100);
    meter('mtr-longyuan-2', 10, 3_012.5, T0 + 60_000);
    s = live.takeDelta(T0 + 60_000, COUNTERS).summary;
    expect(enterprise(s, 'longyuan').kwhToday).toBe(112.5);
  });

  it('starts a new day at local midnight: today\'s energy counts from the counters at the roll', () => {
    const { live, meter } = setup();
    live.seedDayBaselines(DAY0, { 'mtr-zhonghai-1': 0 });
    meter('mtr-zhonghai-1', 10, 240, T0);
    expect(enterprise(live.takeDelta(T0, COUNTERS).summary, 'zhonghai').kwhToday).toBe(240);
    const nextDay = DAY0 + 86_400_000 + 60_000;
    expect(enterprise(live.takeDelta(nextDay, COUNTERS).summary, 'zhonghai').kwhToday).toBe(0);
    meter('mtr-zhonghai-1', 10, 250, nextDay + 1000);
    expect(enterprise(live.takeDelta(nextDay + 2000, COUNTERS).summary, 'zhonghai').kwhToday).toBe(10);
  });

  it('never lets late telemetry overwrite newer values', () => {
    const { live, meter } = setup();
    meter('mtr-liandong-1', 30, 1_000, T0 + 5000);
    meter('mtr-liandong-1', 99, 900, T0 + 1000); // a redelivery from before
    expect(live.device('mtr-liandong-1')?.t).toMatchObject({ kw: 30, kwh: 1_000 });
    expect(live.device('mtr-liandong-1')?.ts).toBe(T0 + 5000);
  });

  it('caps a device clock that runs ahead at the ingest clock', () => {
    const { live, meter, feed } = setup();
    meter('mtr-liandong-1', 30, 1_000, T0);
    feed('mtr-liandong-1', 'telemetry', { kw: 31, kwh: 1_001, voltage: 230, current: 10, powerFactor: 0.95 }, T0 + 3_600_000, T0 + 2000);
    const s = live.takeDelta(T0 + 2000, COUNTERS).summary;
    expect(s.newest.meter).toBe(T0 + 2000);
    expect(live.device('mtr-liandong-1')?.ts).toBe(T0 + 2000);
  });

  it('averages the 5G figures over the nodes that are up, and adds their throughput', () => {
    const { live, feed } = setup();
    const node = (id: string, rsrpDbm: number, sinrDb: number, latencyMs: number, dlMbps: number) =>
      feed(id, 'telemetry', { rsrpDbm, sinrDb, latencyMs, dlMbps, ulMbps: dlMbps / 10, connectedUes: 5 }, T0);
    node('g5-01', -90, 10, 20, 300.111);
    node('g5-02', -101, 5, 31, 200.222);
    node('g5-03', -95.5, 7.5, 9, 100);
    const s = live.takeDelta(T0 + 10, COUNTERS).summary;
    expect(s.nodes).toMatchObject({ total: model.devicesOfKind('node5g').length, up: 3, down: 0 });
    expect(s.nodes.rsrpDbm).toBe(-95.5);
    expect(s.nodes.sinrDb).toBe(7.5);
    expect(s.nodes.latencyMs).toBe(20);
    expect(s.nodes.dlMbps).toBe(600.33);
    expect(s.nodes.ulMbps).toBe(60.03);
    expect(s.nodes.unknown).toBe(model.devicesOfKind('node5g').length - 3);
  });

  it('says nothing about 5G means before any node has reported', () => {
    const { live } = setup();
    const s = live.snapshot(T0, COUNTERS).summary;
    expect(s.nodes.rsrpDbm).toBeNull();
    expect(s.nodes.dlMbps).toBe(0);
    expect(s.cameras.unknown).toBe(model.devicesOfKind('camera').length);
  });

  it('keeps camera events of the last hour, newest first, at most ten on the list', () => {
    const { live, feed } = setup();
    for (let i = 0; i < 14; i++) feed('cam-001', 'event', { type: 'intrusion', zone: 'z', confidence: 0.9 }, T0 + i * 60_000);
    let s = live.takeDelta(T0 + 13 * 60_000, COUNTERS).summary;
    expect(s.cameras.eventsLastHour).toBe(14);
    expect(s.cameras.latestEvents).toHaveLength(10);
    expect(s.cameras.latestEvents[0]!.ts).toBe(T0 + 13 * 60_000);
    // Just under 65 minutes after the first: events at minutes 0-4 are more than an hour old.
    s = live.takeDelta(T0 + 65 * 60_000 - 1, COUNTERS).summary;
    expect(s.cameras.eventsLastHour).toBe(9);
    expect(s.cameras.latestEvents.at(-1)!.ts).toBe(T0 + 5 * 60_000);
  });

  it('carries only changed devices in a delta, bumps seq per delta, and every device in a snapshot', () => {
    const { live, meter } = setup();
    meter('mtr-longyuan-1', 1, 1, T0);
    const d1 = live.takeDelta(T0, COUNTERS);
    expect(d1.seq).toBe(1);
    expect(d1.devices.map((d) => d.id)).toEqual(['mtr-longyuan-1']);
    const d2 = live.takeDelta(T0 + 250, COUNTERS);
    expect(d2.seq).toBe(2);
    expect(d2.devices).toEqual([]);
    expect(d2.heartbeatMs).toBe(250);
    const snap = live.snapshot(T0 + 300, COUNTERS);
    expect(snap.seq).toBe(2);
    expect(snap.devices).toHaveLength(model.devices.length);
  });

  it('turns a meter offline when its telemetry stops, and keeps its last power in the total', () => {
    const { live, meter, book } = setup();
    meter('mtr-longyuan-1', 42, 10, T0);
    expect(live.takeDelta(T0, COUNTERS).summary.energy.metersOnline).toBe(1);
    const later = T0 + 60 * 60_000;
    book.advance(later);
    const d = live.takeDelta(later, COUNTERS);
    expect(d.devices.find((x) => x.id === 'mtr-longyuan-1')).toMatchObject({ status: 'offline', cause: 'no-telemetry' });
    expect(d.summary.energy.metersOnline).toBe(0);
    expect(d.summary.energy.totalKw).toBe(42);
  });
});
