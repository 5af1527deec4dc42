// Starts the real park for a test: broker on a free port, ingest with a temporary SQLite file,
// screen server on a free port. Everything is closed (and the folder removed) by `stop()`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBroker, type Broker, type BrokerOptions } from '../broker/create-broker.ts';
import { listenTcp, listenWs, type Listener } from '../broker/listeners.ts';
import { parseAlertRules, type AlertRulesInput } from '../ingest/alerts/rules-config.ts';
import { createIngest, type Ingest } from '../ingest/create-ingest.ts';
import { createSqliteStore } from '../ingest/store/sqlite-store.ts';
import type { TelemetryStore } from '../ingest/store/types.ts';
import { createScreen, type Screen, type ScreenOptions } from '../screen/server/create-screen.ts';
import { listenScreen, type ScreenListener } from '../screen/server/listen.ts';
import { STATIC_DIR } from '../bin/services.ts';
import { silentLogger, type Logger } from '../shared/logger.ts';
import { loadParkModel, type ParkModel } from '../shared/park-model.ts';
import { provision, readRegistry, serviceAccountId, type Provisioned } from '../shared/registry.ts';

/** Cheap scrypt for tests (the registry records the cost, so verification follows it). */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestPark {
  dir: string;
  model: ParkModel;
  logger: Logger;
  provisioned: Provisioned;
  broker: Broker;
  tcp: Listener;
  ws: Listener;
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
  startIngest(overrides?: Partial<Parameters<typeof createIngest>[0]>): Promise<Ingest>;
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
  /** Broker options beyond park, registry and logger (limits, timeouts). */
  broker?: Partial<Omit<BrokerOptions, 'parkId' | 'registry' | 'logger'>>;
  /** Screen options beyond the park's own (message size, metrics). */
  screenOptions?: Partial<Omit<ScreenOptions, 'model' | 'logger' | 'history' | 'mqtt' | 'viewer'>>;
  /** Origins allowed to open the live socket; default ['self']. */
  allowedOrigins?: string[];
}

export async function startPark(opts: StartParkOptions = {}): Promise<TestPark> {
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-test-'));
  const logger = opts.logger ?? silentLogger();
  const model = opts.model ?? loadParkModel();
  const provisioned = await provision({ model, registryPath: join(dir, 'registry.json'), secretsDir: join(dir, 'secrets'), scrypt: TEST_SCRYPT });
  const broker = await createBroker({ ...opts.broker, parkId: model.id, registry: provisioned.registry, logger });
  const tcp = await listenTcp(broker, { host: '127.0.0.1', port: 0 });
  const ws = await listenWs(broker, { host: '127.0.0.1', port: 0 });
  const mqttUrl = `mqtt://127.0.0.1:${tcp.port}`;
  const sqlitePath = join(dir, 'park.db');
  const alertsDbPath = join(dir, 'alerts.db');
  const operatorsPath = join(dir, 'operators.json');
  const alertRules = opts.alertRules ? parseAlertRules({ version: 1, ...opts.alertRules }) : null;
  const readers: TelemetryStore[] = [];

  const park: TestPark = {
    dir, model, logger, provisioned, broker, tcp, ws, mqttUrl, sqlitePath, alertsDbPath, operatorsPath,
    ingest: null, screen: null, screenHttp: null, screenUrl: '', screenWsUrl: '',
    async reader() {
      const r = await createSqliteStore({ path: sqlitePath, model, logger, readOnly: true });
      readers.push(r);
      return r;
    },
    async startIngest(overrides = {}) {
      const store = await createSqliteStore({ path: sqlitePath, model, logger });
      park.ingest = await createIngest({
        model, store, logger,
        mqtt: { url: mqttUrl, username: serviceAccountId('ingest'), password: provisioned.serviceSecrets.ingest, reconnectPeriodMs: 200 },
        flushIntervalMs: 20,
        liveIntervalMs: opts.liveIntervalMs ?? 100,
        alerts: alertRules ? { rules: alertRules, dbPath: alertsDbPath } : undefined,
        ...overrides,
      });
      await park.ingest.ready();
      return park.ingest;
    },
    async stopIngest() {
      await park.ingest?.close();
      park.ingest = null;
    },
    async restartBroker(downForMs = 0) {
      const ports = { tcp: park.tcp.port, ws: park.ws.port };
      await park.tcp.close();
      await park.ws.close();
      await park.broker.close();
      await sleep(downForMs);
      // A new broker, as after a process restart: the registry is read again from its file.
      park.broker = await createBroker({ parkId: model.id, registry: readRegistry(join(dir, 'registry.json')), logger });
      park.tcp = await listenTcp(park.broker, { host: '127.0.0.1', port: ports.tcp });
      park.ws = await listenWs(park.broker, { host: '127.0.0.1', port: ports.ws });
    },
    async stop() {
      await park.screenHttp?.close();
      await park.screen?.close();
      await park.ingest?.close();
      for (const r of readers) await r.close();
      await park.tcp.close();
      await park.ws.close();
      await park.broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  if (opts.ingest !== false) await park.startIngest();
  if (opts.screen !== false) {
    const history = await createSqliteStore({ path: sqlitePath, model, logger, readOnly: true });
    park.screen = await createScreen({
      model, logger, history, staticDir: STATIC_DIR, coalesceMs: opts.coalesceMs ?? 100, alertsDbPath, operatorsPath, kpiFile: join(dir, 'kpis.json'),
      viewer: { token: provisioned.viewerToken, allowedOrigins: opts.allowedOrigins ?? ['self'] },
      mqtt: { url: mqttUrl, username: serviceAccountId('screen'), password: provisioned.serviceSecrets.screen },
      ...opts.screenOptions,
    });
    await park.screen.ready();
    park.screenHttp = await listenScreen(park.screen, { host: '127.0.0.1', port: 0 });
    park.screenUrl = `http://127.0.0.1:${park.screenHttp.port}`;
    park.screenWsUrl = `ws://127.0.0.1:${park.screenHttp.port}/ws?token=${encodeURIComponent(provisioned.viewerToken)}`;
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
