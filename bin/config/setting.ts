// What one row of the settings table (settings.ts) is, the constructors that write a row in one
// line, and what is generated from the table: the flat list (for flags, env and docs) and the zod
// schema of the settings part of the config.
//
// A row's place in the table is its config key (`broker.limits.rate.perSecond`), named like the
// module option it feeds, so bin/services.ts hands whole sub-objects to the modules.
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

export interface Setting<S extends z.ZodType = z.ZodType> {
  readonly kind: 'setting';
  /** Command-line flag without the dashes. */
  flag: string;
  /** Environment variable. */
  env: string;
  /** One line for --help and docs/settings.md; units say what a number counts. */
  help: string;
  /** The value when neither flag nor env gives one; undefined: unset (or filled in by loadConfig, see `shownDefault`). */
  default: z.output<S> | undefined;
  /** How --help shows a default that is not a plain value (derived, or a path). */
  shownDefault?: string;
  /** Never echoed back (in errors, --help or docs). */
  secret?: boolean;
  /** A file or folder: resolved against the working folder; when unset, `under` the data folder (if given). */
  path?: { under?: string };
  /** The text of a flag or variable to its value; throws ConfigError naming `source`. */
  parse(raw: string, source: string): z.output<S>;
  /** The final value's schema (after defaults and path resolution). */
  schema: S;
}

export interface SettingsTree {
  readonly [key: string]: Setting | SettingsTree;
}

export const isSetting = (node: Setting | SettingsTree): node is Setting => (node as Setting).kind === 'setting';

interface Row {
  flag: string;
  env: string;
  help: string;
  secret?: boolean;
}

const range = (n: number, min: number, max: number, source: string): number => {
  if (n < min || n > max) throw new ConfigError('config-invalid', `${source}: ${n} is outside ${min}..${max}`);
  return n;
};

/** A whole number in min..max. */
export function int(row: Row & { default: number; min: number; max: number }): Setting<z.ZodNumber> {
  return {
    kind: 'setting', ...row,
    schema: z.number().int().min(row.min).max(row.max),
    parse(raw, source) {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError('config-invalid', `${source}: expected a whole number, got ${JSON.stringify(raw)}`);
      return range(Number(raw), row.min, row.max, source);
    },
  };
}

/** A decimal number in min..max. */
export function num(row: Row & { default: number; min: number; max: number }): Setting<z.ZodNumber> {
  return {
    kind: 'setting', ...row,
    schema: z.number().min(row.min).max(row.max),
    parse(raw, source) {
      if (!/^\s*\d+(\.\d+)?\s*$/.test(raw)) throw new ConfigError('config-invalid', `${source}: expected a number, got ${JSON.stringify(raw)}`);
      return range(Number(raw), row.min, row.max, source);
    },
  };
}

/** Text with a default. */
export function text(row: Row & { default: string; schema?: z.ZodString }): Setting<z.ZodString> {
  return { kind: 'setting', ...row, schema: row.schema ?? z.string(), parse: (raw) => raw };
}

/** Text that may stay unset. */
export function maybeText(row: Row & { schema?: z.ZodString }): Setting<z.ZodOptional<z.ZodString>> {
  return { kind: 'setting', ...row, default: undefined, schema: (row.schema ?? z.string()).optional(), parse: (raw) => raw };
}

/** One of a fixed set of words; `default` undefined: loadConfig fills it in (then say how in `shownDefault`). */
export function oneOf<const C extends readonly [string, ...string[]]>(row: Row & { choices: C; default: C[number] | undefined; shownDefault?: string }): Setting<z.ZodEnum<{ [K in C[number]]: K }>> {
  return {
    kind: 'setting', ...row,
    schema: z.enum(row.choices) as unknown as z.ZodEnum<{ [K in C[number]]: K }>,
    parse(raw, source) {
      if (!(row.choices as readonly string[]).includes(raw)) throw new ConfigError('config-invalid', `${source}: expected one of ${row.choices.join('|')}, got ${JSON.stringify(raw)}`);
      return raw as C[number];
    },
  };
}

/** A file or folder, absolute after loading: given ones against the working folder, else `under` the data folder. */
export function path(row: Row & { under: string }): Setting<z.ZodString> {
  return { kind: 'setting', ...row, default: undefined, shownDefault: `<data-dir>/${row.under}`, path: { under: row.under }, schema: z.string(), parse: (raw) => raw };
}

/** A file or folder that may stay unset. */
export function maybePath(row: Row): Setting<z.ZodOptional<z.ZodString>> {
  return { kind: 'setting', ...row, default: undefined, path: {}, schema: z.string().optional(), parse: (raw) => raw };
}

/** A file with a fixed default (a bundled file; `shownDefault` says which). */
export function file(row: Row & { default: string; shownDefault: string }): Setting<z.ZodString> {
  return { kind: 'setting', ...row, path: {}, schema: z.string(), parse: (raw) => raw };
}

/** Anything else: its own parser and schema. */
export function custom<S extends z.ZodType>(row: Row & { default: z.output<S> | undefined; shownDefault?: string; schema: S; parse(raw: string, source: string): z.output<S> }): Setting<S> {
  return { kind: 'setting', ...row };
}

/** Every row with its config key, in table order. */
export function flatten(tree: SettingsTree, prefix = ''): Array<{ key: string; setting: Setting }> {
  const out: Array<{ key: string; setting: Setting }> = [];
  for (const [name, node] of Object.entries(tree)) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    if (isSetting(node)) out.push({ key, setting: node });
    else out.push(...flatten(node, key));
  }
  return out;
}

export type ShapeOf<T extends SettingsTree> = {
  -readonly [K in keyof T]: T[K] extends Setting<infer S> ? S : T[K] extends SettingsTree ? z.ZodObject<ShapeOf<T[K]>> : never;
};

/** The zod schema of the settings, object by object as the table nests them. */
export function schemaOf<T extends SettingsTree>(tree: T): z.ZodObject<ShapeOf<T>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, node] of Object.entries(tree)) shape[name] = isSetting(node) ? node.schema : schemaOf(node);
  return z.object(shape) as unknown as z.ZodObject<ShapeOf<T>>;
}

/** What --help and the docs show as the default ('' when there is none; never a secret). */
export function shownDefault(s: Setting): string {
  if (s.secret) return '';
  if (s.shownDefault !== undefined) return s.shownDefault;
  if (s.default === undefined || s.default === null) return '';
  if (typeof s.default === 'object') return JSON.stringify(s.default);
  return String(s.default);
}
