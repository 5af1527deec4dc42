// Starts the real park for a test the way the CLI does: an AppConfig from the same loader
// (bin/config) given flags, then bin/services.ts's startBroker/startIngest/startScreen, so a test
// park has the production wiring and defaults (PUBACK once stored, `--broker-ack ingest`). On top:
// ports 0 on 127.0.0.1, a temporary data folder, cheap scrypt, short intervals, and the options a
// test gives. Everything is closed (and the folder removed) by `stop()`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker } from '../broker/create-broker.ts';
import { loadConfig, type AppConfig } from '../bin/config/load-config.ts';
import { busFeedOf, startBroker, startIngest, startScreen, type BrokerOverrides, type IngestOverrides, type Ops, type RunningBroker, type ScreenOverrides } from '../bin/services.ts';
import { parseAlertRules, type AlertRulesInput } from '../ingest/alerts/rules-config.ts';
import type { Ingest } from '../ingest/create-ingest.ts';
import { createSqliteStore } from '../ingest/store/sqlite-store.ts';
import type { TelemetryStore } from '../ingest/store/types.ts';
import type { Screen } from '../screen/server/create-screen.ts';
import type { ScreenListener } from '../screen/server/listen.ts';
import { silentLogger, type Logger } from '../shared/logger.ts';
import { createMetricsRegistry } from '../shared/metrics.ts';
import { loadParkModel, type ParkModel } from '../shared/park-model.ts';
import { provision, type Provisioned } from '../shared/registry.ts';

/** Cheap scrypt for tests (the registry records the cost, so verification follows it). */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestPark {
  dir: string;
  model: ParkModel;
  logger: Logger;
  provisioned: Provisioned;
  /** The config the park's services were started from (the loader's, with the test's flags). */
  config: AppConfig;
  /** The broker core serving now (restartBroker replaces it). */
  readonly broker: Broker;
  tcp: { readonly port: number };
  ws: { readonly port: number };
  mqttUrl: string;
  sqlitePath: string;
  /** The ingest's alert database (state and audit trail). */
  alertsDbPath: string;
  /** Console operators file the screen reads (empty until a test adds operators). */
  operatorsPath: string;
  ingest: Ingest | null;
  screen: Screen | null;
  screenHttp: ScreenListener | null;
  screenUrl: string;
  /** ws://…/ws?token=… : the live socket as an authorised wall screen opens it. */
  screenWsUrl: string;
  /** A second, read-only handle on the store for assertions. */
  reader(): Promise<TelemetryStore>;
  startIngest(overrides?: IngestOverrides): Promise<Ingest>;
  stopIngest(): Promise<void>;
  /** Stops the broker (every connection drops), waits, and starts a fresh one on the same ports. */
  restartBroker(downForMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartParkOptions {
  ingest?: boolean;
  screen?: boolean;
  logger?: Logger;
  model?: ParkModel;
  coalesceMs?: number;
  liveIntervalMs?: number;
  /**
   * Alert rules for the ingest (defaults fill the rest). Alerting runs only when given (`{}` for
   * the defaults): tests that publish alerts/active themselves must not race a real alert engine.
   */
  alertRules?: Partial<AlertRulesInput>;
  /**
   * Broker options over the config's (limits, timeouts, `ack`). The PUBACK mode is the park's
   * default (`ingest`: once stored) where an ingest starts with the park, and `receipt` for a park
   * started with `ingest: false` (chained acks route nothing without an ingest session).
   */
  broker?: BrokerOverrides;
  /** Screen options over the config's (message size, metrics, session idle time). */
  screenOptions?: ScreenOverrides;
  /** Origins allowed to open the live socket; default ['self']. */
  allowedOrigins?: string[];
}

/** The config the CLI would build from these flags (`--name value`), for the `all` command. */
export function configFromFlags(flags: Readonly<Record<string, string | number>>): AppConfig {
  return loadConfig({ argv: ['all', ...Object.entries(flags).flatMap(([flag, value]) => [`--${flag}`, String(value)])], env: {} });
}

/** Each service its own metrics registry (prom-client refuses a metric name twice in one). */
const freshOps = (): Ops => ({ metrics: createMetricsRegistry(), checks: [] });

export async function startPark(opts: StartParkOptions = {}): Promise<TestPark> {
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-test-'));
  const logger = opts.logger ?? silentLogger();
  const model = opts.model ?? loadParkModel();
  const flags = {
    'data-dir': dir,
    'park-id': model.id,
    'broker-host': '127.0.0.1',
    'broker-port': 0,
    'broker-ws-port': 0,
    ...(opts.ingest === false ? { 'broker-ack': 'receipt' } : {}),
    'flush-interval-ms': 20,
    'live-interval-ms': opts.liveIntervalMs ?? 100,
    'screen-host': '127.0.0.1',
    'screen-port': 0,
    'coalesce-ms': opts.coalesceMs ?? 100,
    'allowed-origins': (opts.allowedOrigins ?? ['self']).join(','),
  };
  // Provisioned here with cheap scrypt; startBroker's own provisioning then finds every account.
  const config0 = configFromFlags(flags);
  const provisioned = await provision({ model, registryPath: config0.registryPath, secretsDir: config0.secretsDir, scrypt: TEST_SCRYPT });
  const ops = freshOps();
  const running: RunningBroker = await startBroker(config0, model, logger, ops, opts.broker);
  // The services after the broker reach it on the ports it bound (mqttUrl follows --broker-port).
  const config = configFromFlags({ ...flags, 'broker-port': running.tcpPort, 'broker-ws-port': running.wsPort });
  const alerts = opts.alertRules ? { rules: parseAlertRules({ version: 1, ...opts.alertRules }), dbPath: config.alerts.dbPath } : undefined;
  const readers: TelemetryStore[] = [];

  const park: TestPark = {
    dir, model, logger, provisioned, config,
    get broker() {
      return running.broker();
    },
    tcp: { port: running.tcpPort },
    ws: { port: running.wsPort },
    mqttUrl: config.mqttUrl,
    sqlitePath: config.ingest.sqlitePath,
    alertsDbPath: config.alerts.dbPath,
    operatorsPath: config.screen.operatorsPath,
    ingest: null, screen: null, screenHttp: null, screenUrl: '', screenWsUrl: '',
    async reader() {
      const r = await createSqliteStore({ path: config.ingest.sqlitePath, model, logger, readOnly: true });
      readers.push(r);
      return r;
    },
    async startIngest(overrides = {}) {
      // A fast reconnect: tests restart the broker and wait for the ingest to be back.
      // As in `parkpulse all`: sharing the process, the ingest takes device messages from the bus.
      const feed = config.ingest.feed === 'bus' ? busFeedOf(running) : null;
      const started = await startIngest(config, model, logger, freshOps(), { alerts, ...(feed ? { feed } : {}), ...overrides, mqtt: { reconnectPeriodMs: 200, ...overrides.mqtt } });
      park.ingest = started.ingest;
      await park.ingest.ready();
      return park.ingest;
    },
    async stopIngest() {
      await park.ingest?.close();
      park.ingest = null;
    },
    async restartBroker(downForMs = 0) {
      // As after a process restart: the registry is read again from its file, same options, same ports.
      await running.restart(downForMs);
    },
    async stop() {
      await park.screenHttp?.close();
      await park.screen?.close();
      await park.ingest?.close();
      for (const r of readers) await r.close();
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  if (opts.ingest !== false) await park.startIngest();
  if (opts.screen !== false) {
    const started = await startScreen(config, model, logger, ops, opts.screenOptions);
    park.screen = started.screen;
    park.screenHttp = started.http;
    await park.screen.ready();
    park.screenUrl = `http://127.0.0.1:${started.port}`;
    park.screenWsUrl = `ws://127.0.0.1:${started.port}/ws?token=${encodeURIComponent(started.viewerToken)}`;
  }
  return park;
}

/** Polls `check` until it returns true (or a value), failing with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
