// Configuration: read once at the edge (the CLI entry) from flags and env, validated, typed, frozen,
// then passed down. Nothing below the entry file reads process.env.
//
// Precedence: command-line flag > environment variable > default. Every option is listed by
// `parkpulse --help`, generated from the table below, so the docs cannot drift from the code.
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
  operator: 'console operators: `operator add|passwd <name>` (password from stdin or OPERATOR_PASSWORD), `operator remove <name>`, `operator list`',
  audit: '`audit verify`: check the hash chain of the alert audit trail (exit 1 if broken)',
} as const;
/** Commands that take words after them (`operator add 张三`). */
const COMMANDS_WITH_ARGS: readonly Command[] = ['operator', 'audit'];
export type Command = keyof typeof COMMANDS;

type Kind = 'string' | 'int' | 'level';

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
  { key: 'mqttUrl', flag: 'mqtt-url', env: 'MQTT_URL', kind: 'string', default: undefined, doc: 'broker URL for ingest, screen and sim (default mqtt://127.0.0.1:<broker-port>)' },
  { key: 'ingest.sqlitePath', flag: 'sqlite-path', env: 'SQLITE_PATH', kind: 'string', default: undefined, doc: 'embedded store file (default <data-dir>/parkpulse.db)' },
  { key: 'ingest.batchMaxRows', flag: 'batch-max-rows', env: 'INGEST_BATCH_MAX_ROWS', kind: 'int', default: 5000, doc: 'rows per store transaction at most', min: 1, max: 1_000_000 },
  { key: 'ingest.flushIntervalMs', flag: 'flush-interval-ms', env: 'INGEST_FLUSH_INTERVAL_MS', kind: 'int', default: 50, doc: 'ms a reading waits at most before its batch is committed', min: 1, max: 60_000 },
  { key: 'alerts.rulesPath', flag: 'alert-rules', env: 'ALERT_RULES', kind: 'string', default: undefined, doc: 'alert rules JSON (default: the bundled shared/park/alert-rules.json)' },
  { key: 'alerts.dbPath', flag: 'alerts-db', env: 'ALERTS_DB', kind: 'string', default: undefined, doc: 'alert state and audit trail, SQLite (default <data-dir>/alerts.db; the screen reads it too)' },
  { key: 'ingest.liveIntervalMs', flag: 'live-interval-ms', env: 'LIVE_INTERVAL_MS', kind: 'int', default: 250, doc: 'ms between live-state deltas published for the screen', min: 20, max: 60_000 },
  { key: 'screen.host', flag: 'screen-host', env: 'SCREEN_HOST', kind: 'string', default: '0.0.0.0', doc: 'screen HTTP listen address' },
  { key: 'screen.port', flag: 'screen-port', env: 'SCREEN_PORT', kind: 'int', default: 8080, doc: 'screen HTTP + WebSocket port', ...port },
  { key: 'screen.coalesceMs', flag: 'coalesce-ms', env: 'SCREEN_COALESCE_MS', kind: 'int', default: 250, doc: 'ms between WebSocket deltas to browsers (a few per second)', min: 50, max: 10_000 },
  { key: 'screen.kpiFile', flag: 'kpi-file', env: 'KPI_FILE', kind: 'string', default: undefined, doc: 'economic KPI set shown on the wall (default <data-dir>/kpis.json when present, else the bundled H1 2024 figures)' },
  { key: 'screen.operatorsPath', flag: 'operators', env: 'OPERATORS_FILE', kind: 'string', default: undefined, doc: 'console operators with scrypt-hashed passwords (default <data-dir>/operators.json)' },
  { key: 'screen.allowedOrigins', flag: 'allowed-origins', env: 'SCREEN_ALLOWED_ORIGINS', kind: 'string', default: '', doc: 'origins besides the screen itself allowed to send state-changing requests, comma-separated (e.g. https://wall.example.com behind a proxy)' },
  { key: 'screen.sessionIdleMinutes', flag: 'session-idle-min', env: 'SESSION_IDLE_MIN', kind: 'int', default: 30, doc: 'minutes of inactivity after which an operator is signed out (sessions end after 12 h regardless)', min: 1, max: 1440 },
  { key: 'sim.intervalMs', flag: 'sim-interval-ms', env: 'SIM_INTERVAL_MS', kind: 'int', default: 2000, doc: 'ms between telemetry messages of one device', min: 10, max: 3_600_000 },
  { key: 'sim.seed', flag: 'sim-seed', env: 'SIM_SEED', kind: 'int', default: 20240630, doc: 'random seed (same seed, same data)', min: 0, max: 2 ** 31 - 1 },
  { key: 'sim.maxMessages', flag: 'sim-max-messages', env: 'SIM_MAX_MESSAGES', kind: 'int', default: 0, doc: 'stop after this many telemetry messages in all (0 = run until stopped)', min: 0, max: Number.MAX_SAFE_INTEGER },
];

const configSchema = z.object({
  command: z.enum(Object.keys(COMMANDS) as [Command, ...Command[]]),
  /** Words after the command (only for commands that take them). */
  args: z.array(z.string()),
  parkId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  parkModelPath: z.string().optional(),
  dataDir: z.string().min(1),
  logLevel: z.enum(LOG_LEVELS),
  broker: z.object({ host: z.string(), port: z.number().int(), wsPort: z.number().int() }),
  mqttUrl: z.string().regex(/^(mqtts?|wss?):\/\/.+/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
  ingest: z.object({
    sqlitePath: z.string(),
    batchMaxRows: z.number().int(),
    flushIntervalMs: z.number().int(),
    liveIntervalMs: z.number().int(),
  }),
  alerts: z.object({ rulesPath: z.string().optional(), dbPath: z.string() }),
  screen: z.object({
    host: z.string(),
    port: z.number().int(),
    coalesceMs: z.number().int(),
    kpiFile: z.string(),
    operatorsPath: z.string(),
    allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'origins look like https://host[:port]')),
    sessionIdleMinutes: z.number().int(),
  }),
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
  const command = positionals[0] ?? 'all';
  if (!(command in COMMANDS)) throw new ConfigError(`unknown command ${JSON.stringify(command)}; one of: ${Object.keys(COMMANDS).join(', ')}`);
  if (positionals.length > 1 && !COMMANDS_WITH_ARGS.includes(command as Command)) throw new ConfigError(`expected one command, got ${positionals.join(' ')} (see --help)`);

  const out: Record<string, unknown> = { command, args: positionals.slice(1), help: parsed.values.help === true };
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
  const alerts = out.alerts as Record<string, unknown>;
  alerts.dbPath = alerts.dbPath === undefined ? resolve(dataDir, 'alerts.db') : resolve(cwd, alerts.dbPath as string);
  if (typeof alerts.rulesPath === 'string') alerts.rulesPath = resolve(cwd, alerts.rulesPath);
  const screen = out.screen as Record<string, unknown>;
  screen.kpiFile = screen.kpiFile === undefined ? resolve(dataDir, 'kpis.json') : resolve(cwd, screen.kpiFile as string);
  screen.operatorsPath = screen.operatorsPath === undefined ? resolve(dataDir, 'operators.json') : resolve(cwd, screen.operatorsPath as string);
  screen.allowedOrigins = String(screen.allowedOrigins).split(',').map((o) => o.trim().replace(/\/$/, '')).filter((o) => o !== '');
  const broker = out.broker as { port: number };
  out.mqttUrl ??= `mqtt://127.0.0.1:${broker.port}`;

  const result = configSchema.safeParse(out);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return deepFreeze(result.data);
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
    lines.push(`  --${spec.flag.padEnd(20)} ${spec.env.padEnd(26)} ${spec.default === undefined ? '' : `[${spec.default}]`}`);
    lines.push(`      ${spec.doc}`);
  }
  lines.push('  -h, --help                show this help');
  return lines.join('\n');
}
