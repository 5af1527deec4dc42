// The park model: zones, enterprises and every device with its zone and map position.
// Devices, meters and the map all come from this one data file.
import { z } from 'zod';
import { DEVICE_KINDS, ID_PATTERN, type DeviceKind } from './topics.ts';
import { readJson } from './json-file.ts';
import { formatIssues } from './validation.ts';
import { projectPath } from './project-root.ts';

const point = z.tuple([z.number(), z.number()]);

export const LOAD_PROFILES = ['continuous', 'two-shift', 'day-shift', 'office', 'construction'] as const;
export type LoadProfile = (typeof LOAD_PROFILES)[number];

export const zoneSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN),
  name: z.string().min(1),
  nameEn: z.string().min(1),
  /** Outline in map units (see `map`), clockwise. */
  polygon: z.array(point).min(3),
});

export const enterpriseSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN),
  name: z.string().min(1),
  short: z.string().min(1),
  nameEn: z.string().min(1),
  /** The English counterpart of `short`: map labels, rankings, chips. */
  shortEn: z.string().min(1),
  zone: z.string(),
  profile: z.enum(LOAD_PROFILES),
  /** Contracted supply capacity, kW: the line the enterprise's load is compared against. */
  contractKw: z.number().positive(),
  stage: z.enum(['operating', 'construction']),
  /** `seed` when the seed article names it; `neutral` for a label the model gives. */
  source: z.enum(['seed', 'neutral']),
  /** Building plot on the map: x, y, width, height in map units. */
  plot: z.tuple([z.number(), z.number(), z.number(), z.number()]),
});

export const deviceSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN),
  kind: z.enum(DEVICE_KINDS),
  name: z.string().min(1),
  /** English name (the wall and console with lang=en, alert titles in English). */
  nameEn: z.string().min(1),
  zone: z.string(),
  enterprise: z.string().optional(),
  /** Map position in map units. */
  x: z.number(),
  y: z.number(),
});

export const parkModelSchema = z
  .strictObject({
    id: z.string().regex(ID_PATTERN),
    name: z.string().min(1),
    nameEn: z.string().min(1),
    city: z.string(),
    /** IANA zone for "today" (kWh per day, events per hour). */
    timezone: z.string(),
    map: z.strictObject({ width: z.number().positive(), height: z.number().positive() }),
    note: z.string().optional(),
    zones: z.array(zoneSchema).min(1),
    enterprises: z.array(enterpriseSchema).min(1),
    devices: z.array(deviceSchema).min(1),
  })
  .superRefine((m, ctx) => {
    const zoneIds = new Set(m.zones.map((zn) => zn.id));
    const entIds = new Set(m.enterprises.map((e) => e.id));
    const seen = new Set<string>();
    for (const d of m.devices) {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', message: `duplicate device id ${d.id}` });
      seen.add(d.id);
      if (!zoneIds.has(d.zone)) ctx.addIssue({ code: 'custom', message: `device ${d.id}: unknown zone ${d.zone}` });
      if (d.enterprise !== undefined && !entIds.has(d.enterprise))
        ctx.addIssue({ code: 'custom', message: `device ${d.id}: unknown enterprise ${d.enterprise}` });
    }
    for (const e of m.enterprises) {
      if (!zoneIds.has(e.zone)) ctx.addIssue({ code: 'custom', message: `enterprise ${e.id}: unknown zone ${e.zone}` });
      if (!m.devices.some((d) => d.kind === 'meter' && d.enterprise === e.id))
        ctx.addIssue({ code: 'custom', message: `enterprise ${e.id} has no meter` });
    }
  });

export type Zone = z.infer<typeof zoneSchema>;
export type Enterprise = z.infer<typeof enterpriseSchema>;
export type Device = z.infer<typeof deviceSchema>;
export type ParkModelData = z.infer<typeof parkModelSchema>;

/** The model with lookups. Frozen: nothing at run time changes the park. */
export interface ParkModel extends ParkModelData {
  readonly deviceById: ReadonlyMap<string, Device>;
  readonly enterpriseById: ReadonlyMap<string, Enterprise>;
  readonly devicesOfKind: (kind: DeviceKind) => readonly Device[];
}

export const DEFAULT_PARK_MODEL_PATH = projectPath('shared/park/dantu.json');

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Validates raw model data and adds lookups. Throws with every problem listed. */
export function buildParkModel(raw: unknown): ParkModel {
  const parsed = parkModelSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid park model: ${formatIssues(parsed.error)}`);
  }
  const data = parsed.data;
  const byKind = new Map<DeviceKind, Device[]>(DEVICE_KINDS.map((k) => [k, []]));
  for (const d of data.devices) byKind.get(d.kind)!.push(d);
  const model: ParkModel = {
    ...data,
    deviceById: new Map(data.devices.map((d) => [d.id, d])),
    enterpriseById: new Map(data.enterprises.map((e) => [e.id, e])),
    devicesOfKind: (kind) => byKind.get(kind) ?? [],
  };
  deepFreeze(data);
  return Object.freeze(model);
}

export function loadParkModel(path: string = DEFAULT_PARK_MODEL_PATH): ParkModel {
  return buildParkModel(readJson(path, 'park model'));
}

/** The part of the model a browser needs to draw the map (no internals). */
export function publicParkModel(model: ParkModel): ParkModelData {
  const { id, name, nameEn, city, timezone, map, zones, enterprises, devices } = model;
  return { id, name, nameEn, city, timezone, map, zones, enterprises, devices };
}
