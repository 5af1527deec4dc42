// Plausible device behaviour, seeded so the same seed and the same clock give the same data.
// - Meters follow their enterprise's load profile by local hour and weekday (the park's time zone)
//   and integrate their kW into a rising kWh counter (trapezoid rule over the reported kW).
// - Cameras see more motion by day than by night; loitering by day; intrusions (a few a night
//   across the park), tamper and video loss rarely.
// - 5G nodes serve the people present in their zone: more connected UEs load the cell, which lowers
//   SINR and raises latency.
// - Faults (scenario files): a meter spike above the contract, a degraded 5G cell, a camera whose
//   stream is lost. Behaviours are pure functions of (seed, device, ts sequence, faults).
import type { Device, Enterprise, LoadProfile, ParkModel } from '../shared/park-model.ts';
import type { CameraEvent, CameraEventType, CameraTelemetry, MeterTelemetry, Node5gTelemetry } from '../shared/schema.ts';
import { zonedParts } from '../shared/time.ts';

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

export interface LocalTime {
  /** 0..24, fractional. */
  hour: number;
  /** 0 = Sunday .. 6 = Saturday. */
  weekday: number;
}

let lastLocal: { key: string; value: LocalTime } | null = null;

/** Local hour and weekday of `ts` in `timeZone` (cached per second: every device asks each tick). */
export function localTime(ts: number, timeZone: string): LocalTime {
  const key = `${timeZone}@${Math.floor(ts / 1000)}`;
  if (lastLocal?.key === key) return lastLocal.value;
  const p = zonedParts(ts, timeZone);
  const value = { hour: p.hour + p.minute / 60 + p.second / 3600, weekday: new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay() };
  lastLocal = { key, value };
  return value;
}

/** 1 inside [start, end), 0 outside, with linear ramps of `ramp` hours centred on both edges. */
function shift(hour: number, start: number, end: number, ramp = 0.5): number {
  const up = Math.min(1, Math.max(0, (hour - (start - ramp / 2)) / ramp));
  const down = Math.min(1, Math.max(0, ((end + ramp / 2) - hour) / ramp));
  return Math.min(up, down);
}

/**
 * Share of contracted capacity in use at a local time, before noise. Never above ~0.85, so a
 * healthy park stays under its contracts; a scenario's meter spike is what crosses the line.
 */
export function loadFactor(profile: LoadProfile, at: LocalTime): number {
  const { hour, weekday } = at;
  const sunday = weekday === 0;
  const weekend = weekday === 0 || weekday === 6;
  switch (profile) {
    case 'continuous': // aluminium casting and extrusion run around the clock, every day
      return 0.78 + 0.06 * Math.sin(((hour - 8) / 24) * 2 * Math.PI);
    case 'two-shift': // 06:00-22:00 six days a week, lunch dip; Sundays only maintenance
      if (sunday) return 0.2 + 0.1 * shift(hour, 8, 16);
      return 0.2 + 0.52 * shift(hour, 6, 22) - 0.17 * shift(hour, 11.5, 13);
    case 'day-shift': // 08:00-18:00 Monday to Saturday, warm-up and wind-down hours, lunch break
      if (sunday) return 0.1;
      return 0.1 + 0.2 * shift(hour, 7, 19) + 0.38 * shift(hour, 8, 18) - 0.28 * shift(hour, 12, 13);
    case 'office': // weekdays 08:00-18:00, evenings half, weekends the building's base load
      if (weekend) return 0.14;
      return 0.12 + 0.18 * shift(hour, 8, 22) + 0.25 * shift(hour, 8, 18);
    case 'construction': // sites that have started building: tower cranes and welding by day, every day
      return 0.04 + 0.58 * shift(hour, 7, 18) - 0.37 * shift(hour, 11.5, 13.5);
  }
}

/** People present (0..1) for a load profile: a continuous plant is staffed around the clock. */
function presence(profile: LoadProfile, at: LocalTime): number {
  if (profile === 'continuous') return 0.55;
  return Math.min(1, Math.max(0.05, (loadFactor(profile, at) - 0.04) / 0.64));
}

/** Camera activity (motion) by local hour: busy by day, rare at night. */
export function activityFactor(hour: number): number {
  if (hour >= 7 && hour < 19) return 1;
  if (hour >= 19 && hour < 23) return 0.4;
  return 0.08;
}

/**
 * Chance of a camera event per telemetry tick: motion at full activity, loitering by day, video
 * loss. Per tick rather than per hour, so a fast simulator (a demo, a test at 300 ms) shows events
 * within seconds at any hour; at the default 2 s interval it is ~18 motion events per camera per
 * daytime hour.
 */
export const EVENT_CHANCE_PER_TICK = {
  motion: 0.01,
  loitering: 0.0004,
  videoLoss: 0.00002,
} as const;

/**
 * Intrusions and tampering are critical alarms: in a real park a few a night, not one a camera an
 * hour. They are rates across the whole park in device time (whatever the telemetry interval), so
 * a fast simulator does not turn them into a storm; the storm is a scenario
 * (simulators/scenarios/intrusion-storm.yaml).
 */
export interface AlarmRates {
  /** Intrusions per night (the hours of low activity, 19:00-07:00) across all cameras; default 3. */
  intrusionsPerNight: number;
  /** Tamper events per day across all cameras; default 1. */
  tampersPerDay: number;
}
export const DEFAULT_ALARM_RATES: AlarmRates = { intrusionsPerNight: 3, tampersPerDay: 1 };
/** Hours a day with activity below 0.5 (when intrusions happen), see activityFactor. */
const NIGHT_HOURS = 12;

/** A fault a scenario puts on a device; `null` clears it. */
export type DeviceFault =
  /** Meter: load at `factor` x the meter's share of the enterprise's contracted capacity. */
  | { type: 'spike'; factor: number }
  /** 5G node: radio quality at (or beyond) these values. */
  | { type: 'degrade'; rsrpDbm: number; sinrDb: number; latencyMs: number }
  /** Camera: connected, but the video stream is gone (telemetry online: false, 0 fps). */
  | { type: 'stream-lost' };

export interface DeviceBehaviour {
  telemetry(ts: number): Record<string, number | boolean>;
  /** A camera event due at this tick, or null. */
  event(ts: number): Omit<CameraEvent, 'ts' | 'seq'> | null;
  /** Values a state file keeps across restarts (meter counters). */
  state(): Record<string, number>;
  /** Puts a fault on the device (or clears it with null); throws when the kind has no such fault. */
  setFault(fault: DeviceFault | null): void;
  readonly fault: DeviceFault | null;
}

interface BehaviourContext {
  model: ParkModel;
  seed: number;
  /** Restored state of this device, if any. */
  saved?: Record<string, number>;
  /** Report meter values unrounded (load devices: the payload is sized by float precision). */
  fullPrecision?: boolean;
  /** Park-wide alarm rates; default DEFAULT_ALARM_RATES. */
  alarms?: AlarmRates;
  /** ms between this device's telemetry ticks (turns the alarm rates into a chance per tick); default 2000. */
  intervalMs?: number;
}

const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;

function faultHolder(kind: string, allowed: DeviceFault['type']): { get: () => DeviceFault | null; set: (f: DeviceFault | null) => void } {
  let fault: DeviceFault | null = null;
  return {
    get: () => fault,
    set(f) {
      if (f !== null && f.type !== allowed) throw new Error(`a ${kind} cannot have a ${f.type} fault (only ${allowed})`);
      fault = f;
    },
  };
}

function meterBehaviour(ent: Enterprise | undefined, meters: number, rng: () => number, ctx: BehaviourContext): DeviceBehaviour {
  const capacity = (ent?.contractKw ?? 200) / Math.max(1, meters);
  const profile = ent?.profile ?? 'office';
  const r = ctx.fullPrecision ? (v: number): number => v : round;
  let kwh = ctx.saved?.kwh ?? round(20_000 + rng() * 80_000, 2);
  let lastTs: number | null = null;
  let lastKw = 0;
  let wander = 0; // slow drift so the curve is not a flat step
  const fault = faultHolder('meter', 'spike');
  return {
    telemetry(ts) {
      const f = fault.get();
      wander = wander * 0.95 + (rng() - 0.5) * 0.02;
      const share = f?.type === 'spike' ? f.factor : loadFactor(profile, localTime(ts, ctx.model.timezone)) + wander;
      const kw = r(Math.max(0, capacity * (share + (rng() - 0.5) * 0.04)), 2);
      // The counter integrates the power it reports (trapezoid), so kWh and kW always agree.
      if (lastTs !== null && ts > lastTs) kwh += (((lastKw + kw) / 2) * (ts - lastTs)) / 3_600_000;
      lastTs = ts;
      lastKw = kw;
      const voltage = 400 * (1 + (rng() - 0.5) * 0.02);
      const powerFactor = 0.9 + rng() * 0.07;
      const current = kw > 0 ? (kw * 1000) / (Math.sqrt(3) * voltage * powerFactor) : 0;
      const reading: Omit<MeterTelemetry, 'ts' | 'seq'> = {
        kw, kwh: r(kwh, 3), voltage: r(voltage, 1), current: r(current, 1), powerFactor: r(powerFactor, 3),
      };
      return reading;
    },
    event: () => null,
    state: () => ({ kwh }),
    setFault: fault.set,
    get fault() {
      return fault.get();
    },
  };
}

function cameraBehaviour(device: Device, rng: () => number, ctx: BehaviourContext): DeviceBehaviour {
  let storage = ctx.saved?.storage ?? 30 + rng() * 40;
  // Park-wide rates -> this camera's chance per tick.
  const rates = ctx.alarms ?? DEFAULT_ALARM_RATES;
  const cameras = Math.max(1, ctx.model.devicesOfKind('camera').length);
  const ticksPerHour = 3_600_000 / (ctx.intervalMs ?? 2000);
  const intrusion = rates.intrusionsPerNight / (cameras * NIGHT_HOURS * ticksPerHour);
  const tamper = rates.tampersPerDay / (cameras * 24 * ticksPerHour);
  const fault = faultHolder('camera', 'stream-lost');
  return {
    telemetry(ts) {
      const activity = activityFactor(localTime(ts, ctx.model.timezone).hour);
      // more motion, more bits (H.265 at 1080p: ~2-6 Mbit/s)
      const bitrate = 2000 + 2500 * activity + rng() * 600;
      storage += 0.0005 + rng() * 0.0005;
      if (storage > 92) storage = 35; // the NVR rotates its oldest footage
      if (fault.get()) return { online: false, fps: 0, bitrateKbps: 0, storageUsedPct: round(storage, 2) };
      const t: Omit<CameraTelemetry, 'ts' | 'seq'> = { online: true, fps: rng() < 0.97 ? 25 : 24, bitrateKbps: round(bitrate, 0), storageUsedPct: round(storage, 2) };
      return t;
    },
    event(ts) {
      const r = rng();
      if (fault.get()) return null;
      const activity = activityFactor(localTime(ts, ctx.model.timezone).hour);
      const c = EVENT_CHANCE_PER_TICK;
      let type: CameraEventType | null = null;
      let edge = c.motion * activity;
      if (r < edge) type = 'motion';
      else if (activity >= 0.5 && r < (edge += c.loitering)) type = 'loitering';
      else if (activity < 0.5 && r < (edge += intrusion)) type = 'intrusion';
      else if (r < (edge += tamper)) type = 'tamper';
      else if (r < edge + c.videoLoss) type = 'video_loss';
      if (!type) return null;
      return { type, zone: device.zone, confidence: round(0.6 + rng() * 0.39, 2) };
    },
    state: () => ({ storage }),
    setFault: fault.set,
    get fault() {
      return fault.get();
    },
  };
}

/** Connected UEs a cell can serve before quality suffers noticeably. */
const CELL_CAPACITY_UES = 300;

function nodeBehaviour(device: Device, rng: () => number, ctx: BehaviourContext): DeviceBehaviour {
  const baseRsrp = -78 - rng() * 14; // site-specific coverage
  const profiles = ctx.model.enterprises.filter((e) => e.zone === device.zone).map((e) => e.profile);
  const fault = faultHolder('5G node', 'degrade');
  return {
    telemetry(ts) {
      const at = localTime(ts, ctx.model.timezone);
      const people = profiles.length > 0 ? profiles.reduce((s, p) => s + presence(p, at), 0) / profiles.length : activityFactor(at.hour);
      const ues = Math.round(15 + 220 * people * (0.85 + rng() * 0.3));
      const load = ues / CELL_CAPACITY_UES;
      const noise = rng() - 0.5;
      const f = fault.get();
      if (f?.type === 'degrade') {
        // Interference or a failing radio: quality at or beyond the fault's values, throughput collapses.
        return {
          rsrpDbm: round(f.rsrpDbm - rng() * 2, 1),
          sinrDb: round(f.sinrDb - rng() * 1.5, 1),
          dlMbps: round(20 + 60 * rng(), 1),
          ulMbps: round(2 + 8 * rng(), 1),
          latencyMs: round(f.latencyMs + rng() * 15, 1),
          connectedUes: ues,
        } satisfies Omit<Node5gTelemetry, 'ts' | 'seq'>;
      }
      const t: Omit<Node5gTelemetry, 'ts' | 'seq'> = {
        rsrpDbm: round(baseRsrp + noise * 6, 1),
        // a busier cell schedules more neighbours' traffic: more interference, lower SINR
        sinrDb: round(24 - 14 * load + (rng() - 0.5) * 4, 1),
        dlMbps: round(250 + 900 * load * (0.7 + rng() * 0.5), 1),
        ulMbps: round(40 + 160 * load * (0.7 + rng() * 0.5), 1),
        latencyMs: round(7 + 18 * load * load + rng() * 3, 1),
        connectedUes: ues,
      };
      return t;
    },
    event: () => null,
    state: () => ({}),
    setFault: fault.set,
    get fault() {
      return fault.get();
    },
  };
}

const metersPerEnterprise = new WeakMap<ParkModel, Map<string | undefined, number>>();

/** Meters of each enterprise (computed once per model: load models have thousands). */
function meterCount(model: ParkModel, enterprise: string | undefined): number {
  let counts = metersPerEnterprise.get(model);
  if (!counts) {
    counts = new Map();
    for (const d of model.devicesOfKind('meter')) counts.set(d.enterprise, (counts.get(d.enterprise) ?? 0) + 1);
    metersPerEnterprise.set(model, counts);
  }
  return counts.get(enterprise) ?? 1;
}

export function createBehaviour(device: Device, ctx: BehaviourContext): DeviceBehaviour {
  const rng = createRng(ctx.seed ^ hashString(device.id));
  if (device.kind === 'meter') {
    const ent = device.enterprise ? ctx.model.enterpriseById.get(device.enterprise) : undefined;
    return meterBehaviour(ent, meterCount(ctx.model, device.enterprise), rng, ctx);
  }
  if (device.kind === 'camera') return cameraBehaviour(device, rng, ctx);
  return nodeBehaviour(device, rng, ctx);
}
