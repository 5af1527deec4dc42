// Readings as InfluxDB line protocol (precision µs, see influx-schema.ts pointTime). Hand-built
// with escaping rather than the client's Point class: a Point took 1.6x the time of a template
// line (docs/facts.md), and the lines are also what the spool keeps on disk. The measurement and tag
// part of a line repeats for every reading of a device, so it is built once and cached.
import type { Reading } from './types.ts';
import { StoreError } from './errors.ts';
import { COMMON_TAGS, measurementFor, pointTime, type FieldType, type MeasurementSpec } from './influx-schema.ts';

// Line protocol: tag keys/values and field keys escape comma, equals and space; string field
// values escape double quote and backslash. A newline would end the line (and could smuggle in a
// second point), so control characters become spaces; an empty tag value is left out (not allowed).
const TAG_SPECIAL = /[,= \\]/g;
const CONTROL = /[\u0000-\u001f\u007f]/g;

export function escapeTag(value: string): string {
  return value.replace(CONTROL, ' ').replace(TAG_SPECIAL, (c) => `\\${c}`);
}

export function escapeStringField(value: string): string {
  return `"${value.replace(CONTROL, ' ').replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function formatField(type: FieldType, value: number | boolean | string): string {
  switch (type) {
    case 'bool':
      return value === true ? 'true' : 'false';
    case 'int':
      // A non-integer here would be written as such and refused by the database (dead letter),
      // never silently rounded.
      return `${String(value)}i`;
    case 'string':
      return escapeStringField(String(value));
    case 'float':
      return String(value);
  }
}

function tagValue(r: Reading, parkId: string, tag: (typeof COMMON_TAGS)[number]): string | null {
  switch (tag) {
    case 'device':
      return r.device;
    case 'enterprise':
      return r.enterprise;
    case 'kind':
      return r.kind;
    case 'park':
      return parkId;
    case 'zone':
      return r.zone;
  }
}

/** Measurement and sorted, escaped tags: `meter,device=...,zone=mfg`. */
function seriesKey(spec: MeasurementSpec, r: Reading, parkId: string): string {
  const tags: [string, string][] = [];
  for (const t of COMMON_TAGS) {
    const v = tagValue(r, parkId, t);
    if (v) tags.push([t, v]);
  }
  for (const [tag, key] of spec.tags) {
    const v = r.values[key];
    if (v !== undefined && v !== '') tags.push([tag, String(v)]);
  }
  tags.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  let key = spec.measurement;
  for (const [k, v] of tags) key += `,${k}=${escapeTag(v)}`;
  return key;
}

const SERIES_CACHE_MAX = 100_000;
const seriesCache = new Map<string, string>();

export function readingToLine(r: Reading, parkId: string): string {
  const spec: MeasurementSpec | undefined = measurementFor(r.kind, r.channel);
  if (!spec) throw new StoreError('reading-unmapped', `no measurement for ${r.kind}/${r.channel}`);
  let cacheKey = `${parkId}\u0000${spec.measurement}\u0000${r.device}\u0000${r.enterprise ?? ''}\u0000${r.zone}`;
  for (const [, key] of spec.tags) cacheKey += `\u0000${String(r.values[key] ?? '')}`;
  let line = seriesCache.get(cacheKey);
  if (line === undefined) {
    line = seriesKey(spec, r, parkId);
    if (seriesCache.size >= SERIES_CACHE_MAX) seriesCache.clear();
    seriesCache.set(cacheKey, line);
  }
  line += ` seq=${r.seq}i,received_at=${Math.floor(r.receivedAt)}i`;
  for (const [field, key, type] of spec.fields) {
    let v = r.values[key];
    // Every status point carries `will`, so "not a will" is a stored false, not a missing field.
    if (v === undefined && type === 'bool') v = false;
    if (v === undefined) continue;
    line += `,${field}=${formatField(type, v)}`;
  }
  return `${line} ${pointTime(r.ts, r.seq)}`;
}
