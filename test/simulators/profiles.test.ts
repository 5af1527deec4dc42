// Device behaviour as pure functions of (seed, device, clock): realistic shapes, consistent meters,
// and the same data for the same seed.
import { describe, expect, it } from 'vitest';
import { loadParkModel, type Device } from '../../shared/park-model.ts';
import { createBehaviour, localTime, type DeviceBehaviour } from '../../simulators/profiles.ts';

type BehaviourOptions = Parameters<typeof createBehaviour>[1];

const model = loadParkModel();
// Wednesday 3 July 2024, 00:00 in Zhenjiang (UTC+8).
const WED_MIDNIGHT = Date.UTC(2024, 6, 2, 16, 0, 0);
const HOUR = 3_600_000;

function behaviours(seed: number, devices: readonly Device[] = model.devices, extra: Partial<BehaviourOptions> = {}): Map<string, DeviceBehaviour> {
  return new Map(devices.map((d) => [d.id, createBehaviour(d, { model, seed, ...extra })]));
}

/** Runs every device over a fixed clock: `steps` ticks of `stepMs` from `start`. */
function run(seed: number, start: number, stepMs: number, steps: number): string[] {
  const bs = behaviours(seed);
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    const ts = start + i * stepMs;
    for (const [id, b] of bs) out.push(`${id} ${ts} ${JSON.stringify(b.telemetry(ts))} ${JSON.stringify(b.event(ts))}`);
  }
  return out;
}

const meterOf = (id: string): Device => model.deviceById.get(id)!;
const kwAt = (id: string, ts: number, seed = 7): number => {
  const b = createBehaviour(meterOf(id), { model, seed });
  let kw = 0;
  // a few ticks so the slow drift settles; the value is read at `ts`
  for (let t = ts - 10 * 60_000; t <= ts; t += 60_000) kw = b.telemetry(t).kw as number;
  return kw;
};
const capacity = (id: string): number => {
  const ent = model.enterpriseById.get(meterOf(id).enterprise!)!;
  return ent.contractKw / model.devicesOfKind('meter').filter((d) => d.enterprise === ent.id).length;
};

describe('simulated devices', () => {
  it('give the same data for the same seed and clock, and different data for another seed', () => {
    const a = run(20240630, WED_MIDNIGHT, 30_000, 240);
    const b = run(20240630, WED_MIDNIGHT, 30_000, 240);
    const c = run(1, WED_MIDNIGHT, 30_000, 240);
    expect(a.length).toBe(240 * model.devices.length);
    expect(b).toEqual(a);
    const differing = a.filter((line, i) => line !== c[i]).length;
    expect(differing).toBeGreaterThan(a.length * 0.9);
  });

  it('computes local time in the park time zone', () => {
    expect(localTime(WED_MIDNIGHT + 3 * HOUR, 'Asia/Shanghai')).toEqual({ hour: 3, weekday: 3 });
    expect(localTime(WED_MIDNIGHT + 4 * 24 * HOUR + 13.5 * HOUR, 'Asia/Shanghai')).toEqual({ hour: 13.5, weekday: 0 });
  });

  it('raises every meter kWh counter by the integral of the kW it reports', () => {
    for (const meter of model.devicesOfKind('meter')) {
      const b = createBehaviour(meter, { model, seed: 42 });
      let prev: { ts: number; kw: number } | null = null;
      let integral = 0;
      let first = 0;
      let last = 0;
      // a whole day at irregular intervals (45-75 s), as a real device clock drifts
      for (let ts = WED_MIDNIGHT, i = 0; ts < WED_MIDNIGHT + 24 * HOUR; ts += 45_000 + ((i * 7919) % 30_000), i++) {
        const t = b.telemetry(ts);
        if (prev) integral += (((prev.kw + (t.kw as number)) / 2) * (ts - prev.ts)) / HOUR;
        else first = t.kwh as number;
        last = t.kwh as number;
        prev = { ts, kw: t.kw as number };
      }
      expect(integral, meter.id).toBeGreaterThan(0);
      expect(last - first, meter.id).toBeCloseTo(integral, 2);
    }
  });

  it('follows each enterprise load profile by local hour and weekday', () => {
    const at = (dayOffset: number, hour: number): number => WED_MIDNIGHT + dayOffset * 24 * HOUR + hour * HOUR;
    const share = (id: string, ts: number): number => kwAt(id, ts) / capacity(id);
    // The aluminium plant runs around the clock.
    expect(share('mtr-longyuan-1', at(0, 3))).toBeGreaterThan(0.65);
    expect(share('mtr-longyuan-1', at(0, 15))).toBeGreaterThan(0.65);
    // Day-shift workshops: busy at 10:00, nearly idle at 03:00 and on Sunday.
    expect(share('mtr-std-a-1', at(0, 10))).toBeGreaterThan(0.55);
    expect(share('mtr-std-a-1', at(0, 3))).toBeLessThan(0.2);
    expect(share('mtr-std-a-1', at(4, 10))).toBeLessThan(0.2);
    // Two shifts until 22:00.
    expect(share('mtr-zhonghai-1', at(0, 20))).toBeGreaterThan(0.6);
    expect(share('mtr-zhonghai-1', at(0, 23.5))).toBeLessThan(0.3);
    // Offices: working hours on weekdays, base load at weekends.
    expect(share('mtr-svc-center-1', at(0, 10))).toBeGreaterThan(0.45);
    expect(share('mtr-svc-center-1', at(3, 10))).toBeLessThan(0.2);
    // The started key projects are building sites: cranes by day, almost nothing at night.
    expect(share('mtr-liandong-1', at(0, 10))).toBeGreaterThan(0.5);
    expect(share('mtr-liandong-1', at(0, 2))).toBeLessThan(0.1);
    // A healthy park stays under every contract.
    for (const meter of model.devicesOfKind('meter')) {
      for (let h = 0; h < 24; h += 1) expect(share(meter.id, at(0, h)), `${meter.id} at ${h}:00`).toBeLessThan(0.95);
    }
  });

  it('gives cameras more motion by day and rare events at night', () => {
    // Ticks of a minute here: the alarm rates are per device time, so tell the cameras.
    const cams = behaviours(3, model.devicesOfKind('camera'), { intervalMs: 60_000 });
    const day = new Map<string, number>();
    const night = new Map<string, number>();
    for (let d = 0; d < 7; d++) {
      for (let ts = WED_MIDNIGHT + d * 24 * HOUR; ts < WED_MIDNIGHT + (d + 1) * 24 * HOUR; ts += 60_000) {
        const hour = localTime(ts, model.timezone).hour;
        const bucket = hour >= 8 && hour < 18 ? day : hour < 5 ? night : null;
        for (const b of cams.values()) {
          b.telemetry(ts);
          const ev = b.event(ts);
          if (ev && bucket) bucket.set(ev.type, (bucket.get(ev.type) ?? 0) + 1);
        }
      }
    }
    const dayMotionPerHour = (day.get('motion') ?? 0) / (7 * 10);
    const nightMotionPerHour = (night.get('motion') ?? 0) / (7 * 5);
    expect(dayMotionPerHour).toBeGreaterThan(5 * nightMotionPerHour);
    expect(nightMotionPerHour).toBeGreaterThan(0);
    expect(night.get('intrusion') ?? 0).toBeGreaterThan(0);
    expect(day.get('intrusion') ?? 0).toBe(0);
  });

  it('raises a few intrusions a night across the park (and a tamper a day), whatever the interval', () => {
    for (const intervalMs of [2000, 1000]) {
      const cams = behaviours(11, model.devicesOfKind('camera'), { intervalMs });
      const counts = new Map<string, number>();
      // Three nights (19:00-07:00 of the park's clock) at the simulator's own tick.
      for (let n = 0; n < 3; n++) {
        const from = WED_MIDNIGHT + n * 24 * HOUR - 5 * HOUR;
        for (let ts = from; ts < from + 12 * HOUR; ts += intervalMs) {
          for (const b of cams.values()) {
            const ev = b.event(ts);
            if (ev && ev.type !== 'motion') counts.set(ev.type, (counts.get(ev.type) ?? 0) + 1);
          }
        }
      }
      const perNight = (counts.get('intrusion') ?? 0) / 3;
      expect(perNight, `intrusions per night at ${intervalMs} ms`).toBeGreaterThan(0.5);
      expect(perNight, `intrusions per night at ${intervalMs} ms`).toBeLessThan(8);
      expect(counts.get('tamper') ?? 0, `tampers in three half-days at ${intervalMs} ms`).toBeLessThan(8);
      expect(counts.get('loitering') ?? 0).toBe(0); // loitering is a daytime event
    }
    // Configurable: none at all, or a storm.
    const quiet = behaviours(11, model.devicesOfKind('camera'), { intervalMs: 2000, alarms: { intrusionsPerNight: 0, tampersPerDay: 0 } });
    let alarms = 0;
    for (let ts = WED_MIDNIGHT; ts < WED_MIDNIGHT + 5 * HOUR; ts += 2000) for (const b of quiet.values()) if (['intrusion', 'tamper'].includes(b.event(ts)?.type ?? '')) alarms++;
    expect(alarms).toBe(0);
  });

  it('lowers 5G quality as more UEs connect', () => {
    const nodes = behaviours(5, model.devicesOfKind('node5g'));
    const samples: { ues: number; sinr: number; latency: number; hour: number }[] = [];
    for (let ts = WED_MIDNIGHT; ts < WED_MIDNIGHT + 24 * HOUR; ts += 120_000) {
      for (const b of nodes.values()) {
        const t = b.telemetry(ts);
        samples.push({ ues: t.connectedUes as number, sinr: t.sinrDb as number, latency: t.latencyMs as number, hour: localTime(ts, model.timezone).hour });
        expect(t.rsrpDbm as number).toBeGreaterThan(-110);
        expect(t.sinrDb as number).toBeGreaterThan(0);
        expect(t.latencyMs as number).toBeLessThan(50);
      }
    }
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    const byDay = samples.filter((s) => s.hour >= 9 && s.hour < 17);
    const byNight = samples.filter((s) => s.hour < 5);
    expect(mean(byDay.map((s) => s.ues))).toBeGreaterThan(1.5 * mean(byNight.map((s) => s.ues)));
    const sorted = [...samples].sort((a, b) => a.ues - b.ues);
    const low = sorted.slice(0, sorted.length / 4);
    const high = sorted.slice((3 * sorted.length) / 4);
    expect(mean(high.map((s) => s.sinr))).toBeLessThan(mean(low.map((s) => s.sinr)) - 2);
    expect(mean(high.map((s) => s.latency))).toBeGreaterThan(mean(low.map((s) => s.latency)));
  });

  it('applies scenario faults and refuses faults a kind cannot have', () => {
    const ts = WED_MIDNIGHT + 10 * HOUR;
    const meters = model.devicesOfKind('meter').filter((d) => d.enterprise === 'zhonghai');
    const bs = meters.map((m) => createBehaviour(m, { model, seed: 1 }));
    for (const b of bs) b.setFault({ type: 'spike', factor: 1.3 });
    const total = bs.reduce((s, b) => s + (b.telemetry(ts).kw as number), 0);
    expect(total).toBeGreaterThan(model.enterpriseById.get('zhonghai')!.contractKw);

    const node = createBehaviour(model.deviceById.get('g5-03')!, { model, seed: 1 });
    node.setFault({ type: 'degrade', rsrpDbm: -115, sinrDb: -3, latencyMs: 80 });
    const t = node.telemetry(ts);
    expect(t.rsrpDbm as number).toBeLessThan(-110);
    expect(t.sinrDb as number).toBeLessThan(0);
    expect(t.latencyMs as number).toBeGreaterThan(50);
    node.setFault(null);
    expect(node.telemetry(ts + 60_000).rsrpDbm as number).toBeGreaterThan(-110);

    const cam = createBehaviour(model.deviceById.get('cam-001')!, { model, seed: 1 });
    cam.setFault({ type: 'stream-lost' });
    expect(cam.telemetry(ts)).toMatchObject({ online: false, fps: 0, bitrateKbps: 0 });
    expect(() => cam.setFault({ type: 'spike', factor: 2 })).toThrow(/camera cannot have a spike/);
  });
});
