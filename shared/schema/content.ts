// Operator notices (多媒体信息发布) and the economic KPI set, retained under park/{p}/notices/
// (part of the schema module, shared/schema.ts).
import { z } from 'zod';

export const noticeSchema = z.object({
  id: z.string(),
  text: z.string().min(1).max(500),
  textEn: z.string().max(500).nullable(),
  level: z.enum(['info', 'important', 'urgent']),
  /** ms; the notice shows from `from` until `until` (null: until withdrawn). */
  from: z.number(),
  until: z.number().nullable(),
  by: z.string(),
  at: z.number(),
});
export type Notice = z.infer<typeof noticeSchema>;
export const noticesSchema = z.object({ at: z.number(), notices: z.array(noticeSchema) });

export const kpiFigureSchema = z.object({
  id: z.string(),
  label: z.string(),
  labelEn: z.string(),
  value: z.number(),
  unit: z.string(),
  unitEn: z.string(),
  /** Year-on-year change, %; null where the source gives none. */
  yoyPct: z.number().nullable(),
  /** Reporting period, e.g. "2024-01..06". */
  period: z.string(),
  source: z.string(),
});
export type KpiFigure = z.infer<typeof kpiFigureSchema>;

const spotlightFactSchema = z.union([
  z.object({ label: z.string(), labelEn: z.string(), value: z.number(), unit: z.string(), unitEn: z.string(), signed: z.boolean().optional() }),
  z.object({ label: z.string(), labelEn: z.string(), text: z.string(), textEn: z.string() }),
]);

const pipelineEntry = { count: z.number().int().min(0), label: z.string(), labelEn: z.string() };

/** Low-frequency official statistics (not telemetry): every figure with value, unit, YoY, period, source. */
export const kpiSetSchema = z.object({
  id: z.string(),
  title: z.string(),
  titleEn: z.string(),
  period: z.string(),
  source: z.object({ title: z.string(), authors: z.string(), note: z.string().optional() }),
  figures: z.array(kpiFigureSchema).min(1),
  innovation: z.array(kpiFigureSchema),
  pipeline: z.object({
    period: z.string(),
    signed: z.object({ ...pipelineEntry, over10yi: z.number().int() }),
    inTalks: z.object({ ...pipelineEntry, approx: z.boolean(), over10yi: z.number().int(), over30yi: z.number().int() }),
    key: z.object({ ...pipelineEntry, city: z.number().int(), cityContinued: z.number().int(), district: z.number().int() }),
    started: z.object({ ...pipelineEntry, names: z.array(z.string()), enterprises: z.array(z.string()) }),
  }),
  spotlights: z.array(z.object({ enterprise: z.string(), name: z.string(), nameEn: z.string(), facts: z.array(spotlightFactSchema) })),
  smartPark: z.array(z.string()),
});
export type KpiSet = z.infer<typeof kpiSetSchema>;
