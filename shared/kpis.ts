// The economic KPI set the wall shows beside the live park: the seed's H1 2024 figures by default,
// replaceable by an operator (API or file). Validated wherever it comes from.
import { kpiSetSchema, type KpiSet } from './schema.ts';
import { readJson } from './json-file.ts';
import { formatIssues } from './validation.ts';
import { projectPath } from './project-root.ts';

export const DEFAULT_KPI_PATH = projectPath('shared/park/kpis-dantu-2024h1.json');

export function parseKpiSet(raw: unknown, origin: string): KpiSet {
  const parsed = kpiSetSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`invalid KPI set (${origin}): ${formatIssues(parsed.error, 3)}`);
  }
  return parsed.data;
}

export function loadKpiSet(path: string = DEFAULT_KPI_PATH): KpiSet {
  return parseKpiSet(readJson(path, 'KPI file'), path);
}
