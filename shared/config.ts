// Configuration: read once at the edge (the CLI entry) from flags and env, validated, typed, frozen,
// then passed down. Nothing below the entry file reads process.env.
//
// Precedence: command-line flag > environment variable > default. Every option is listed by
// `parkpulse --help`, generated from the table below, so the docs cannot drift from the code.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../bin/errors.ts';
import { isBrokerAddress } from './broker-client.ts';
import { LOG_LEVELS } from './logger.ts';
import { DEVICE_KINDS, ID_PATTERN } from './topics.ts';

export const COMMANDS = {
  all: 'broker, ingest, screen and simulator in one process (default)',
  broker: 'the MQTT broker (TCP and WebSocket listeners)',
  ingest: 'validates device messages, writes the store, publishes live park state',
  screen: 'HTTP + WebSocket server for the big screen',
  sim: 'fleet simulator: every device of the park model as its own MQTT client',
  provision: 'create the device/service registry and secrets (idempotent); run by `all` automatically',
  record: 'record every device message of the park to NDJSON, rotated (--out, --rotate-mb, --duration)',
  replay: 'replay FILE|FOLDER... as the recorded devices (--speed 1|60|max), with a progress bar',
  scenario: 'run a fault scenario FILE (YAML/JSON, see simulators/scenarios/) against the simulated fleet',
  load: 'load test: --load-devices N synthetic meters, own connections, --ramp, --rate, --payload-bytes',
  'bad-input': 'send every kind of bad input and check that each is rejected and counted by reason',
  operator: 'console operators: `operator add|passwd <name>` (password from stdin or OPERATOR_PASSWORD), `operator remove <name>`, `operator list`',
  audit: '`audit verify`: check the hash chain of the alert audit trail (exit 1 if broken)',
  device: 'device accounts: `device add <id> --kind <kind>`, `device rotate <id>`, `device revoke <id>`, `device list`',
  aggregator: 'sharded park on a NATS cluster: merges the ingest shards\' live state and alerts into the park\'s live and alerts topics',
  'cluster-config': 'write the NATS cluster configuration FILE describes (accounts, users, permissions, shard mappings) to --nats-config-dir',
} as const;

/** What `parkpulse device <action>` does (see shared/device-accounts.ts). */
export const DEVICE_ACTIONS = ['add', 'rotate', 'revoke', 'list'] as const;
export type DeviceAction = (typeof DEVICE_ACTIONS)[number];
export type Command = keyof typeof COMMANDS;

/** Tool commands: they run a job and exit; `--target` says whether they start the park themselves. */
export const TOOL_COMMANDS: readonly Command[] = ['record', 'replay', 'scenario', 'load', 'bad-input'];

/** Positional arguments after the command: how many each command takes. */
const POSITIONALS: Partial<Record<Command, { min: number; max: number; what: string }>> = {
  replay: { min: 1, max: 1000, what: 'recording file(s) or folder(s)' },
  scenario: { min: 1, max: 1, what: 'one scenario file' },
  operator: { min: 1, max: 2, what: 'add|passwd|remove <name>, or list' },
  audit: { min: 1, max: 1, what: 'verify' },
  device: { min: 1, max: 2, what: 'add|rotate|revoke <id>, or list' },
  'cluster-config': { min: 1, max: 1, what: 'one cluster description file (JSON)' },
};

type Kind = 'string' | 'int' | 'number' | 'level' | 'speed';

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
  /** Allowed values of a string option. */
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
  { key: 'logLevel', flag: 'log-level', env: 'LOG_LEVEL', kind: 'level', default: undefined, doc: 'fatal|error|warn|info|debug|trace|silent (default info; error for the tool commands, whose logs go to stderr beside their progress)' },
  { key: 'broker.host', flag: 'broker-host', env: 'BROKER_HOST', kind: 'string', default: '0.0.0.0', doc: 'broker listen address' },
  { key: 'broker.port', flag: 'broker-port', env: 'BROKER_PORT', kind: 'int', default: 1883, doc: 'MQTT over TCP port', ...port },
  { key: 'broker.wsPort', flag: 'broker-ws-port', env: 'BROKER_WS_PORT', kind: 'int', default: 8083, doc: 'MQTT over WebSocket port (path /mqtt)', ...port },
  { key: 'broker.tlsPort', flag: 'broker-tls-port', env: 'BROKER_TLS_PORT', kind: 'int', default: 8883, doc: 'MQTT over TLS port (only with --broker-tls-cert and --broker-tls-key)', ...port },
  { key: 'broker.wssPort', flag: 'broker-wss-port', env: 'BROKER_WSS_PORT', kind: 'int', default: 8084, doc: 'MQTT over secure WebSocket port, path /mqtt (only with cert and key)', ...port },
  { key: 'broker.tlsCert', flag: 'broker-tls-cert', env: 'BROKER_TLS_CERT', kind: 'string', default: undefined, doc: 'PEM certificate (chain) for the TLS and wss listeners; both listeners are off without it' },
  { key: 'broker.tlsKey', flag: 'broker-tls-key', env: 'BROKER_TLS_KEY', kind: 'string', default: undefined, doc: 'PEM private key of --broker-tls-cert (keep it mode 0600)' },
  { key: 'broker.httpPort', flag: 'broker-http-port', env: 'BROKER_HTTP_PORT', kind: 'int', default: 9101, doc: 'broker /healthz, /readyz, /metrics (in `all`: of every service in the process)', ...port },
  { key: 'broker.connectTimeoutMs', flag: 'broker-connect-timeout-ms', env: 'BROKER_CONNECT_TIMEOUT_MS', kind: 'int', default: 10_000, doc: 'ms a new connection has to send its CONNECT', min: 100, max: 600_000 },
  { key: 'broker.drainTimeoutMs', flag: 'broker-drain-timeout-ms', env: 'BROKER_DRAIN_TIMEOUT_MS', kind: 'int', default: 10_000, doc: 'ms a subscriber may leave its socket full before it is cut off (slow consumer)', min: 100, max: 600_000 },
  { key: 'broker.maxConnections', flag: 'broker-max-connections', env: 'BROKER_MAX_CONNECTIONS', kind: 'int', default: 5000, doc: 'open connections at most, all transports together', min: 1, max: 1_000_000 },
  { key: 'broker.maxConnectBytes', flag: 'broker-max-connect-bytes', env: 'BROKER_MAX_CONNECT_BYTES', kind: 'int', default: 8192, doc: 'bytes a connection may send before its CONNECT is accepted', min: 256, max: 1_048_576 },
  { key: 'broker.maxPacketBytes', flag: 'broker-max-packet-bytes', env: 'BROKER_MAX_PACKET_BYTES', kind: 'int', default: 1_048_576, doc: 'largest MQTT packet of an authenticated client, bytes', min: 1024, max: 268_435_455 },
  { key: 'broker.maxTopicBytes', flag: 'broker-max-topic-bytes', env: 'BROKER_MAX_TOPIC_BYTES', kind: 'int', default: 256, doc: 'longest topic or filter, bytes of UTF-8', min: 32, max: 65_535 },
  { key: 'broker.maxTopicLevels', flag: 'broker-max-topic-levels', env: 'BROKER_MAX_TOPIC_LEVELS', kind: 'int', default: 10, doc: 'most levels in a topic or filter (park topics have 5)', min: 5, max: 100 },
  { key: 'broker.ratePerSec', flag: 'broker-rate-per-sec', env: 'BROKER_RATE_PER_SEC', kind: 'int', default: 200, doc: 'messages per second one connection may publish, sustained (0 = no limit)', min: 0, max: 1_000_000 },
  { key: 'broker.rateBurst', flag: 'broker-rate-burst', env: 'BROKER_RATE_BURST', kind: 'int', default: 400, doc: 'messages one connection may publish at once above its rate', min: 1, max: 1_000_000 },
  { key: 'broker.flapMaxConnects', flag: 'broker-flap-max-connects', env: 'BROKER_FLAP_MAX_CONNECTS', kind: 'int', default: 15, doc: 'CONNECTs of one client id per flap window before it is banned (0 = no ban)', min: 0, max: 1_000_000 },
  { key: 'broker.flapWindowMs', flag: 'broker-flap-window-ms', env: 'BROKER_FLAP_WINDOW_MS', kind: 'int', default: 60_000, doc: 'ms over which CONNECTs are counted for the flapping ban', min: 1000, max: 86_400_000 },
  { key: 'broker.flapBanMs', flag: 'broker-flap-ban-ms', env: 'BROKER_FLAP_BAN_MS', kind: 'int', default: 300_000, doc: 'ms a flapping client id is refused', min: 1000, max: 86_400_000 },
  { key: 'broker.busHighWater', flag: 'broker-bus-high-water', env: 'BROKER_BUS_HIGH_WATER', kind: 'int', default: 5000, doc: 'messages queued in the broker at which device reads pause until it is down to the low water (0 = never pause)', min: 0, max: 10_000_000 },
  { key: 'broker.busLowWater', flag: 'broker-bus-low-water', env: 'BROKER_BUS_LOW_WATER', kind: 'int', default: 1000, doc: 'messages queued in the broker at which paused device reads resume', min: 0, max: 10_000_000 },
  { key: 'broker.persistence', flag: 'broker-persistence', env: 'BROKER_PERSISTENCE', kind: 'string', choices: ['memory', 'disk'], default: 'memory', doc: 'where the broker keeps QoS 1 queues of offline sessions: memory (fast; lost on a crash) or disk (LevelDB; survives a crash, slower: see README)' },
  { key: 'broker.ack', flag: 'broker-ack', env: 'BROKER_ACK', kind: 'string', choices: ['ingest', 'receipt'], default: 'ingest', doc: 'memory persistence: when a device\'s QoS 1 message is acknowledged: ingest = once the ingest has stored it (a PUBACK means durable in the store), receipt = on receipt (the broker alone; lost on a crash). The disk persistence acknowledges once on disk' },
  { key: 'broker.persistenceDir', flag: 'broker-persistence-dir', env: 'BROKER_PERSISTENCE_DIR', kind: 'string', default: undefined, doc: 'LevelDB folder of the disk persistence (default <data-dir>/broker-queue)' },
  { key: 'mqttUrl', flag: 'mqtt-url', env: 'MQTT_URL', kind: 'string', default: undefined, doc: 'broker URL for ingest, screen and sim, or a comma-separated list of a cluster\'s nodes (each client fails over to the next) (default mqtt://127.0.0.1:<broker-port>)' },
  { key: 'ingest.shard', flag: 'ingest-shard', env: 'INGEST_SHARD', kind: 'string', default: undefined, doc: 'k/N: this ingest is shard k of the park\'s N ingest shards on a NATS cluster whose mappings hash devices into N shards (default: one ingest for the whole park)' },
  { key: 'natsConfigDir', flag: 'nats-config-dir', env: 'NATS_CONFIG_DIR', kind: 'string', default: undefined, doc: 'cluster-config: folder the NATS configuration is written to (default <data-dir>/nats)' },
  { key: 'ingest.sqlitePath', flag: 'sqlite-path', env: 'SQLITE_PATH', kind: 'string', default: undefined, doc: 'embedded store file (default <data-dir>/parkpulse.db)' },
  { key: 'ingest.batchMaxRows', flag: 'batch-max-rows', env: 'INGEST_BATCH_MAX_ROWS', kind: 'int', default: 5000, doc: 'rows per store transaction at most', min: 1, max: 1_000_000 },
  { key: 'ingest.flushIntervalMs', flag: 'flush-interval-ms', env: 'INGEST_FLUSH_INTERVAL_MS', kind: 'int', default: 50, doc: 'ms a reading waits at most before its batch is committed', min: 1, max: 60_000 },
  { key: 'alerts.rulesPath', flag: 'alert-rules', env: 'ALERT_RULES', kind: 'string', default: undefined, doc: 'alert rules JSON (default: the bundled shared/park/alert-rules.json)' },
  { key: 'alerts.dbPath', flag: 'alerts-db', env: 'ALERTS_DB', kind: 'string', default: undefined, doc: 'alert state and audit trail, SQLite (default <data-dir>/alerts.db; the screen reads it too)' },
  { key: 'ingest.httpHost', flag: 'ingest-http-host', env: 'INGEST_HTTP_HOST', kind: 'string', default: '0.0.0.0', doc: 'listen address of the ingest health and metrics port' },
  { key: 'ingest.httpPort', flag: 'ingest-http-port', env: 'INGEST_HTTP_PORT', kind: 'int', default: 9102, doc: 'ingest /healthz, /readyz, /metrics (`ingest` command; `all` serves them on --broker-http-port)', ...port },
  { key: 'ingest.liveIntervalMs', flag: 'live-interval-ms', env: 'LIVE_INTERVAL_MS', kind: 'int', default: 250, doc: 'ms between live-state deltas published for the screen, sent even when nothing changed (the ingest\'s heartbeat)', min: 20, max: 60_000 },
  { key: 'ingest.maxFutureMs', flag: 'max-future-ms', env: 'INGEST_MAX_FUTURE_MS', kind: 'int', default: 300_000, doc: 'ms a device timestamp may be ahead of the ingest clock; a reading further ahead is rejected as ts-future', min: 0, max: 86_400_000 },
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
  { key: 'screen.operatorsPath', flag: 'operators', env: 'OPERATORS_FILE', kind: 'string', default: undefined, doc: 'console operators with scrypt-hashed passwords (default <data-dir>/operators.json)' },
  { key: 'screen.sessionIdleMinutes', flag: 'session-idle-min', env: 'SESSION_IDLE_MIN', kind: 'int', default: 30, doc: 'minutes of inactivity after which an operator is signed out (sessions end after 12 h regardless)', min: 1, max: 1440 },
  { key: 'screen.viewerTokenFile', flag: 'viewer-token-file', env: 'SCREEN_VIEWER_TOKEN_FILE', kind: 'string', default: undefined, doc: 'file holding the token a wall screen needs for /ws (default <data-dir>/secrets/viewer.token, made by provision)' },
  { key: 'screen.allowedOrigins', flag: 'allowed-origins', env: 'SCREEN_ALLOWED_ORIGINS', kind: 'string', default: 'self', doc: 'comma-separated origins allowed to open /ws and to send state-changing requests (console sign-in, ack, shelve), e.g. https://wall.example:8443; `self` = the Host the page came from' },
  { key: 'screen.chimeReminderMs', flag: 'chime-reminder-ms', env: 'SCREEN_CHIME_REMINDER_MS', kind: 'int', default: 60_000, doc: 'ms between the wall\'s chime reminders while any critical alert is unacknowledged (each new critical alert chimes once at once)', min: 5000, max: 3_600_000 },
  { key: 'screen.wsMaxMessageBytes', flag: 'ws-max-message-bytes', env: 'SCREEN_WS_MAX_MESSAGE_BYTES', kind: 'int', default: 4096, doc: 'largest WebSocket message a browser may send, bytes', min: 64, max: 1_048_576 },
  { key: 'sim.intervalMs', flag: 'sim-interval-ms', env: 'SIM_INTERVAL_MS', kind: 'int', default: 2000, doc: 'ms between telemetry messages of one device', min: 10, max: 3_600_000 },
  { key: 'sim.seed', flag: 'sim-seed', env: 'SIM_SEED', kind: 'int', default: 20240630, doc: 'random seed (same seed, same data)', min: 0, max: 2 ** 31 - 1 },
  { key: 'sim.intrusionsPerNight', flag: 'sim-intrusions-per-night', env: 'SIM_INTRUSIONS_PER_NIGHT', kind: 'number', default: 3, doc: 'simulated intrusions per night (19:00-07:00, device time) across all cameras, whatever --sim-interval-ms; a storm is a scenario (simulators/scenarios/intrusion-storm.yaml)', min: 0, max: 100_000 },
  { key: 'sim.tampersPerDay', flag: 'sim-tampers-per-day', env: 'SIM_TAMPERS_PER_DAY', kind: 'number', default: 1, doc: 'simulated camera tamper events per day across all cameras', min: 0, max: 100_000 },
  { key: 'sim.maxMessages', flag: 'sim-max-messages', env: 'SIM_MAX_MESSAGES', kind: 'int', default: 0, doc: 'stop after this many telemetry messages in all (0 = run until stopped)', min: 0, max: Number.MAX_SAFE_INTEGER },
  { key: 'tools.target', flag: 'target', env: 'TOOL_TARGET', kind: 'string', default: 'embedded', choices: ['embedded', 'external'], doc: 'tool commands: embedded = start the park in this process first (like `all`); external = use the running park at --mqtt-url (same --data-dir, for its secrets)' },
  { key: 'tools.durationS', flag: 'duration', env: 'TOOL_DURATION_S', kind: 'int', default: 0, doc: 'record: seconds to record (0 = until Ctrl-C); load: seconds the run lasts (0 = 60)', min: 0, max: 7 * 24 * 3600 },
  { key: 'tools.report', flag: 'report', env: 'TOOL_REPORT', kind: 'string', default: 'text', choices: ['text', 'json'], doc: 'tool commands: closing summary as text, or as one JSON line on stdout (progress stays on stderr)' },
  { key: 'record.out', flag: 'out', env: 'RECORD_OUT', kind: 'string', default: undefined, doc: 'record: NDJSON file (default <data-dir>/recordings/park.ndjson); full segments are renamed beside it with their start time' },
  { key: 'record.rotateMb', flag: 'rotate-mb', env: 'RECORD_ROTATE_MB', kind: 'int', default: 64, doc: 'record: start a new segment at this size, MiB (0 = never by size)', min: 0, max: 1_000_000 },
  { key: 'record.rotateMinutes', flag: 'rotate-minutes', env: 'RECORD_ROTATE_MINUTES', kind: 'int', default: 0, doc: 'record: start a new segment after this many minutes (0 = never by time)', min: 0, max: 525_600 },
  { key: 'replay.speed', flag: 'speed', env: 'REPLAY_SPEED', kind: 'speed', default: 1, doc: 'replay: 1 = as recorded, 60 = sixty times faster, max = as fast as the broker acknowledges' },
  { key: 'replay.clock', flag: 'replay-clock', env: 'REPLAY_CLOCK', kind: 'string', default: 'recorded', choices: ['recorded', 'scaled'], doc: "replay: device timestamps keep the recording's spacing from now (recorded), or follow the replay's wall clock (scaled)" },
  { key: 'load.devices', flag: 'load-devices', env: 'LOAD_DEVICES', kind: 'int', default: 0, doc: 'synthetic load meters ld-00001.. added to the park model (give every process of a load test the same N); `load` drives them', min: 0, max: 50_000 },
  { key: 'load.ramp', flag: 'ramp', env: 'LOAD_RAMP', kind: 'int', default: 200, doc: 'load: new connections per second (per process)', min: 1, max: 100_000 },
  { key: 'load.rate', flag: 'rate', env: 'LOAD_RATE', kind: 'number', default: 1, doc: 'load: messages per second per device (e.g. 0.5)', min: 0.001, max: 100 },
  { key: 'load.payloadBytes', flag: 'payload-bytes', env: 'LOAD_PAYLOAD_BYTES', kind: 'int', default: 0, doc: 'load: payload size in bytes, 100..4096 (float precision, then JSON whitespace; 0 = natural ~110)', min: 0, max: 4096 },
  { key: 'load.shard', flag: 'shard', env: 'LOAD_SHARD', kind: 'string', default: '0/1', doc: 'load: i/n = this process drives load devices i, i+n, ... (n processes share one load test)' },
  { key: 'badInput.perKind', flag: 'bad-count', env: 'BAD_INPUT_COUNT', kind: 'int', default: 5, doc: 'bad-input: messages or connection attempts per kind', min: 1, max: 10_000 },
  { key: 'device.kind', flag: 'kind', env: 'DEVICE_KIND', kind: 'string', default: undefined, doc: 'kind of the device `device add` creates: camera|node5g|meter' },
];

const configSchema = z.object({
  command: z.enum(Object.keys(COMMANDS) as [Command, ...Command[]]),
  /** Words after the command (only for commands that take them). */
  args: z.array(z.string()),
  parkId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  parkModelPath: z.string().optional(),
  dataDir: z.string().min(1),
  logLevel: z.enum(LOG_LEVELS),
  broker: z.object({
    host: z.string(),
    port: z.number().int(),
    wsPort: z.number().int(),
    tlsPort: z.number().int(),
    wssPort: z.number().int(),
    /** Both set (TLS and wss listeners on) or both absent. */
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    httpPort: z.number().int(),
    connectTimeoutMs: z.number().int(),
    drainTimeoutMs: z.number().int(),
    maxConnections: z.number().int(),
    maxConnectBytes: z.number().int(),
    maxPacketBytes: z.number().int(),
    maxTopicBytes: z.number().int(),
    maxTopicLevels: z.number().int(),
    ratePerSec: z.number().int(),
    rateBurst: z.number().int(),
    flapMaxConnects: z.number().int(),
    flapWindowMs: z.number().int(),
    flapBanMs: z.number().int(),
    busHighWater: z.number().int(),
    busLowWater: z.number().int(),
    persistence: z.enum(['memory', 'disk']),
    ack: z.enum(['ingest', 'receipt']),
    persistenceDir: z.string(),
  }).refine((b) => b.busHighWater === 0 || b.busLowWater < b.busHighWater, { message: 'broker-bus-low-water must be below broker-bus-high-water', path: ['busLowWater'] }),
  mqttUrl: z.string().refine(isBrokerAddress, 'must be an mqtt://, mqtts://, ws:// or wss:// URL, or a comma-separated list of them (one scheme)'),
  natsConfigDir: z.string(),
  ingest: z.object({
    sqlitePath: z.string(),
    batchMaxRows: z.number().int(),
    flushIntervalMs: z.number().int(),
    liveIntervalMs: z.number().int(),
    maxFutureMs: z.number().int(),
    httpHost: z.string(),
    httpPort: z.number().int(),
    /** Shard k of N (a sharded park on a NATS cluster); null: one ingest for the park. */
    shard: z.object({ index: z.number().int().min(0), count: z.number().int().min(2) }).nullable(),
  }),
  alerts: z.object({ rulesPath: z.string().optional(), dbPath: z.string() }),
  screen: z.object({
    host: z.string(),
    port: z.number().int(),
    coalesceMs: z.number().int(),
    kpiFile: z.string(),
    operatorsPath: z.string(),
    sessionIdleMinutes: z.number().int(),
    viewerTokenFile: z.string(),
    /** Origins allowed to open /ws; `self` = same origin as the request's Host. */
    allowedOrigins: z.array(z.string()).min(1),
    wsMaxMessageBytes: z.number().int(),
    chimeReminderMs: z.number().int(),
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
  sim: z.object({ intervalMs: z.number().int(), seed: z.number().int(), maxMessages: z.number().int(), intrusionsPerNight: z.number().min(0), tampersPerDay: z.number().min(0) }),
  tools: z.object({ target: z.enum(['embedded', 'external']), durationS: z.number().int(), report: z.enum(['text', 'json']) }),
  record: z.object({ out: z.string(), rotateMb: z.number().int(), rotateMinutes: z.number().int() }),
  replay: z.object({ speed: z.union([z.literal('max'), z.number().positive()]), clock: z.enum(['recorded', 'scaled']) }),
  load: z.object({
    devices: z.number().int(),
    ramp: z.number().int(),
    rate: z.number().positive(),
    payloadBytes: z.number().int().refine((n) => n === 0 || n >= 100, 'payload-bytes: 0 (natural size) or 100..4096'),
    shard: z.object({ index: z.number().int(), count: z.number().int() }),
  }),
  badInput: z.object({ perKind: z.number().int() }),
  /** Positional arguments after the command (replay: recordings; scenario: the file), resolved. */
  files: z.array(z.string()),
  /** `device` command: what to do, to which device id, and the kind for `add`. */
  device: z.object({ action: z.enum(DEVICE_ACTIONS).optional(), id: z.string().optional(), kind: z.enum(DEVICE_KINDS).optional() }),
  secretsDir: z.string(),
  registryPath: z.string(),
  help: z.boolean(),
});

export type AppConfig = Readonly<z.infer<typeof configSchema>>;

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}

function coerce(spec: OptionSpec, raw: string, source: string): string | number {
  if (spec.kind === 'speed') {
    if (raw.trim() === 'max') return 'max';
    const n = Number(raw);
    if (!/^\s*\d+(\.\d+)?\s*$/.test(raw) || !(n > 0) || n > 100_000) throw new ConfigError('config-invalid', `${source}: expected a speed factor > 0 (e.g. 1, 60) or max, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (spec.kind === 'number') {
    const n = Number(raw);
    if (!/^\s*\d+(\.\d+)?\s*$/.test(raw)) throw new ConfigError('config-invalid', `${source}: expected a number, got ${JSON.stringify(raw)}`);
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      throw new ConfigError('config-invalid', `${source}: ${n} is outside ${spec.min ?? '-inf'}..${spec.max ?? 'inf'}`);
    }
    return n;
  }
  if (spec.choices && !spec.choices.includes(raw)) throw new ConfigError('config-invalid', `${source}: expected one of ${spec.choices.join('|')}, got ${JSON.stringify(raw)}`);
  if (spec.kind === 'int') {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError('config-invalid', `${source}: expected a whole number, got ${JSON.stringify(raw)}`);
    const n = Number(raw);
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      throw new ConfigError('config-invalid', `${source}: ${n} is outside ${spec.min ?? '-inf'}..${spec.max ?? 'inf'}`);
    }
    return n;
  }
  if (spec.kind === 'level' && !(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError('config-invalid', `${source}: expected one of ${LOG_LEVELS.join('|')}, got ${JSON.stringify(raw)}`);
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
    throw new ConfigError('config-invalid', `${(err as Error).message} (see --help)`);
  }
  const positionals = parsed.positionals;
  const command = (positionals[0] ?? 'all') as Command;
  if (!(command in COMMANDS)) throw new ConfigError('config-invalid', `unknown command ${JSON.stringify(command)}; one of: ${Object.keys(COMMANDS).join(', ')}`);
  const args = positionals.slice(1);
  const takes = POSITIONALS[command];
  if (!takes && args.length > 0) throw new ConfigError('config-invalid', `expected one command, got ${positionals.join(' ')} (see --help)`);
  if (takes && parsed.values.help !== true && (args.length < takes.min || args.length > takes.max)) {
    throw new ConfigError('config-invalid', `${command} takes ${takes.what}, got ${args.length === 0 ? 'none' : args.join(' ')} (see --help)`);
  }

  const out: Record<string, unknown> = { command, help: parsed.values.help === true, args, files: args.map((a) => resolve(cwd, a)) };
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
  ingest.shard = shardArg(ingest.shard as string | undefined);
  out.natsConfigDir = out.natsConfigDir === undefined ? resolve(dataDir, 'nats') : resolve(cwd, out.natsConfigDir as string);
  const alerts = out.alerts as Record<string, unknown>;
  alerts.dbPath = alerts.dbPath === undefined ? resolve(dataDir, 'alerts.db') : resolve(cwd, alerts.dbPath as string);
  if (typeof alerts.rulesPath === 'string') alerts.rulesPath = resolve(cwd, alerts.rulesPath);
  const screen = out.screen as Record<string, unknown>;
  screen.kpiFile = screen.kpiFile === undefined ? resolve(dataDir, 'kpis.json') : resolve(cwd, screen.kpiFile as string);
  screen.operatorsPath = screen.operatorsPath === undefined ? resolve(dataDir, 'operators.json') : resolve(cwd, screen.operatorsPath as string);
  // A tool's faults and rejections are the point of the run, not news: only errors interrupt its progress.
  out.logLevel ??= TOOL_COMMANDS.includes(command) ? 'error' : 'info';
  const record = out.record as Record<string, unknown>;
  record.out = record.out === undefined ? resolve(dataDir, 'recordings', 'park.ndjson') : resolve(cwd, record.out as string);
  const load = out.load as Record<string, unknown>;
  const shard = /^(\d+)\/(\d+)$/.exec(String(load.shard));
  if (!shard || Number(shard[2]) < 1 || Number(shard[1]) >= Number(shard[2])) {
    throw new ConfigError('config-invalid', `--shard: expected i/n with 0 <= i < n (e.g. 0/4), got ${JSON.stringify(load.shard)}`);
  }
  load.shard = { index: Number(shard[1]), count: Number(shard[2]) };
  if (command === 'load' && load.devices === 0 && parsed.values.help !== true) {
    throw new ConfigError('config-invalid', 'load needs --load-devices N (the synthetic devices to drive; an external park must be started with the same N)');
  }
  const broker = out.broker as { port: number; tlsCert?: string; tlsKey?: string; persistenceDir?: string };
  out.mqttUrl ??= `mqtt://127.0.0.1:${broker.port}`;
  if ((broker.tlsCert === undefined) !== (broker.tlsKey === undefined)) throw new ConfigError('config-invalid', '--broker-tls-cert and --broker-tls-key go together: give both or neither');
  if (broker.tlsCert !== undefined) broker.tlsCert = resolve(cwd, broker.tlsCert);
  if (broker.tlsKey !== undefined) broker.tlsKey = resolve(cwd, broker.tlsKey);
  screen.viewerTokenFile = resolve(cwd, (screen.viewerTokenFile as string | undefined) ?? resolve(out.secretsDir as string, 'viewer.token'));
  screen.allowedOrigins = parseOrigins(screen.allowedOrigins as string);
  out.device = deviceArgs(command as Command, args, (out.device as { kind?: string }).kind);
  broker.persistenceDir = broker.persistenceDir === undefined ? resolve(dataDir, 'broker-queue') : resolve(cwd, broker.persistenceDir);
  out.influx = influxSection(out.influx as Record<string, unknown>, dataDir, cwd);

  const result = configSchema.safeParse(out);
  if (!result.success) {
    throw new ConfigError('config-invalid', result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return deepFreeze(result.data);
}

/** `--ingest-shard k/N`: null when not given (one ingest for the park). */
function shardArg(raw: string | undefined): { index: number; count: number } | null {
  if (raw === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  if (!m || Number(m[2]) < 2 || Number(m[2]) > 1024 || Number(m[1]) >= Number(m[2])) {
    throw new ConfigError('config-invalid', `--ingest-shard: expected k/N with N >= 2 and 0 <= k < N (e.g. 0/4), got ${JSON.stringify(raw)}`);
  }
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** `self` or origins (scheme://host[:port]), comma-separated, normalised as browsers send them. */
function parseOrigins(raw: string): string[] {
  const list = raw.split(',').map((o) => o.trim()).filter((o) => o.length > 0);
  if (list.length === 0) throw new ConfigError('config-invalid', 'SCREEN_ALLOWED_ORIGINS: give at least one origin, or `self`');
  return list.map((o) => {
    if (o === 'self') return o;
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new ConfigError('config-invalid', `SCREEN_ALLOWED_ORIGINS: ${JSON.stringify(o)} is not an origin like https://wall.example:8443`);
    }
    if (!/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.username) {
      throw new ConfigError('config-invalid', `SCREEN_ALLOWED_ORIGINS: ${JSON.stringify(o)} is not an origin like https://wall.example:8443`);
    }
    return url.origin;
  });
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
function influxSection(raw: Record<string, unknown>, dataDir: string, cwd: string): Record<string, unknown> | null {
  const { tokenFile, ...influx } = raw;
  if (influx.url === undefined) return null;
  if (influx.token === undefined && typeof tokenFile === 'string') {
    try {
      influx.token = readFileSync(resolve(cwd, tokenFile), 'utf8').trim();
    } catch (err) {
      throw new ConfigError('config-invalid', `INFLUX_TOKEN_FILE: cannot read ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (influx.token === '') throw new ConfigError('config-invalid', `INFLUX_TOKEN_FILE: ${tokenFile} is empty`);
  }
  influx.url = String(influx.url).replace(/\/+$/, '');
  influx.spoolDir = influx.spoolDir === undefined ? resolve(dataDir, 'influx-spool') : resolve(cwd, influx.spoolDir as string);
  influx.deadLetterPath = resolve(dataDir, 'influx-dead-letter.ndjson');
  return influx;
}

/** The text of `--help`, generated from COMMANDS and OPTIONS. */
export function helpText(program = 'parkpulse'): string {
  const lines = [
    `Usage: ${program} [command] [args] [options]        (npm start -- [command] [args] [options])`,
    `       ${program} device add|rotate|revoke <id> [--kind camera|node5g|meter]   |   ${program} device list`,
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, doc]) => `  ${name.padEnd(10)} ${doc}`),
    '',
    'Examples:',
    '  npm start -- record --out var/recordings/park.ndjson --duration 3600',
    '  npm start -- replay var/recordings --speed 60 --data-dir var/replay',
    '  npm start -- scenario simulators/scenarios/night-intrusion.yaml',
    '  npm start -- load --load-devices 2000 --ramp 200 --rate 1 --payload-bytes 200 --duration 60',
    '  npm start -- bad-input',
    '',
    'Options (flag, environment variable, default):',
  ];
  for (const spec of OPTIONS) {
    lines.push(`  --${spec.flag.padEnd(27)} ${spec.env.padEnd(28)} ${spec.default === undefined ? '' : `[${spec.default}]`}`);
    lines.push(`      ${spec.doc}${spec.secret ? ' (secret: never logged)' : ''}`);
  }
  lines.push('  -h, --help                    show this help');
  return lines.join('\n');
}
