// Scenario files: scripted faults at given offsets, in YAML or JSON (see simulators/scenarios/README.md).
// Parsed with one schema, then checked against the park model so a typo in a device id fails at
// load time with the step it is in, not an hour into a run.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ParkModel } from '../shared/park-model.ts';
import { CAMERA_EVENT_TYPES } from '../shared/schema.ts';
import { formatIssues } from '../shared/validation.ts';

const UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "500ms", "90s", "2m", "1.5h", or a number of seconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return Math.round(value * 1000);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(value)} (use e.g. 500ms, 30s, 2m, 1h)`);
  return Math.round(Number(m[1]) * UNITS_MS[m[2] as keyof typeof UNITS_MS]);
}

const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const step = { at: duration, note: z.string().optional() };
const device = z.string().min(1);
/** How long a fault lasts before the runner restores the device; absent = until a later step. */
const lasting = { for: duration.optional() };

export const MALFORMED_PAYLOADS = ['json', 'schema', 'oversized', 'not-utf8'] as const;

export const scenarioStepSchema = z.discriminatedUnion('action', [
  z.strictObject({ ...step, ...lasting, action: z.literal('camera-offline'), device, mode: z.enum(['will', 'graceful', 'silent', 'stream-lost']).default('will') }),
  z.strictObject({ ...step, ...lasting, action: z.literal('device-offline'), device, mode: z.enum(['will', 'graceful', 'silent']).default('will') }),
  z.strictObject({ ...step, action: z.literal('device-online'), device }),
  z.strictObject({
    ...step,
    action: z.literal('intrusion'),
    zone: z.string().min(1),
    /** One camera; default: the zone's cameras in turn. */
    device: device.optional(),
    count: z.number().int().min(1).max(1000).default(1),
    type: z.enum(CAMERA_EVENT_TYPES).default('intrusion'),
    confidence: z.number().min(0).max(1).default(0.92),
  }),
  z.strictObject({
    ...step, ...lasting,
    action: z.literal('node-degrade'),
    device,
    rsrpDbm: z.number().min(-156).max(-31).default(-115),
    sinrDb: z.number().min(-23).max(40).default(-3),
    latencyMs: z.number().min(0).max(60_000).default(80),
  }),
  z.strictObject({ ...step, ...lasting, action: z.literal('node-drop'), device, mode: z.enum(['will', 'graceful']).default('will') }),
  z.strictObject({
    ...step, ...lasting,
    action: z.literal('meter-spike'),
    /** Every meter of this enterprise, or one meter. */
    enterprise: z.string().optional(),
    device: device.optional(),
    /** Load as a multiple of the contracted capacity (1.3 = 30 % over). */
    factor: z.number().min(0).max(20).default(1.3),
  }),
  z.strictObject({
    ...step,
    action: z.literal('malformed-burst'),
    /** The device whose connection carries the burst; default the first meter. */
    device: device.optional(),
    count: z.number().int().min(1).max(10_000).default(20),
    payload: z.enum(MALFORMED_PAYLOADS).default('json'),
  }),
  z.strictObject({ ...step, action: z.literal('broker-restart'), downFor: duration.default(2000) }),
]);

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** When the scenario ends (from its start); default 5 s after the last step and its faults. */
  duration: duration.optional(),
  /** ms between telemetry messages of each device while the scenario runs. */
  intervalMs: z.number().int().min(10).max(3_600_000).optional(),
  seed: z.number().int().min(0).optional(),
  steps: z.array(scenarioStepSchema).min(1),
});

export type ScenarioStep = z.infer<typeof scenarioStepSchema>;
export type Scenario = Omit<z.infer<typeof scenarioSchema>, 'duration'> & { duration: number };

function stepEnd(s: ScenarioStep): number {
  return s.at + ('for' in s && s.for !== undefined ? s.for : 0) + (s.action === 'broker-restart' ? s.downFor : 0);
}

/** Every problem of a step against the model, as text. */
function modelProblems(s: ScenarioStep, model: ParkModel): string[] {
  const problems: string[] = [];
  const kindOf = (id: string, want?: string): void => {
    const d = model.deviceById.get(id);
    if (!d) problems.push(`unknown device ${JSON.stringify(id)}`);
    else if (want && d.kind !== want) problems.push(`${id} is a ${d.kind}, not a ${want}`);
  };
  switch (s.action) {
    case 'camera-offline':
      kindOf(s.device, 'camera');
      break;
    case 'device-offline':
    case 'device-online':
      kindOf(s.device);
      break;
    case 'intrusion':
      if (!model.zones.some((z) => z.id === s.zone)) problems.push(`unknown zone ${JSON.stringify(s.zone)}`);
      else if (s.device) kindOf(s.device, 'camera');
      else if (!model.devicesOfKind('camera').some((d) => d.zone === s.zone)) problems.push(`zone ${s.zone} has no camera`);
      break;
    case 'node-degrade':
    case 'node-drop':
      kindOf(s.device, 'node5g');
      break;
    case 'meter-spike':
      if ((s.enterprise === undefined) === (s.device === undefined)) problems.push('name either an enterprise or a device');
      else if (s.device) kindOf(s.device, 'meter');
      else if (!model.enterpriseById.has(s.enterprise!)) problems.push(`unknown enterprise ${JSON.stringify(s.enterprise)}`);
      break;
    case 'malformed-burst':
      if (s.device) kindOf(s.device);
      break;
    case 'broker-restart':
      break;
  }
  return problems;
}

/** Validates raw scenario data (parsed YAML/JSON) against the schema and the park model. */
export function buildScenario(raw: unknown, model: ParkModel, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${source}: ${formatIssues(parsed.error)}`);
  }
  const problems = parsed.data.steps.flatMap((s, i) => modelProblems(s, model).map((p) => `steps.${i} (${s.action}): ${p}`));
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`);
  const steps = [...parsed.data.steps].sort((a, b) => a.at - b.at);
  const end = Math.max(...steps.map(stepEnd)) + 5000;
  return { ...parsed.data, steps, duration: parsed.data.duration ?? end };
}

/** Reads a `.yaml`, `.yml` or `.json` scenario file. */
export function loadScenario(path: string, model: ParkModel): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read scenario ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new Error(`${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  return buildScenario(raw, model, path);
}
