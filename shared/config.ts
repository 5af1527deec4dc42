// Configuration: read once at the edge (the CLI entry) from flags and env, validated, typed, frozen,
// then passed down. Nothing below the entry file reads process.env.
//
// Precedence: command-line flag > environment variable > default. Every option is listed by
// `parkpulse --help`, generated from the table below, so the docs cannot drift from the code.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS } from './logger.ts';

export const COMMANDS = {
  all: 'broker, ingest, screen and simulator in one process (default)',
  broker: 'the MQTT broker (TCP and WebSocket listeners)',
  ingest: 'validates device messages, writes the store, publishes live park state',
  screen: 'HTTP + WebSocket server for the big screen',
  sim: 'fleet simulator: every device of the park model as its own MQTT client',
  provision: 'create the device/service registry and secrets (idempotent); run by `all` automatically',
} as const;
export type Command = keyof typeof COMMANDS;

type Kind = 'string' | 'int' | 'level' | 'choice';

interface OptionSpec {
  /** Dotted path in the config object. */
  key: string;
  flag: string;
  env: string;
  kind: Kind;
  default: string | number | undefined;
  doc: string;
  min?: number;
  max?: number;
  /** Allowed values of a `choice` option. */
  choices?: readonly string[];
  /** Never echoed back (in errors or --help defaults). */
  secret?: boolean;
}

const port = { min: 0, max: 65535 } as const;

/** The option table: one row per setting. Units are in the doc text. */
export const OPTIONS: readonly OptionSpec[] = [
  { key: 'parkId', flag: 'park-id', env: 'PARK_ID', kind: 'string', default: 'dantu', doc: 'park id, first topic level after park/' },
  { key: 'parkModelPath', flag: 'park-model', env: 'PARK_MODEL', kind: 'string', default: undefined, doc: 'park model JSON (default: the bundled Dantu model)' },
  { key: 'dataDir', flag: 'data-dir', env: 'DATA_DIR', kind: 'string', default: 'var', doc: 'folder for the store, registry and secrets' },
  { key: 'logLevel', flag: 'log-level', env: 'LOG_LEVEL', kind: 'level', default: 'info', doc: 'fatal|error|warn|info|debug|trace|silent' },
  { key: 'broker.host', flag: 'broker-host', env: 'BROKER_HOST', kind: 'string', default: '0.0.0.0', doc: 'broker listen address' },
  { key: 'broker.port', flag: 'broker-port', env: 'BROKER_PORT', kind: 'int', default: 1883, doc: 'MQTT over TCP port', ...port },
  { key: 'broker.wsPort', flag: 'broker-ws-port', env: 'BROKER_WS_PORT', kind: 'int', default: 8083, doc: 'MQTT over WebSocket port (path /mqtt)', ...port },
  { key: 'broker.persistence', flag: 'broker-persistence', env: 'BROKER_PERSISTENCE', kind: 'choice', choices: ['memory', 'disk'], default: 'memory', doc: 'where the broker keeps QoS 1 queues of offline sessions: memory (fast; lost on a crash) or disk (LevelDB; survives a crash, slower: see README)' },
  { key: 'broker.persistenceDir', flag: 'broker-persistence-dir', env: 'BROKER_PERSISTENCE_DIR', kind: 'string', default: undefined, doc: 'LevelDB folder of the disk persistence (default <data-dir>/broker-queue)' },
  { key: 'mqttUrl', flag: 'mqtt-url', env: 'MQTT_URL', kind: 'string', default: undefined, doc: 'broker URL for ingest, screen and sim (default mqtt://127.0.0.1:<broker-port>)' },
  { key: 'ingest.sqlitePath', flag: 'sqlite-path', env: 'SQLITE_PATH', kind: 'string', default: undefined, doc: 'embedded store file (default <data-dir>/parkpulse.db)' },
  { key: 'ingest.batchMaxRows', flag: 'batch-max-rows', env: 'INGEST_BATCH_MAX_ROWS', kind: 'int', default: 5000, doc: 'rows per store transaction at most', min: 1, max: 1_000_000 },
  { key: 'ingest.flushIntervalMs', flag: 'flush-interval-ms', env: 'INGEST_FLUSH_INTERVAL_MS', kind: 'int', default: 50, doc: 'ms a reading waits at most before its batch is committed', min: 1, max: 60_000 },
  { key: 'ingest.liveIntervalMs', flag: 'live-interval-ms', env: 'LIVE_INTERVAL_MS', kind: 'int', default: 250, doc: 'ms between live-state deltas published for the screen', min: 20, max: 60_000 },
  { key: 'influx.url', flag: 'influx-url', env: 'INFLUX_URL', kind: 'string', default: undefined, doc: 'InfluxDB base URL (http[s]://host:8086); when set, InfluxDB is the store instead of SQLite' },
  { key: 'influx.token', flag: 'influx-token', env: 'INFLUX_TOKEN', kind: 'string', secret: true, default: undefined, doc: 'InfluxDB API token (2.x/3.x), or username:password (1.x); prefer INFLUX_TOKEN_FILE' },
  { key: 'influx.tokenFile', flag: 'influx-token-file', env: 'INFLUX_TOKEN_FILE', kind: 'string', default: undefined, doc: 'file holding the InfluxDB token (read once at start; a token given directly wins)' },
  { key: 'influx.org', flag: 'influx-org', env: 'INFLUX_ORG', kind: 'string', default: 'parkpulse', doc: 'InfluxDB organization (2.x; ignored by 1.x)' },
  { key: 'influx.bucket', flag: 'influx-bucket', env: 'INFLUX_BUCKET', kind: 'string', default: 'parkpulse', doc: 'InfluxDB bucket (2.x/3.x); also the InfluxQL database unless INFLUX_DATABASE is set' },
  { key: 'influx.database', flag: 'influx-database', env: 'INFLUX_DATABASE', kind: 'string', default: undefined, doc: 'InfluxDB 1.x database; writes go to bucket <database>/<retention policy>' },
  { key: 'influx.retentionPolicy', flag: 'influx-retention-policy', env: 'INFLUX_RETENTION_POLICY', kind: 'string', default: undefined, doc: 'InfluxDB 1.x retention policy (default: the database default)' },
  { key: 'influx.spoolDir', flag: 'influx-spool-dir', env: 'INFLUX_SPOOL_DIR', kind: 'string', default: undefined, doc: 'on-disk spool for points InfluxDB cannot take yet (default <data-dir>/influx-spool)' },
  { key: 'influx.timeoutMs', flag: 'influx-timeout-ms', env: 'INFLUX_TIMEOUT_MS', kind: 'int', default: 10_000, doc: 'ms an InfluxDB request may take before it counts as failed (points are then spooled)', min: 100, max: 600_000 },
  { key: 'screen.host', flag: 'screen-host', env: 'SCREEN_HOST', kind: 'string', default: '0.0.0.0', doc: 'screen HTTP listen address' },
  { key: 'screen.port', flag: 'screen-port', env: 'SCREEN_PORT', kind: 'int', default: 8080, doc: 'screen HTTP + WebSocket port', ...port },
  { key: 'screen.coalesceMs', flag: 'coalesce-ms', env: 'SCREEN_COALESCE_MS', kind: 'int', default: 250, doc: 'ms between WebSocket deltas to browsers (a few per second)', min: 50, max: 10_000 },
  { key: 'screen.kpiFile', flag: 'kpi-file', env: 'KPI_FILE', kind: 'string', default: undefined, doc: 'economic KPI set shown on the wall (default <data-dir>/kpis.json when present, else the bundled H1 2024 figures)' },
  { key: 'sim.intervalMs', flag: 'sim-interval-ms', env: 'SIM_INTERVAL_MS', kind: 'int', default: 2000, doc: 'ms between telemetry messages of one device', min: 10, max: 3_600_000 },
  { key: 'sim.seed', flag: 'sim-seed', env: 'SIM_SEED', kind: 'int', default: 20240630, doc: 'random seed (same seed, same data)', min: 0, max: 2 ** 31 - 1 },
  { key: 'sim.maxMessages', flag: 'sim-max-messages', env: 'SIM_MAX_MESSAGES', kind: 'int', default: 0, doc: 'stop after this many telemetry messages in all (0 = run until stopped)', min: 0, max: Number.MAX_SAFE_INTEGER },
];

const configSchema = z.object({
  command: z.enum(Object.keys(COMMANDS) as [Command, ...Command[]]),
  parkId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  parkModelPath: z.string().optional(),
  dataDir: z.string().min(1),
  logLevel: z.enum(LOG_LEVELS),
  broker: z.object({
    host: z.string(),
    port: z.number().int(),
    wsPort: z.number().int(),
    persistence: z.enum(['memory', 'disk']),
    persistenceDir: z.string(),
  }),
  mqttUrl: z.string().regex(/^(mqtts?|wss?):\/\/.+/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
  ingest: z.object({
    sqlitePath: z.string(),
    batchMaxRows: z.number().int(),
    flushIntervalMs: z.number().int(),
    liveIntervalMs: z.number().int(),
  }),
  /** Absent when INFLUX_URL is not set (the embedded SQLite store is used). */
  influx: z
    .object({
      url: z.string().regex(/^https?:\/\/[^/\s]+/, 'must be an http:// or https:// URL'),
      token: z.string().optional(),
      org: z.string().min(1),
      bucket: z.string().min(1),
      database: z.string().min(1).optional(),
      retentionPolicy: z.string().min(1).optional(),
      spoolDir: z.string(),
      deadLetterPath: z.string(),
      timeoutMs: z.number().int(),
    })
    .nullable(),
  screen: z.object({ host: z.string(), port: z.number().int(), coalesceMs: z.number().int(), kpiFile: z.string() }),
  sim: z.object({ intervalMs: z.number().int(), seed: z.number().int(), maxMessages: z.number().int() }),
  secretsDir: z.string(),
  registryPath: z.string(),
  help: z.boolean(),
});

export type AppConfig = Readonly<z.infer<typeof configSchema>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}

function coerce(spec: OptionSpec, raw: string, source: string): string | number {
  if (spec.kind === 'int') {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${source}: expected a whole number, got ${JSON.stringify(raw)}`);
    const n = Number(raw);
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      throw new ConfigError(`${source}: ${n} is outside ${spec.min ?? '-inf'}..${spec.max ?? 'inf'}`);
    }
    return n;
  }
  if (spec.kind === 'level' && !(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(`${source}: expected one of ${LOG_LEVELS.join('|')}, got ${JSON.stringify(raw)}`);
  }
  if (spec.kind === 'choice' && !spec.choices!.includes(raw)) {
    throw new ConfigError(`${source}: expected one of ${spec.choices!.join('|')}, got ${JSON.stringify(raw)}`);
  }
  return raw;
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

/** Parses flags and env into a frozen, validated config. Throws ConfigError with a clear message. */
export function loadConfig({ argv, env, cwd = process.cwd() }: LoadConfigInput): AppConfig {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const spec of OPTIONS) options[spec.flag] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see --help)`);
  }
  const positionals = parsed.positionals;
  if (positionals.length > 1) throw new ConfigError(`expected one command, got ${positionals.join(' ')} (see --help)`);
  const command = positionals[0] ?? 'all';
  if (!(command in COMMANDS)) throw new ConfigError(`unknown command ${JSON.stringify(command)}; one of: ${Object.keys(COMMANDS).join(', ')}`);

  const out: Record<string, unknown> = { command, help: parsed.values.help === true };
  for (const spec of OPTIONS) {
    const flagValue = parsed.values[spec.flag];
    const envValue = env[spec.env];
    let value: string | number | undefined = spec.default;
    if (typeof flagValue === 'string') value = coerce(spec, flagValue, `--${spec.flag}`);
    else if (envValue !== undefined && envValue !== '') value = coerce(spec, envValue, spec.env);
    setPath(out, spec.key, value);
  }
  const dataDir = resolve(cwd, out.dataDir as string);
  out.dataDir = dataDir;
  out.secretsDir = resolve(dataDir, 'secrets');
  out.registryPath = resolve(dataDir, 'registry.json');
  if (typeof out.parkModelPath === 'string') out.parkModelPath = resolve(cwd, out.parkModelPath);
  const ingest = out.ingest as Record<string, unknown>;
  ingest.sqlitePath = ingest.sqlitePath === undefined ? resolve(dataDir, 'parkpulse.db') : resolve(cwd, ingest.sqlitePath as string);
  const screen = out.screen as Record<string, unknown>;
  screen.kpiFile = screen.kpiFile === undefined ? resolve(dataDir, 'kpis.json') : resolve(cwd, screen.kpiFile as string);
  const broker = out.broker as { port: number; persistenceDir?: string };
  out.mqttUrl ??= `mqtt://127.0.0.1:${broker.port}`;
  broker.persistenceDir = broker.persistenceDir === undefined ? resolve(dataDir, 'broker-queue') : resolve(cwd, broker.persistenceDir);
  out.influx = influxSection(out.influx as Record<string, unknown>, dataDir, cwd);

  const result = configSchema.safeParse(out);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return deepFreeze(result.data);
}

/** The InfluxDB part: null unless a URL is set; the token may come from a file (read here, once). */
function influxSection(raw: Record<string, unknown>, dataDir: string, cwd: string): Record<string, unknown> | null {
  const { tokenFile, ...influx } = raw;
  if (influx.url === undefined) return null;
  if (influx.token === undefined && typeof tokenFile === 'string') {
    try {
      influx.token = readFileSync(resolve(cwd, tokenFile), 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`INFLUX_TOKEN_FILE: cannot read ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (influx.token === '') throw new ConfigError(`INFLUX_TOKEN_FILE: ${tokenFile} is empty`);
  }
  influx.url = String(influx.url).replace(/\/+$/, '');
  influx.spoolDir = influx.spoolDir === undefined ? resolve(dataDir, 'influx-spool') : resolve(cwd, influx.spoolDir as string);
  influx.deadLetterPath = resolve(dataDir, 'influx-dead-letter.ndjson');
  return influx;
}

/** The text of `--help`, generated from COMMANDS and OPTIONS. */
export function helpText(program = 'parkpulse'): string {
  const lines = [
    `Usage: ${program} [command] [options]        (npm start -- [command] [options])`,
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, doc]) => `  ${name.padEnd(10)} ${doc}`),
    '',
    'Options (flag, environment variable, default):',
  ];
  for (const spec of OPTIONS) {
    lines.push(`  --${spec.flag.padEnd(24)} ${spec.env.padEnd(26)} ${spec.default === undefined ? '' : `[${spec.default}]`}`);
    lines.push(`      ${spec.doc}${spec.secret ? ' (secret: never logged)' : ''}`);
  }
  lines.push('  -h, --help                    show this help');
  return lines.join('\n');
}
