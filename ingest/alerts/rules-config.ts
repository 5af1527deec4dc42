// The alert rules' thresholds: one JSON file (shared/park/alert-rules.json by default), validated
// here. Every field has a default, so a file names only what it changes; an unknown rule or field
// is an error (a typo must not silently leave a rule at its default).
import { z } from 'zod';
import { ALERT_SEVERITIES, type AlertRuleId } from '../../shared/schema.ts';
import { readJson } from '../../shared/json-file.ts';
import { formatIssues } from '../../shared/validation.ts';
import { projectPath } from '../../shared/project-root.ts';

export const DEFAULT_ALERT_RULES_PATH = projectPath('shared/park/alert-rules.json');

const ms = z.number().int().min(0).max(30 * 86_400_000);
const posMs = z.number().int().min(1).max(30 * 86_400_000);

/** Fields every rule has. */
function rule<S extends z.ZodRawShape>(defaults: { severity: (typeof ALERT_SEVERITIES)[number]; onDelayMs?: number; offDelayMs: number; latch?: boolean }, own: S) {
  return z.strictObject({
    enabled: z.boolean().default(true),
    severity: z.enum(ALERT_SEVERITIES).default(defaults.severity),
    /** ms the condition must hold before an alert is raised. */
    onDelayMs: ms.default(defaults.onDelayMs ?? 0),
    /** ms the condition must stay false before the alert clears (event rules: quiet time after the last event). */
    offDelayMs: ms.default(defaults.offDelayMs),
    /** Stay open after the condition returned until an operator acknowledges (ISA-18.2 latching). */
    latch: z.boolean().default(defaults.latch ?? false),
    ...own,
  }).prefault({} as never); // generic shape: every field has its default
}

const confidence = (d: number) => z.number().min(0).max(1).default(d);

const rulesSchema = z.strictObject({
  'camera-offline': rule({ severity: 'major', offDelayMs: 30_000 }, { noTelemetryMs: posMs.default(60_000) }),
  'camera-intrusion': rule({ severity: 'critical', offDelayMs: 300_000, latch: true }, { minConfidence: confidence(0.6) }),
  'camera-tamper': rule({ severity: 'critical', offDelayMs: 300_000, latch: true }, { minConfidence: confidence(0.5) }),
  'camera-loitering': rule({ severity: 'minor', offDelayMs: 180_000 }, { minConfidence: confidence(0.6) }),
  'camera-video-loss': rule({ severity: 'major', offDelayMs: 15_000 }, { minConfidence: confidence(0) }),
  'node5g-offline': rule({ severity: 'major', offDelayMs: 30_000 }, { noTelemetryMs: posMs.default(60_000) }),
  'node5g-degraded': rule(
    { severity: 'minor', onDelayMs: 60_000, offDelayMs: 60_000 },
    {
      rsrpBelowDbm: z.number().default(-110),
      sinrBelowDb: z.number().default(0),
      latencyAboveMs: z.number().min(0).default(50),
    },
  ),
  'meter-offline': rule({ severity: 'minor', offDelayMs: 30_000 }, { noTelemetryMs: posMs.default(120_000) }),
  'enterprise-overload': rule({ severity: 'major', onDelayMs: 60_000, offDelayMs: 120_000 }, { abovePctOfContract: z.number().positive().max(1000).default(100) }),
  'power-spike': rule(
    { severity: 'minor', offDelayMs: 300_000 },
    {
      /** A rise of at least this many kW ... */
      jumpKw: z.number().positive().default(50),
      /** ... and at least this % of the previous reading ... */
      jumpPct: z.number().min(0).default(50),
      /** ... between two readings at most this far apart (device clock). */
      withinMs: posMs.default(30_000),
    },
  ),
  'stale-data': rule({ severity: 'warning', onDelayMs: 30_000, offDelayMs: 30_000 }, { maxLagMs: posMs.default(30_000) }),
} satisfies Record<AlertRuleId, z.ZodType>);

export const alertRulesSchema = z.strictObject({
  version: z.literal(1),
  note: z.string().optional(),
  /** ms between checks of time-based conditions (silence, delays, shelve expiry, escalation). */
  tickMs: z.number().int().min(10).max(60_000).default(1000),
  flapping: z
    .strictObject({
      /** Condition changes within `windowMs` that make an alert `flapping`. */
      flips: z.number().int().min(2).max(1000).default(4),
      windowMs: posMs.default(600_000),
      /** A flapping alert clears only after its condition stayed false this long. */
      quietMs: ms.default(300_000),
    })
    .prefault({}),
  escalation: z
    .strictObject({
      severities: z.array(z.enum(ALERT_SEVERITIES)).default(['critical']),
      /** An alert of these severities still unacknowledged this long after it opened is escalated ... */
      afterMs: posMs.default(300_000),
      /** ... and again every `repeatMs` until acknowledged or shelved. */
      repeatMs: posMs.default(600_000),
    })
    .prefault({}),
  /** Longest shelving an operator may choose. */
  shelveMaxMs: z.number().int().min(60_000).max(30 * 86_400_000).default(86_400_000),
  /** An operator action older than this when it reaches the ingest is refused (`expired`). */
  actionMaxAgeMs: z.number().int().min(1000).max(86_400_000).default(30_000),
  rules: rulesSchema.prefault({}),
});

export type AlertRules = z.output<typeof alertRulesSchema>;
export type AlertRulesInput = z.input<typeof alertRulesSchema>;
export type RuleConfig<R extends AlertRuleId> = AlertRules['rules'][R];

/** Validates rules data (fills defaults); throws one error listing every problem. */
export function parseAlertRules(raw: unknown, source = 'alert rules'): AlertRules {
  const parsed = alertRulesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid ${source}: ${formatIssues(parsed.error)}`);
  }
  return Object.freeze(parsed.data);
}

export function loadAlertRules(path: string = DEFAULT_ALERT_RULES_PATH): AlertRules {
  return parseAlertRules(readJson(path, 'alert rules'), `alert rules ${path}`);
}
