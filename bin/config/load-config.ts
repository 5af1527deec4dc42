// Configuration: read once at the edge (the CLI entry) from flags and env, validated, typed, frozen,
// then passed down. Nothing below the entry file reads process.env. The settings come from the
// table (settings.ts), the command line's grammar from commands.ts; what is left here is what
// depends on more than one setting (paths under the data folder, the InfluxDB section, the device
// command's words).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ID_PATTERN, DEVICE_KINDS } from '../../shared/topics.ts';
import { ConfigError } from '../errors.ts';
import { COMMAND_NAMES, DEVICE_ACTIONS, isCommand, isToolCommand, positionals, type Command, type DeviceAction } from './commands.ts';
import { flatten, schemaOf } from './setting.ts';
import { SETTINGS } from './settings.ts';
import { formatIssues } from '../../shared/validation.ts';

const ROWS = flatten(SETTINGS);
const settingsSchema = schemaOf(SETTINGS);
const { url: _url, tokenFile: _tokenFile, ...influxShape } = settingsSchema.shape.influx.shape;

const configSchema = settingsSchema.extend({
  command: z.enum(COMMAND_NAMES),
  /** Words after the command (only for commands that take them). */
  args: z.array(z.string()),
  /** Positional arguments after the command (replay: recordings; scenario: the file), resolved. */
  files: z.array(z.string()),
  help: z.boolean(),
  secretsDir: z.string(),
  registryPath: z.string(),
  broker: settingsSchema.shape.broker.refine((b) => b.limits.admission.highWater === 0 || b.limits.admission.lowWater < b.limits.admission.highWater, {
    message: 'broker-bus-low-water must be below broker-bus-high-water',
    path: ['limits', 'admission', 'lowWater'],
  }),
  /** Absent when INFLUX_URL is not set (the embedded SQLite store is used); the token file is read by then. */
  influx: z.object({ ...influxShape, url: z.string().regex(/^https?:\/\/[^/\s]+/, 'must be an http:// or https:// URL'), deadLetterPath: z.string() }).nullable(),
  /** `device` command: what to do, to which device id, and the kind for `add`. */
  device: z.object({ action: z.enum(DEVICE_ACTIONS).optional(), id: z.string().optional(), kind: z.enum(DEVICE_KINDS).optional() }),
});

export type AppConfig = Readonly<z.output<typeof configSchema>>;

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}

function getPath(target: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], target);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export interface LoadConfigInput {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths; default the current directory. */
  cwd?: string;
}

/** Where a data folder keeps the device registry and the secrets (the layout `--data-dir` implies). */
export function dataDirLayout(dataDir: string): { registryPath: string; secretsDir: string } {
  return { registryPath: resolve(dataDir, 'registry.json'), secretsDir: resolve(dataDir, 'secrets') };
}

/** Parses flags and env into a frozen, validated config. Throws ConfigError with a clear message. */
export function loadConfig({ argv, env, cwd = process.cwd() }: LoadConfigInput): AppConfig {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const { setting } of ROWS) options[setting.flag] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError('config-invalid', `${(err as Error).message} (see --help)`);
  }
  const help = parsed.values.help === true;
  const words = parsed.positionals;
  const word = words[0] ?? 'all';
  if (!isCommand(word)) throw new ConfigError('config-invalid', `unknown command ${JSON.stringify(word)}; one of: ${COMMAND_NAMES.join(', ')}`);
  const command: Command = word;
  const args = words.slice(1);
  const takes = positionals(command);
  if (!takes && args.length > 0) throw new ConfigError('config-invalid', `expected one command, got ${words.join(' ')} (see --help)`);
  if (takes && !help && (args.length < takes.min || args.length > takes.max)) {
    throw new ConfigError('config-invalid', `${command} takes ${takes.what}, got ${args.length === 0 ? 'none' : args.join(' ')} (see --help)`);
  }

  const out: Record<string, unknown> = { command, help, args, files: args.map((a) => resolve(cwd, a)) };
  for (const { key, setting } of ROWS) {
    const flagValue = parsed.values[setting.flag];
    const envValue = env[setting.env];
    let value: unknown = setting.default;
    if (typeof flagValue === 'string') value = setting.parse(flagValue, `--${setting.flag}`);
    else if (envValue !== undefined && envValue !== '') value = setting.parse(envValue, setting.env);
    setPath(out, key, value);
  }
  const dataDir = resolve(cwd, out.dataDir as string);
  out.dataDir = dataDir;
  // Paths: given ones against the working folder; unset ones with a place under the data folder.
  for (const { key, setting } of ROWS) {
    if (!setting.path) continue;
    const value = getPath(out, key) as string | undefined;
    if (value !== undefined) setPath(out, key, resolve(cwd, value));
    else if (setting.path.under !== undefined) setPath(out, key, resolve(dataDir, setting.path.under));
  }
  Object.assign(out, dataDirLayout(dataDir));
  // A tool's faults and rejections are the point of the run, not news: only errors interrupt its progress.
  out.logLevel ??= isToolCommand(command) ? 'error' : 'info';
  const load = out.load as { devices: number };
  if (command === 'load' && load.devices === 0 && !help) {
    throw new ConfigError('config-invalid', 'load needs --load-devices N (the synthetic devices to drive; an external park must be started with the same N)');
  }
  const broker = out.broker as { port: number; tlsCert?: string; tlsKey?: string };
  out.mqttUrl ??= `mqtt://127.0.0.1:${broker.port}`;
  if ((broker.tlsCert === undefined) !== (broker.tlsKey === undefined)) throw new ConfigError('config-invalid', '--broker-tls-cert and --broker-tls-key go together: give both or neither');
  out.device = deviceArgs(command, args, (out.device as { kind?: string }).kind);
  out.influx = influxSection(out.influx as Record<string, unknown>, dataDir);

  const result = configSchema.safeParse(out);
  if (!result.success) {
    throw new ConfigError('config-invalid', formatIssues(result.error));
  }
  return deepFreeze(result.data);
}

function deviceArgs(command: Command, args: string[], kind: string | undefined): { action?: DeviceAction; id?: string; kind?: string } {
  if (command !== 'device') return kind === undefined ? {} : { kind };
  const [action, id] = args;
  if (!(DEVICE_ACTIONS as readonly string[]).includes(action ?? '')) throw new ConfigError('config-invalid', `device: expected one of ${DEVICE_ACTIONS.join('|')}, got ${JSON.stringify(action ?? '')}`);
  if (action === 'list') {
    if (id !== undefined) throw new ConfigError('config-invalid', 'device list takes no device id');
    return { action };
  }
  if (id === undefined || !ID_PATTERN.test(id)) throw new ConfigError('config-invalid', `device ${action}: expected a device id matching ${ID_PATTERN}, got ${JSON.stringify(id ?? '')}`);
  if (action === 'add' && !(DEVICE_KINDS as readonly string[]).includes(kind ?? '')) throw new ConfigError('config-invalid', `device add: --kind must be one of ${DEVICE_KINDS.join('|')}`);
  return { action: action as DeviceAction, id, ...(kind === undefined ? {} : { kind }) };
}

/** The InfluxDB part: null unless a URL is set; the token may come from a file (read here, once). */
function influxSection(raw: Record<string, unknown>, dataDir: string): Record<string, unknown> | null {
  const { tokenFile, ...influx } = raw;
  if (influx.url === undefined) return null;
  if (influx.token === undefined && typeof tokenFile === 'string') {
    try {
      influx.token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError('config-invalid', `INFLUX_TOKEN_FILE: cannot read ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (influx.token === '') throw new ConfigError('config-invalid', `INFLUX_TOKEN_FILE: ${tokenFile} is empty`);
  }
  influx.url = String(influx.url).replace(/\/+$/, '');
  influx.deadLetterPath = resolve(dataDir, 'influx-dead-letter.ndjson');
  return influx;
}
