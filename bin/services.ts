// Starting each process from the frozen config: the composition the CLI entry uses. Each start
// function listens where it must and returns its `close()`, so the entry can stop them in order.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createBroker, type Broker } from '../broker/create-broker.ts';
import { listenTcp, listenWs } from '../broker/listeners.ts';
import { DEFAULT_ALERT_RULES_PATH, loadAlertRules } from '../ingest/alerts/rules-config.ts';
import { createIngest, type Ingest } from '../ingest/create-ingest.ts';
import { createSqliteStore } from '../ingest/store/sqlite-store.ts';
import { createScreen } from '../screen/server/create-screen.ts';
import { listenScreen } from '../screen/server/listen.ts';
import type { AppConfig } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { ParkModel } from '../shared/park-model.ts';
import { isLoadDeviceId } from '../shared/load-model.ts';
import { provision, readFleetKey, readRegistry, readServiceSecret, serviceAccountId, type ServiceRole } from '../shared/registry.ts';
import { createFleet, type Fleet } from '../simulators/fleet.ts';

export interface Running {
  name: string;
  /** Called on every process before any is closed (e.g. the ingest stops alerting on devices leaving). */
  beforeStop?(): void;
  close(): Promise<void>;
}

export const STATIC_DIR = fileURLToPath(new URL('../screen/web/dist', import.meta.url));

/** Secrets come from the secrets folder; wait (up to a minute) for a provisioning process to write them. */
async function waitForSecret(read: () => string, log: Logger): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return read();
    } catch (err) {
      if (i === 0) log.warn({ err: (err as Error).message }, 'waiting for provisioning');
      if (i >= 60) throw err;
      await sleep(1000);
    }
  }
}

const secretFor = (config: AppConfig, role: ServiceRole, log: Logger): Promise<string> =>
  waitForSecret(() => readServiceSecret(config.secretsDir, role), log);

const fleetKeyFor = (config: AppConfig, log: Logger): Promise<string> => waitForSecret(() => readFleetKey(config.secretsDir), log);

export interface RunningBroker extends Running {
  tcpPort: number;
  wsPort: number;
  /** The broker core serving now (a restart replaces it). */
  broker(): Broker;
  /** Stops the broker (every connection drops), waits `downForMs`, serves again on the same ports. */
  restart(downForMs: number): Promise<void>;
}

export async function startBroker(config: AppConfig, model: ParkModel, logger: Logger): Promise<RunningBroker> {
  // Idempotent: adds accounts for devices new to the model, keeps existing hashes and revocations.
  const { added } = await provision({ model, registryPath: config.registryPath, secretsDir: config.secretsDir });
  if (added.length > 0) logger.info({ added: added.length, registry: config.registryPath }, 'provisioned accounts');
  const serve = async (ports: { tcp: number; ws: number }) => {
    const broker = await createBroker({ parkId: model.id, registry: readRegistry(config.registryPath), logger });
    const tcp = await listenTcp(broker, { host: config.broker.host, port: ports.tcp });
    const ws = await listenWs(broker, { host: config.broker.host, port: ports.ws });
    logger.info({ tcp: tcp.port, ws: ws.port }, 'broker listening');
    return {
      broker,
      tcp,
      ws,
      async close() {
        await Promise.all([tcp.close(), ws.close()]);
        await broker.close();
      },
    };
  };
  let current = await serve({ tcp: config.broker.port, ws: config.broker.wsPort });
  return {
    name: 'broker',
    tcpPort: current.tcp.port,
    wsPort: current.ws.port,
    broker: () => current.broker,
    async restart(downForMs) {
      const ports = { tcp: current.tcp.port, ws: current.ws.port };
      logger.warn({ downForMs }, 'broker restarting');
      await current.close();
      await sleep(downForMs);
      current = await serve(ports);
    },
    close: () => current.close(),
  };
}

export async function startIngest(config: AppConfig, model: ParkModel, logger: Logger): Promise<Running & { ingest: Ingest }> {
  const rules = loadAlertRules(config.alerts.rulesPath ?? DEFAULT_ALERT_RULES_PATH);
  const store = await createSqliteStore({ path: config.ingest.sqlitePath, model, logger });
  const ingest = await createIngest({
    model,
    store,
    logger,
    mqtt: { url: config.mqttUrl, username: serviceAccountId('ingest'), password: await secretFor(config, 'ingest', logger) },
    batchMaxRows: config.ingest.batchMaxRows,
    flushIntervalMs: config.ingest.flushIntervalMs,
    liveIntervalMs: config.ingest.liveIntervalMs,
    alerts: { rules, dbPath: config.alerts.dbPath },
  });
  // When the whole park stops together (`all`), the simulated devices leaving is the shutdown, not
  // an incident: rules stop first, so a Ctrl-C does not leave an offline alert per device.
  return { name: 'ingest', ingest, beforeStop: () => ingest.stopRules(), close: () => ingest.close() };
}

export async function startScreen(config: AppConfig, model: ParkModel, logger: Logger): Promise<Running & { port: number }> {
  const history = await createSqliteStore({ path: config.ingest.sqlitePath, model, logger, readOnly: true });
  const screen = await createScreen({
    model,
    logger,
    history,
    staticDir: STATIC_DIR,
    coalesceMs: config.screen.coalesceMs,
    kpiFile: config.screen.kpiFile,
    alertsDbPath: config.alerts.dbPath,
    operatorsPath: config.screen.operatorsPath,
    allowedOrigins: config.screen.allowedOrigins,
    sessionIdleMs: config.screen.sessionIdleMinutes * 60_000,
    mqtt: { url: config.mqttUrl, username: serviceAccountId('screen'), password: await secretFor(config, 'screen', logger) },
  });
  const http = await listenScreen(screen, { host: config.screen.host, port: config.screen.port });
  return {
    name: 'screen',
    port: http.port,
    async close() {
      await http.close();
      await screen.close();
    },
  };
}

export async function startSim(config: AppConfig, model: ParkModel, logger: Logger, overrides: { intervalMs?: number; seed?: number } = {}): Promise<Running & { fleet: Fleet }> {
  const fleetKey = await fleetKeyFor(config, logger);
  const fleet = await createFleet({
    model,
    url: config.mqttUrl,
    fleetKey,
    logger,
    // Synthetic load devices belong to `parkpulse load`, never to the park's own simulator.
    devices: model.devices.filter((d) => !isLoadDeviceId(d.id)),
    intervalMs: overrides.intervalMs ?? config.sim.intervalMs,
    seed: overrides.seed ?? config.sim.seed,
    maxMessages: config.sim.maxMessages,
    statePath: `${config.dataDir}/sim-state.json`,
  });
  // Progress: a long-running job says what it is doing.
  let last = 0;
  const progress = setInterval(() => {
    const s = fleet.stats();
    logger.info({ module: 'fleet', ...s, ratePerSec: Math.round((s.acked - last) / 10) }, 'fleet progress');
    last = s.acked;
  }, 10_000);
  return {
    name: 'sim',
    fleet,
    async close() {
      clearInterval(progress);
      await fleet.close();
    },
  };
}
