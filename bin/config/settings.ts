// The settings table: every setting of ParkPulse, once. A row gives the flag, the environment
// variable, the type, the default and the help line; its place in the table is its config key,
// named like the option of the module it feeds (broker.limits.rate.perSecond is createBroker's
// limits.rate.perSecond). A default a module declares is taken from that module's DEFAULT_*
// object, never copied. Generated from this table: the zod schema (load-config.ts), `--help`
// (help.ts) and docs/settings.md (`npm run docs`); test/bin/settings.test.ts checks the README
// against it.
//
// Precedence: command-line flag > environment variable > default.
import { z } from 'zod';
import { DEFAULT_ADMISSION } from '../../broker/admission-gate.ts';
import { DEFAULT_BROKER_LIMITS, DEFAULT_BROKER_TIMING } from '../../broker/broker-limits.ts';
import { DEFAULT_ALERT_RULES_PATH } from '../../ingest/alerts/rules-config.ts';
import { DEFAULT_BATCHER } from '../../ingest/batcher.ts';
import { DEFAULT_INGEST } from '../../ingest/create-ingest.ts';
import { DEFAULT_MAX_FUTURE_MS } from '../../ingest/pipeline.ts';
import { DEFAULT_INFLUX_ENDPOINT } from '../../ingest/store/influx-endpoint.ts';
import { DEFAULT_SCREEN } from '../../screen/server/create-screen.ts';
import { isBrokerAddress } from '../../shared/broker-client.ts';
import { LOG_LEVELS } from '../../shared/logger.ts';
import { DEFAULT_PARK_MODEL_PATH } from '../../shared/park-model.ts';
import { DEVICE_KINDS } from '../../shared/topics.ts';
import { DEFAULT_BAD_INPUT } from '../../simulators/bad-input.ts';
import { DEFAULT_FLEET } from '../../simulators/fleet.ts';
import { DEFAULT_ALARM_RATES } from '../../simulators/profiles.ts';
import { ConfigError } from '../errors.ts';
import { custom, file, int, maybePath, maybeText, num, oneOf, path, text } from './setting.ts';

const port = { min: 0, max: 65535 } as const;
const L = DEFAULT_BROKER_LIMITS;

/** `k/N` (0 <= k < N, N in minN..maxN) to { index, count }. */
function shardSpec(raw: string, source: string, minN: number, maxN: number, example: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  if (!m || Number(m[2]) < minN || Number(m[2]) > maxN || Number(m[1]) >= Number(m[2])) {
    throw new ConfigError('config-invalid', `${source}: expected ${example}, got ${JSON.stringify(raw)}`);
  }
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** The items of a comma-separated setting, trimmed; refused when there are none. */
function commaList(raw: string, source: string, example: string): string[] {
  const list = raw.split(',').map((u) => u.trim()).filter((u) => u.length > 0);
  if (list.length === 0) throw new ConfigError('config-invalid', `${source}: give at least one ${example}`);
  return list;
}

/** An http(s) URL with no query and no credentials in it, or null. */
function plainHttpUrl(raw: string): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return /^https?:$/.test(url.protocol) && !url.search && !url.username ? url : null;
}

/** http(s)://host:port monitoring base URLs, comma-separated; a trailing slash is dropped. */
function parseMonitorUrls(raw: string, source: string): string[] {
  return commaList(raw, source, 'monitoring URL like http://nats-1:8222').map((u) => {
    const url = plainHttpUrl(u);
    if (!url) throw new ConfigError('config-invalid', `${source}: ${JSON.stringify(u)} is not a monitoring URL like http://nats-1:8222`);
    return url.href.replace(/\/$/, '');
  });
}

const shardSchema = z.object({ index: z.number().int().min(0), count: z.number().int().min(1) });

/** `self` or origins (scheme://host[:port]), comma-separated, normalised as browsers send them. */
function parseOrigins(raw: string, source: string): string[] {
  return commaList(raw, source, 'origin, or `self`').map((o) => {
    if (o === 'self') return o;
    const url = plainHttpUrl(o);
    if (!url || url.pathname !== '/') throw new ConfigError('config-invalid', `${source}: ${JSON.stringify(o)} is not an origin like https://wall.example:8443`);
    return url.origin;
  });
}

export const SETTINGS = {
  parkId: text({ flag: 'park-id', env: 'PARK_ID', default: 'dantu', schema: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/), help: 'park id, first topic level after park/' }),
  parkModelPath: file({ flag: 'park-model', env: 'PARK_MODEL', default: DEFAULT_PARK_MODEL_PATH, shownDefault: 'the bundled Dantu model', help: 'park model JSON' }),
  dataDir: text({ flag: 'data-dir', env: 'DATA_DIR', default: 'var', schema: z.string().min(1), help: 'folder for the store, registry and secrets' }),
  logLevel: oneOf({ flag: 'log-level', env: 'LOG_LEVEL', choices: LOG_LEVELS, default: undefined, shownDefault: 'info; error for the tool commands', help: 'fatal|error|warn|info|debug|trace|silent (the tool commands\' logs go to stderr beside their progress)' }),
  mqttUrl: custom({
    flag: 'mqtt-url', env: 'MQTT_URL', default: undefined, shownDefault: 'mqtt://127.0.0.1:<broker-port>',
    schema: z.string().refine(isBrokerAddress, 'must be an mqtt://, mqtts://, ws:// or wss:// URL, or a comma-separated list of them (one scheme)'),
    parse: (raw) => raw,
    help: 'broker URL for ingest, screen and sim, or a comma-separated list of a cluster\'s nodes (each client fails over to the next)',
  }),
  natsMonitorUrls: custom({
    flag: 'nats-monitor-url', env: 'NATS_MONITOR_URL', default: null, shownDefault: 'none (no watchdog)',
    schema: z.array(z.string()).min(1).nullable(),
    parse: parseMonitorUrls,
    help: 'NATS cluster: the nodes\' monitoring URLs (http://nats-1:8222,...), comma-separated. The ingest and the aggregator read their session\'s JetStream consumers there every 5 s and reconnect when one has held messages for 20 s with none delivered (docs/cluster.md)',
  }),
  natsConfigDir: path({ flag: 'nats-config-dir', env: 'NATS_CONFIG_DIR', under: 'nats', help: 'cluster-config: folder the NATS configuration is written to' }),
  broker: {
    host: text({ flag: 'broker-host', env: 'BROKER_HOST', default: '0.0.0.0', help: 'broker listen address' }),
    port: int({ flag: 'broker-port', env: 'BROKER_PORT', default: 1883, ...port, help: 'MQTT over TCP port' }),
    wsPort: int({ flag: 'broker-ws-port', env: 'BROKER_WS_PORT', default: 8083, ...port, help: 'MQTT over WebSocket port (path /mqtt)' }),
    tlsPort: int({ flag: 'broker-tls-port', env: 'BROKER_TLS_PORT', default: 8883, ...port, help: 'MQTT over TLS port (only with --broker-tls-cert and --broker-tls-key)' }),
    wssPort: int({ flag: 'broker-wss-port', env: 'BROKER_WSS_PORT', default: 8084, ...port, help: 'MQTT over secure WebSocket port, path /mqtt (only with cert and key)' }),
    tlsCert: maybePath({ flag: 'broker-tls-cert', env: 'BROKER_TLS_CERT', help: 'PEM certificate (chain) for the TLS and wss listeners; both listeners are off without it' }),
    tlsKey: maybePath({ flag: 'broker-tls-key', env: 'BROKER_TLS_KEY', help: 'PEM private key of --broker-tls-cert (keep it mode 0600)' }),
    httpPort: int({ flag: 'broker-http-port', env: 'BROKER_HTTP_PORT', default: 9101, ...port, help: 'broker /healthz, /readyz, /metrics (in `all`: of every service in the process)' }),
    connectTimeoutMs: int({ flag: 'broker-connect-timeout-ms', env: 'BROKER_CONNECT_TIMEOUT_MS', default: DEFAULT_BROKER_TIMING.connectTimeoutMs, min: 100, max: 600_000, help: 'ms a new connection has to send its CONNECT' }),
    drainTimeoutMs: int({ flag: 'broker-drain-timeout-ms', env: 'BROKER_DRAIN_TIMEOUT_MS', default: DEFAULT_BROKER_TIMING.drainTimeoutMs, min: 100, max: 600_000, help: 'ms a subscriber may leave its socket full before it is cut off (slow consumer)' }),
    limits: {
      maxConnections: int({ flag: 'broker-max-connections', env: 'BROKER_MAX_CONNECTIONS', default: L.maxConnections, min: 1, max: 1_000_000, help: 'open connections at most, all transports together' }),
      maxConnectBytes: int({ flag: 'broker-max-connect-bytes', env: 'BROKER_MAX_CONNECT_BYTES', default: L.maxConnectBytes, min: 256, max: 1_048_576, help: 'bytes a connection may send before its CONNECT is accepted' }),
      maxPacketBytes: int({ flag: 'broker-max-packet-bytes', env: 'BROKER_MAX_PACKET_BYTES', default: L.maxPacketBytes, min: 1024, max: 268_435_455, help: 'largest MQTT packet of an authenticated client, bytes' }),
      maxTopicBytes: int({ flag: 'broker-max-topic-bytes', env: 'BROKER_MAX_TOPIC_BYTES', default: L.maxTopicBytes, min: 32, max: 65_535, help: 'longest topic or filter, bytes of UTF-8' }),
      maxTopicLevels: int({ flag: 'broker-max-topic-levels', env: 'BROKER_MAX_TOPIC_LEVELS', default: L.maxTopicLevels, min: 5, max: 100, help: 'most levels in a topic or filter (park topics have 5)' }),
      rate: {
        perSecond: int({ flag: 'broker-rate-per-sec', env: 'BROKER_RATE_PER_SEC', default: L.rate.perSecond, min: 0, max: 1_000_000, help: 'messages per second one connection may publish, sustained (0 = no limit)' }),
        burst: int({ flag: 'broker-rate-burst', env: 'BROKER_RATE_BURST', default: L.rate.burst, min: 1, max: 1_000_000, help: 'messages one connection may publish at once above its rate' }),
      },
      flap: {
        maxConnects: int({ flag: 'broker-flap-max-connects', env: 'BROKER_FLAP_MAX_CONNECTS', default: L.flap.maxConnects, min: 0, max: 1_000_000, help: 'CONNECTs of one client id per flap window before it is banned (0 = no ban)' }),
        windowMs: int({ flag: 'broker-flap-window-ms', env: 'BROKER_FLAP_WINDOW_MS', default: L.flap.windowMs, min: 1000, max: 86_400_000, help: 'ms over which CONNECTs are counted for the flapping ban' }),
        banMs: int({ flag: 'broker-flap-ban-ms', env: 'BROKER_FLAP_BAN_MS', default: L.flap.banMs, min: 1000, max: 86_400_000, help: 'ms a flapping client id is refused' }),
      },
      admission: {
        highWater: int({ flag: 'broker-bus-high-water', env: 'BROKER_BUS_HIGH_WATER', default: DEFAULT_ADMISSION.highWater, min: 0, max: 10_000_000, help: 'messages queued in the broker at which device reads pause until it is down to the low water (0 = never pause)' }),
        lowWater: int({ flag: 'broker-bus-low-water', env: 'BROKER_BUS_LOW_WATER', default: DEFAULT_ADMISSION.lowWater, min: 0, max: 10_000_000, help: 'messages queued in the broker at which paused device reads resume' }),
      },
    },
    persistence: {
      kind: oneOf({ flag: 'broker-persistence', env: 'BROKER_PERSISTENCE', choices: ['memory', 'disk'], default: 'memory', help: 'where the broker keeps QoS 1 queues of offline sessions: memory (fast; lost on a crash) or disk (LevelDB; survives a crash, slower: see README)' }),
      dir: path({ flag: 'broker-persistence-dir', env: 'BROKER_PERSISTENCE_DIR', under: 'broker-queue', help: 'LevelDB folder of the disk persistence' }),
    },
    heapGrowthPercent: int({ flag: 'broker-heap-growth-percent', env: 'BROKER_HEAP_GROWTH_PERCENT', default: 30, min: 0, max: 400, help: 'a process running the broker: how far V8 lets the old generation grow past its live data before the next full GC, % (V8 alone allows up to 300), unless the event loop has been over 90% busy for 30 s (overloaded); then V8 sizes it itself until it is under 90% for 10 s. Keeps the broker\'s RSS near its live data for a few points of CPU (0 = V8 always; docs/facts.md)' }),
    ack: oneOf({ flag: 'broker-ack', env: 'BROKER_ACK', choices: ['ingest', 'receipt'], default: 'ingest', help: 'memory persistence: when a device\'s QoS 1 message is acknowledged: ingest = once the ingest has stored it (a PUBACK means durable in the store), receipt = on receipt (the broker alone; lost on a crash); the disk persistence acknowledges once on disk' }),
  },
  ingest: {
    shard: custom({
      flag: 'ingest-shard', env: 'INGEST_SHARD', default: null, shownDefault: 'one ingest for the whole park',
      schema: shardSchema.extend({ count: z.number().int().min(2) }).nullable(),
      parse: (raw, source) => shardSpec(raw, source, 2, 1024, 'k/N with N >= 2 and 0 <= k < N (e.g. 0/4)'),
      help: 'k/N: this ingest is shard k of the park\'s N ingest shards on a NATS cluster whose mappings hash devices into N shards',
    }),
    sqlitePath: path({ flag: 'sqlite-path', env: 'SQLITE_PATH', under: 'parkpulse.db', help: 'embedded store file' }),
    batchMaxRows: int({ flag: 'batch-max-rows', env: 'INGEST_BATCH_MAX_ROWS', default: DEFAULT_BATCHER.maxRows, min: 1, max: 1_000_000, help: 'rows per store transaction at most' }),
    flushIntervalMs: int({ flag: 'flush-interval-ms', env: 'INGEST_FLUSH_INTERVAL_MS', default: DEFAULT_BATCHER.flushIntervalMs, min: 1, max: 60_000, help: 'ms a reading waits at most before its batch is committed' }),
    httpHost: text({ flag: 'ingest-http-host', env: 'INGEST_HTTP_HOST', default: '0.0.0.0', help: 'listen address of the ingest health and metrics port' }),
    httpPort: int({ flag: 'ingest-http-port', env: 'INGEST_HTTP_PORT', default: 9102, ...port, help: 'ingest /healthz, /readyz, /metrics (`ingest` command; `all` serves them on --broker-http-port)' }),
    liveIntervalMs: int({ flag: 'live-interval-ms', env: 'LIVE_INTERVAL_MS', default: DEFAULT_INGEST.liveIntervalMs, min: 20, max: 60_000, help: 'ms between live-state deltas published for the screen, sent even when nothing changed (the ingest\'s heartbeat)' }),
    feed: oneOf({ flag: 'ingest-feed', env: 'INGEST_FEED', choices: ['bus', 'mqtt'], default: 'bus', help: '`all` with the memory persistence and --broker-ack ingest: bus = the ingest takes device messages from the broker\'s in-process bus (no session queue, no loopback hop; README "Data safety"); mqtt = through a persistent MQTT session, as a separate ingest does' }),
    maxFutureMs: int({ flag: 'max-future-ms', env: 'INGEST_MAX_FUTURE_MS', default: DEFAULT_MAX_FUTURE_MS, min: 0, max: 86_400_000, help: 'ms a device timestamp may be ahead of the ingest clock; a reading further ahead is rejected as ts-future' }),
  },
  alerts: {
    rulesPath: file({ flag: 'alert-rules', env: 'ALERT_RULES', default: DEFAULT_ALERT_RULES_PATH, shownDefault: 'the bundled shared/park/alert-rules.json', help: 'alert rules JSON' }),
    dbPath: path({ flag: 'alerts-db', env: 'ALERTS_DB', under: 'alerts.db', help: 'alert state and audit trail, SQLite (the screen reads it too)' }),
  },
  influx: {
    url: maybeText({ flag: 'influx-url', env: 'INFLUX_URL', help: 'InfluxDB base URL (http[s]://host:8086); when set, InfluxDB is the store instead of SQLite' }),
    token: maybeText({ flag: 'influx-token', env: 'INFLUX_TOKEN', secret: true, help: 'InfluxDB API token (2.x/3.x), or username:password (1.x); prefer INFLUX_TOKEN_FILE' }),
    tokenFile: maybePath({ flag: 'influx-token-file', env: 'INFLUX_TOKEN_FILE', help: 'file holding the InfluxDB token (read once at start; a token given directly wins)' }),
    org: text({ flag: 'influx-org', env: 'INFLUX_ORG', default: 'parkpulse', schema: z.string().min(1), help: 'InfluxDB organization (2.x; ignored by 1.x)' }),
    bucket: text({ flag: 'influx-bucket', env: 'INFLUX_BUCKET', default: 'parkpulse', schema: z.string().min(1), help: 'InfluxDB bucket (2.x/3.x); also the InfluxQL database unless INFLUX_DATABASE is set' }),
    database: maybeText({ flag: 'influx-database', env: 'INFLUX_DATABASE', schema: z.string().min(1), help: 'InfluxDB 1.x database; writes go to bucket <database>/<retention policy>' }),
    retentionPolicy: maybeText({ flag: 'influx-retention-policy', env: 'INFLUX_RETENTION_POLICY', schema: z.string().min(1), help: 'InfluxDB 1.x retention policy (default: the database default)' }),
    spoolDir: path({ flag: 'influx-spool-dir', env: 'INFLUX_SPOOL_DIR', under: 'influx-spool', help: 'on-disk spool for points InfluxDB cannot take yet' }),
    timeoutMs: int({ flag: 'influx-timeout-ms', env: 'INFLUX_TIMEOUT_MS', default: DEFAULT_INFLUX_ENDPOINT.timeoutMs, min: 100, max: 600_000, help: 'ms an InfluxDB request may take before it counts as failed (points are then spooled)' }),
  },
  screen: {
    host: text({ flag: 'screen-host', env: 'SCREEN_HOST', default: '0.0.0.0', help: 'screen HTTP listen address' }),
    port: int({ flag: 'screen-port', env: 'SCREEN_PORT', default: 8080, ...port, help: 'screen HTTP + WebSocket port' }),
    coalesceMs: int({ flag: 'coalesce-ms', env: 'SCREEN_COALESCE_MS', default: DEFAULT_SCREEN.coalesceMs, min: 50, max: 10_000, help: 'ms between WebSocket deltas to browsers (a few per second)' }),
    kpiFile: path({ flag: 'kpi-file', env: 'KPI_FILE', under: 'kpis.json', help: 'economic KPI set shown on the wall (the bundled H1 2024 figures while the file does not exist)' }),
    operatorsPath: path({ flag: 'operators', env: 'OPERATORS_FILE', under: 'operators.json', help: 'console operators with scrypt-hashed passwords' }),
    sessionIdleMinutes: int({ flag: 'session-idle-min', env: 'SESSION_IDLE_MIN', default: DEFAULT_SCREEN.sessionIdleMs / 60_000, min: 1, max: 1440, help: 'minutes of inactivity after which an operator is signed out (sessions end after 12 h regardless)' }),
    viewerTokenFile: path({ flag: 'viewer-token-file', env: 'SCREEN_VIEWER_TOKEN_FILE', under: 'secrets/viewer.token', help: 'file holding the token a wall screen needs for /ws (made by provision)' }),
    allowedOrigins: custom({
      flag: 'allowed-origins', env: 'SCREEN_ALLOWED_ORIGINS', default: ['self'], shownDefault: 'self',
      schema: z.array(z.string()).min(1),
      parse: parseOrigins,
      help: 'comma-separated origins allowed to open /ws and to send state-changing requests (console sign-in, ack, shelve), e.g. https://wall.example:8443; `self` = the Host the page came from',
    }),
    chimeReminderMs: int({ flag: 'chime-reminder-ms', env: 'SCREEN_CHIME_REMINDER_MS', default: DEFAULT_SCREEN.chimeReminderMs, min: 5000, max: 3_600_000, help: 'ms between the wall\'s chime reminders while any critical alert is unacknowledged (each new critical alert chimes once at once)' }),
    wsMaxMessageBytes: int({ flag: 'ws-max-message-bytes', env: 'SCREEN_WS_MAX_MESSAGE_BYTES', default: DEFAULT_SCREEN.wsMaxMessageBytes, min: 64, max: 1_048_576, help: 'largest WebSocket message a browser may send, bytes' }),
  },
  sim: {
    intervalMs: int({ flag: 'sim-interval-ms', env: 'SIM_INTERVAL_MS', default: DEFAULT_FLEET.intervalMs, min: 10, max: 3_600_000, help: 'ms between telemetry messages of one device' }),
    seed: int({ flag: 'sim-seed', env: 'SIM_SEED', default: DEFAULT_FLEET.seed, min: 0, max: 2 ** 31 - 1, help: 'random seed (same seed, same data)' }),
    alarms: {
      intrusionsPerNight: num({ flag: 'sim-intrusions-per-night', env: 'SIM_INTRUSIONS_PER_NIGHT', default: DEFAULT_ALARM_RATES.intrusionsPerNight, min: 0, max: 100_000, help: 'simulated intrusions per night (19:00-07:00, device time) across all cameras, whatever --sim-interval-ms; a storm is a scenario (simulators/scenarios/intrusion-storm.yaml)' }),
      tampersPerDay: num({ flag: 'sim-tampers-per-day', env: 'SIM_TAMPERS_PER_DAY', default: DEFAULT_ALARM_RATES.tampersPerDay, min: 0, max: 100_000, help: 'simulated camera tamper events per day across all cameras' }),
    },
    maxMessages: int({ flag: 'sim-max-messages', env: 'SIM_MAX_MESSAGES', default: DEFAULT_FLEET.maxMessages, min: 0, max: Number.MAX_SAFE_INTEGER, help: 'stop after this many telemetry messages in all (0 = run until stopped)' }),
  },
  tools: {
    target: oneOf({ flag: 'target', env: 'TOOL_TARGET', choices: ['embedded', 'external'], default: 'embedded', help: 'tool commands: embedded = start the park in this process first (like `all`); external = use the running park at --mqtt-url (same --data-dir, for its secrets)' }),
    durationS: int({ flag: 'duration', env: 'TOOL_DURATION_S', default: 0, min: 0, max: 7 * 24 * 3600, help: 'record: seconds to record (0 = until Ctrl-C); load: seconds the run lasts (0 = 60)' }),
    report: oneOf({ flag: 'report', env: 'TOOL_REPORT', choices: ['text', 'json'], default: 'text', help: 'tool commands: closing summary as text, or as one JSON line on stdout (progress stays on stderr)' }),
  },
  record: {
    out: path({ flag: 'out', env: 'RECORD_OUT', under: 'recordings/park.ndjson', help: 'record: NDJSON file; full segments are renamed beside it with their start time' }),
    rotateMb: int({ flag: 'rotate-mb', env: 'RECORD_ROTATE_MB', default: 64, min: 0, max: 1_000_000, help: 'record: start a new segment at this size, MiB (0 = never by size)' }),
    rotateMinutes: int({ flag: 'rotate-minutes', env: 'RECORD_ROTATE_MINUTES', default: 0, min: 0, max: 525_600, help: 'record: start a new segment after this many minutes (0 = never by time)' }),
  },
  replay: {
    speed: custom({
      flag: 'speed', env: 'REPLAY_SPEED', default: 1,
      schema: z.union([z.literal('max'), z.number().positive()]),
      parse(raw, source) {
        if (raw.trim() === 'max') return 'max' as const;
        const n = Number(raw);
        if (!/^\s*\d+(\.\d+)?\s*$/.test(raw) || !(n > 0) || n > 100_000) throw new ConfigError('config-invalid', `${source}: expected a speed factor > 0 (e.g. 1, 60) or max, got ${JSON.stringify(raw)}`);
        return n;
      },
      help: 'replay: 1 = as recorded, 60 = sixty times faster, max = as fast as the broker acknowledges',
    }),
    clock: oneOf({ flag: 'replay-clock', env: 'REPLAY_CLOCK', choices: ['recorded', 'scaled'], default: 'recorded', help: "replay: device timestamps keep the recording's spacing from now (recorded), or follow the replay's wall clock (scaled)" }),
  },
  load: {
    devices: int({ flag: 'load-devices', env: 'LOAD_DEVICES', default: 0, min: 0, max: 50_000, help: 'synthetic load meters ld-00001.. added to the park model (give every process of a load test the same N); `load` drives them' }),
    ramp: int({ flag: 'ramp', env: 'LOAD_RAMP', default: 200, min: 1, max: 100_000, help: 'load: new connections per second (per process)' }),
    rate: num({ flag: 'rate', env: 'LOAD_RATE', default: 1, min: 0.001, max: 100, help: 'load: messages per second per device (e.g. 0.5)' }),
    payloadBytes: custom({
      flag: 'payload-bytes', env: 'LOAD_PAYLOAD_BYTES', default: 0,
      schema: z.number().int().refine((n) => n === 0 || n >= 100, 'payload-bytes: 0 (natural size) or 100..4096'),
      parse: (raw, source) => int({ flag: '', env: '', help: '', default: 0, min: 0, max: 4096 }).parse(raw, source),
      help: 'load: payload size in bytes, 100..4096 (float precision, then JSON whitespace; 0 = natural ~110)',
    }),
    shard: custom({
      flag: 'shard', env: 'LOAD_SHARD', default: { index: 0, count: 1 }, shownDefault: '0/1',
      schema: shardSchema,
      parse: (raw, source) => shardSpec(raw, source, 1, Number.MAX_SAFE_INTEGER, 'i/n with 0 <= i < n (e.g. 0/4)'),
      help: 'load: i/n = this process drives load devices i, i+n, ... (n processes share one load test)',
    }),
  },
  badInput: {
    perKind: int({ flag: 'bad-count', env: 'BAD_INPUT_COUNT', default: DEFAULT_BAD_INPUT.perKind, min: 1, max: 10_000, help: 'bad-input: messages or connection attempts per kind' }),
  },
  device: {
    kind: custom({
      flag: 'kind', env: 'DEVICE_KIND', default: undefined,
      schema: z.enum(DEVICE_KINDS).optional(),
      // Checked against the kinds where it matters (`device add`), with the command's own message.
      parse: (raw) => raw as (typeof DEVICE_KINDS)[number],
      help: 'kind of the device `device add` creates: camera|node5g|meter',
    }),
  },
} as const;
