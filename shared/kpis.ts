// The economic KPI set the wall shows beside the live park: the seed's H1 2024 figures by default,
// replaceable by an operator (API or file). Validated wherever it comes from.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kpiSetSchema, type KpiSet } from './schema.ts';

export const DEFAULT_KPI_PATH = fileURLToPath(new URL('./park/kpis-dantu-2024h1.json', import.meta.url));

export function parseKpiSet(raw: unknown, origin: string): KpiSet {
  const parsed = kpiSetSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid KPI set (${origin}): ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function loadKpiSet(path: string = DEFAULT_KPI_PATH): KpiSet {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read KPI file ${path}: ${(err as Error).message}`);
  }
  return parseKpiSet(raw, path);
}
