// Plausible device behaviour, seeded so the same seed gives the same data. Load follows each
// enterprise's profile by local hour; meters integrate their kW into a rising kWh counter; cameras
// see more motion by day; 5G quality degrades as the cell gets busier.
import type { Device, Enterprise, LoadProfile, ParkModel } from '../shared/park-model.ts';
import type { CameraEvent, CameraEventType, CameraTelemetry, MeterTelemetry, Node5gTelemetry } from '../shared/schema.ts';
import { hourOfDay } from '../shared/time.ts';

/** mulberry32: small, fast, good enough for simulation; deterministic per seed. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Share of contracted capacity in use at a local hour (0..24), before noise. */
export function loadFactor(profile: LoadProfile, hour: number): number {
  const between = (a: number, b: number): boolean => hour >= a && hour < b;
  switch (profile) {
    case 'continuous': // aluminium casting and extrusion run around the clock
      return 0.78 + 0.06 * Math.sin((hour / 24) * 2 * Math.PI);
    case 'two-shift':
      return between(6, 22) ? (between(11.5, 13) ? 0.55 : 0.72) : 0.2;
    case 'day-shift':
      return between(8, 18) ? (between(12, 13) ? 0.4 : 0.68) : between(7, 8) || between(18, 19) ? 0.3 : 0.1;
    case 'office':
      return between(8, 18) ? 0.55 : between(18, 22) ? 0.3 : 0.12;
    case 'construction':
      return between(7, 18) ? (between(11.5, 13.5) ? 0.25 : 0.62) : 0.04;
  }
}

/** Camera activity (motion events) by local hour: busy by day, rare at night. */
export function activityFactor(hour: number): number {
  if (hour >= 7 && hour < 19) return 1;
  if (hour >= 19 && hour < 23) return 0.4;
  return 0.08;
}

export interface DeviceBehaviour {
  telemetry(ts: number): Record<string, number | boolean>;
  /** A camera event due at this tick, or null. */
  event(ts: number): Omit<CameraEvent, 'ts' | 'seq'> | null;
  /** Values a state file keeps across restarts (meter counters). */
  state(): Record<string, number>;
}

interface BehaviourContext {
  model: ParkModel;
  seed: number;
  /** Restored state of this device, if any. */
  saved?: Record<string, number>;
}

const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;

function meterBehaviour(device: Device, ent: Enterprise | undefined, meters: number, rng: () => number, ctx: BehaviourContext): DeviceBehaviour {
  const capacity = (ent?.contractKw ?? 200) / Math.max(1, meters);
  const profile = ent?.profile ?? 'office';
  let kwh = ctx.saved?.kwh ?? round(20_000 + rng() * 80_000, 2);
  let lastTs: number | null = null;
  let wander = 0; // slow drift so the curve is not a flat step
  return {
    telemetry(ts) {
      const hour = hourOfDay(ts, ctx.model.timezone);
      wander = wander * 0.95 + (rng() - 0.5) * 0.02;
      const kw = Math.max(0, capacity * (loadFactor(profile, hour) + wander + (rng() - 0.5) * 0.04));
      if (lastTs !== null && ts > lastTs) kwh += (kw * (ts - lastTs)) / 3_600_000;
      lastTs = ts;
      const voltage = 400 * (1 + (rng() - 0.5) * 0.02);
      const powerFactor = 0.9 + rng() * 0.07;
      const current = kw > 0 ? (kw * 1000) / (Math.sqrt(3) * voltage * powerFactor) : 0;
      const reading: Omit<MeterTelemetry, 'ts' | 'seq'> = {
        kw: round(kw, 2), kwh: round(kwh, 3), voltage: round(voltage, 1), current: round(current, 1), powerFactor: round(powerFactor, 3),
      };
      return reading;
    },
    event: () => null,
    state: () => ({ kwh }),
  };
}

function cameraBehaviour(device: Device, rng: () => number, ctx: BehaviourContext): DeviceBehaviour {
  let storage = ctx.saved?.storage ?? 30 + rng() * 40;
  const zone = device.zone;
  return {
    telemetry(ts) {
      const activity = activityFactor(hourOfDay(ts, ctx.model.timezone));
      // more motion, more bits (H.265 at 1080p: ~2-6 Mbit/s)
      const bitrate = 2000 + 2500 * activity + rng() * 600;
      storage += 0.0005 + rng() * 0.0005;
      if (storage > 92) storage = 35; // the NVR rotates its oldest footage
      const t: Omit<CameraTelemetry, 'ts' | 'seq'> = { online: true, fps: rng() < 0.97 ? 25 : 24, bitrateKbps: round(bitrate, 0), storageUsedPct: round(storage, 2) };
      return t;
    },
    event(ts) {
      const activity = activityFactor(hourOfDay(ts, ctx.model.timezone));
      const r = rng();
      let type: CameraEventType | null = null;
      if (r < 0.01 * activity) type = 'motion';
      else if (r < 0.01 * activity + 0.0004) type = activity < 0.5 ? 'intrusion' : 'loitering';
      if (!type) return null;
      return { type, zone, confidence: round(0.6 + rng() * 0.39, 2) };
    },
    state: () => ({ storage }),
  };
}

function nodeBehaviour(device: Device, rng: () => number, ctx: BehaviourContext): DeviceBehaviour {
  const baseRsrp = -78 - rng() * 14; // site-specific coverage
  return {
    telemetry(ts) {
      const busy = activityFactor(hourOfDay(ts, ctx.model.timezone));
      const ues = Math.round(20 + 180 * busy * (0.8 + rng() * 0.4));
      const load = ues / 250;
      const rsrp = baseRsrp + (rng() - 0.5) * 6;
      const sinr = 22 - 12 * load + (rng() - 0.5) * 4;
      const t: Omit<Node5gTelemetry, 'ts' | 'seq'> = {
        rsrpDbm: round(rsrp, 1),
        sinrDb: round(sinr, 1),
        dlMbps: round(300 + 900 * load * (0.7 + rng() * 0.5), 1),
        ulMbps: round(40 + 160 * load * (0.7 + rng() * 0.5), 1),
        latencyMs: round(8 + 14 * load * load + rng() * 3, 1),
        connectedUes: ues,
      };
      return t;
    },
    event: () => null,
    state: () => ({}),
  };
}

export function createBehaviour(device: Device, ctx: BehaviourContext): DeviceBehaviour {
  const rng = createRng(ctx.seed ^ hashString(device.id));
  if (device.kind === 'meter') {
    const ent = device.enterprise ? ctx.model.enterpriseById.get(device.enterprise) : undefined;
    const meters = ctx.model.devices.filter((d) => d.kind === 'meter' && d.enterprise === device.enterprise).length;
    return meterBehaviour(device, ent, meters, rng, ctx);
  }
  if (device.kind === 'camera') return cameraBehaviour(device, rng, ctx);
  return nodeBehaviour(device, rng, ctx);
}
