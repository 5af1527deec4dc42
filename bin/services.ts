// Starting each process from the frozen config: the composition the CLI entry uses. Each start
// function listens where it must and returns its `close()`, so the entry can stop them in order.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBroker, type Broker, type BrokerOptions } from '../broker/create-broker.ts';
import type { FeedSource } from '../shared/bus-feed.ts';
import { listenTcp, listenTls, listenWs, type Listener, type TlsMaterial } from '../broker/listeners.ts';
import { registerBrokerMetrics } from '../broker/metrics.ts';
import { watchRegistry } from '../broker/registry-watcher.ts';
import { loadAlertRules } from '../ingest/alerts/rules-config.ts';
import { createAggregator, type Aggregator } from '../ingest/aggregator/create-aggregator.ts';
import { registerAggregatorMetrics } from '../ingest/aggregator/metrics.ts';
import { createIngest, type Ingest, type IngestOptions } from '../ingest/create-ingest.ts';
import { arrivalLatencyHistogram, durableLatencyHistogram, registerIngestMetrics, timeStoreWrites } from '../ingest/metrics.ts';
import { openStore } from '../ingest/store/open-store.ts';
import { createScreen, type Screen, type ScreenOptions } from '../screen/server/create-screen.ts';
import { listenScreen, type ScreenListener } from '../screen/server/listen.ts';
import type { AppConfig } from './config/load-config.ts';
import { deriveDeviceSecret } from '../shared/credentials.ts';
import type { Logger } from '../shared/logger.ts';
import type { MetricsRegistry } from '../shared/metrics.ts';
import type { ReadinessCheck } from '../shared/ops-server.ts';
import { isLoadDeviceId } from '../shared/load-model.ts';
import type { ParkModel } from '../shared/park-model.ts';
import { provision, readFleetKey, readRegistry, readServiceSecret, readViewerToken, serviceUsername, type ServiceRole } from '../shared/registry.ts';
import { createFleet, type Fleet } from '../simulators/fleet.ts';
import { projectPath } from '../shared/project-root.ts';
import type { JetStreamWatchOptions } from '../shared/jetstream-watchdog.ts';

export interface Running {
  name: string;
  /** Called on every process before any is closed (e.g. the ingest stops alerting on devices leaving). */
  beforeStop?(): void;
  close(): Promise<void>;
}

/** What every service of the process shares for operations: one metrics registry, readiness checks. */
export interface Ops {
  metrics: MetricsRegistry;
  /** Each started service adds its check; /readyz answers for all of them. */
  checks: ReadinessCheck[];
}

export const STATIC_DIR = projectPath('screen/web/dist');

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

/**
 * Broker options a caller puts over the ones the config gives (the test park: limits and timings no
 * setting has); `limits` are merged field by field over the config's.
 */
export type BrokerOverrides = Partial<Omit<BrokerOptions, 'parkId' | 'registry' | 'logger'>>;

export async function startBroker(config: AppConfig, model: ParkModel, logger: Logger, ops: Ops, overrides: BrokerOverrides = {}): Promise<RunningBroker> {
  // Idempotent: adds accounts for devices new to the model, keeps existing hashes and revocations.
  const { added } = await provision({ model, registryPath: config.registryPath, secretsDir: config.secretsDir });
  if (added.length > 0) logger.info({ added: added.length, registry: config.registryPath }, 'provisioned accounts');
  const b = config.broker;
  const tls: TlsMaterial | null = b.tlsCert && b.tlsKey ? { cert: readFileSync(b.tlsCert), key: readFileSync(b.tlsKey) } : null;
  // The core serving, set before its listeners open: a client that reaches a restarted broker
  // (the in-process ingest attaching to its bus, busFeedOf) must find the new core, not the old.
  let core!: Broker;
  const serve = async (ports: { tcp: number; ws: number; tls: number; wss: number }) => {
    const broker = await createBroker({
      parkId: model.id,
      registry: readRegistry(config.registryPath),
      logger,
      persistence: b.persistence,
      ack: b.ack,
      connectTimeoutMs: b.connectTimeoutMs,
      drainTimeoutMs: b.drainTimeoutMs,
      ...overrides,
      limits: { ...b.limits, ...overrides.limits },
    });
    core = broker;
    const listeners: Listener[] = [];
    const tcp = await listenTcp(broker, { host: b.host, port: ports.tcp });
    const ws = await listenWs(broker, { host: b.host, port: ports.ws });
    listeners.push(tcp, ws);
    const bound = { tcp: tcp.port, ws: ws.port, tls: ports.tls, wss: ports.wss };
    if (tls) {
      const mqtts = await listenTls(broker, { host: b.host, port: ports.tls, tls });
      const wss = await listenWs(broker, { host: b.host, port: ports.wss, tls });
      listeners.push(mqtts, wss);
      Object.assign(bound, { tls: mqtts.port, wss: wss.port });
    }
    logger.info(tls ? bound : { tcp: bound.tcp, ws: bound.ws }, 'broker listening');
    return {
      broker,
      bound,
      async close() {
        await Promise.all(listeners.map((l) => l.close()));
        await broker.close();
      },
    };
  };
  let current = await serve({ tcp: b.port, ws: b.wsPort, tls: b.tlsPort, wss: b.wssPort });
  // `parkpulse device revoke|rotate` rewrites the registry: revoked sessions close at once.
  const watcher = watchRegistry({ path: config.registryPath, parkId: model.id, logger, onChange: (r) => current.broker.replaceRegistry(r) });
  registerBrokerMetrics(ops.metrics, { stats: () => current.broker.stats() });
  let open = true;
  ops.checks.push({ name: 'broker', ready: () => open });
  return {
    name: 'broker',
    tcpPort: current.bound.tcp,
    wsPort: current.bound.ws,
    broker: () => core,
    async restart(downForMs) {
      logger.warn({ downForMs }, 'broker restarting');
      open = false;
      await current.close();
      await sleep(downForMs);
      current = await serve(current.bound);
      open = true;
    },
    async close() {
      open = false;
      watcher.close();
      await current.close();
    },
  };
}

/**
 * The broker's in-process bus as an ingest's feed (broker/bus-feed.ts): each attach goes to the
 * core serving now, so after restart() the ingest's reconnect attaches to the new one. Null where
 * the broker cannot hold a PUBACK for it (`--broker-ack receipt`, the disk persistence): the
 * ingest then uses its MQTT session, whose queue the disk persistence keeps.
 */
export function busFeedOf(broker: RunningBroker): FeedSource | null {
  return broker.broker().feedable ? { attach: (consumer) => broker.broker().attachFeed(consumer) } : null;
}

/**
 * Ingest options a caller puts over the ones the config gives (the test park): `store` in place of
 * the configured one (still timed on the metrics), `alerts` in place of the rules file (undefined:
 * no alerting), `mqtt` merged over the service account's connection.
 */
export type IngestOverrides = Partial<Omit<IngestOptions, 'model' | 'logger' | 'mqtt'>> & { mqtt?: Partial<IngestOptions['mqtt']> };

export async function startIngest(config: AppConfig, model: ParkModel, logger: Logger, ops: Ops, overrides: IngestOverrides = {}): Promise<Running & { ingest: Ingest }> {
  const { mqtt, ...options } = overrides;
  const alerts = 'alerts' in overrides ? overrides.alerts : { rules: loadAlertRules(config.alerts.rulesPath), dbPath: config.alerts.dbPath };
  const store = timeStoreWrites(overrides.store ?? (await openStore(config, model, logger)), ops.metrics);
  const ingest = await createIngest({
    model,
    logger,
    mqtt: { url: config.mqttUrl, username: serviceUsername('ingest', model.id), password: await secretFor(config, 'ingest', logger), ...mqtt },
    batchMaxRows: config.ingest.batchMaxRows,
    flushIntervalMs: config.ingest.flushIntervalMs,
    liveIntervalMs: config.ingest.liveIntervalMs,
    maxFutureMs: config.ingest.maxFutureMs,
    shard: config.ingest.shard,
    jetstream: jetstreamWatch(config, model),
    onDurable: durableLatencyHistogram(ops.metrics),
    onArrival: arrivalLatencyHistogram(ops.metrics),
    ...options,
    store,
    alerts,
  });
  // Spool depth and dead letters come from the store through the ingest's stats; alertsByState from the alerting.
  registerIngestMetrics(ops.metrics, { stats: ingest.stats, durableLatency: ingest.durableLatency, alertsByState: () => ingest.stats().alerts?.byState ?? {} });
  let subscribed = false;
  void ingest.ready().then(() => (subscribed = true));
  ops.checks.push({ name: 'ingest', ready: () => subscribed && ingest.stats().connected });
  // When the whole park stops together (`all`), the simulated devices leaving is the shutdown, not
  // an incident: rules stop first, so a Ctrl-C does not leave an offline alert per device.
  return { name: 'ingest', ingest, beforeStop: () => ingest.stopRules(), close: () => ingest.close() };
}

/** The JetStream watchdog of a service's session where the config names the NATS nodes' monitoring URLs (the park's account is its id). */
function jetstreamWatch(config: AppConfig, model: ParkModel): JetStreamWatchOptions | null {
  return config.natsMonitorUrls ? { monitorUrls: config.natsMonitorUrls, account: model.id } : null;
}

/** A sharded park's aggregator (see ingest/aggregator/): merges the shards into the park's live and alerts topics. */
export async function startAggregator(config: AppConfig, model: ParkModel, logger: Logger, ops: Ops): Promise<Running & { aggregator: Aggregator }> {
  const rules = loadAlertRules(config.alerts.rulesPath);
  const aggregator = await createAggregator({
    model,
    logger,
    mqtt: { url: config.mqttUrl, username: serviceUsername('aggregator', model.id), password: await secretFor(config, 'aggregator', logger) },
    alerts: { rules, dbPath: config.alerts.dbPath },
    liveIntervalMs: config.ingest.liveIntervalMs,
    jetstream: jetstreamWatch(config, model),
  });
  registerAggregatorMetrics(ops.metrics, aggregator);
  ops.checks.push({ name: 'aggregator', ready: () => aggregator.healthy() });
  return { name: 'aggregator', aggregator, close: () => aggregator.close() };
}

/** Screen options a caller puts over the ones the config gives (the test park: a short session, a quick action timeout). */
export type ScreenOverrides = Partial<Omit<ScreenOptions, 'model' | 'logger' | 'history' | 'mqtt' | 'viewer'>>;

export interface RunningScreen extends Running {
  port: number;
  viewerToken: string;
  /** The screen core and its HTTP listener (close() closes both, listener first). */
  screen: Screen;
  http: ScreenListener;
}

export async function startScreen(config: AppConfig, model: ParkModel, logger: Logger, ops: Ops, overrides: ScreenOverrides = {}): Promise<RunningScreen> {
  const history = await openStore(config, model, logger, { readOnly: true });
  const viewerToken = await waitForSecret(() => readViewerToken(config.screen.viewerTokenFile), logger);
  const screen = await createScreen({
    model,
    logger,
    history,
    staticDir: STATIC_DIR,
    coalesceMs: config.screen.coalesceMs,
    kpiFile: config.screen.kpiFile,
    viewer: { token: viewerToken, allowedOrigins: config.screen.allowedOrigins },
    wsMaxMessageBytes: config.screen.wsMaxMessageBytes,
    chimeReminderMs: config.screen.chimeReminderMs,
    metrics: ops.metrics,
    alertsDbPath: config.alerts.dbPath,
    operatorsPath: config.screen.operatorsPath,
    sessionIdleMs: config.screen.sessionIdleMinutes * 60_000,
    mqtt: { url: config.mqttUrl, username: serviceUsername('screen', model.id), password: await secretFor(config, 'screen', logger) },
    ...overrides,
  });
  const http = await listenScreen(screen, { host: config.screen.host, port: config.screen.port });
  ops.checks.push({ name: 'screen', ready: () => screen.stats().mqttConnected });
  return {
    name: 'screen',
    port: http.port,
    viewerToken,
    screen,
    http,
    async close() {
      await http.close();
      await screen.close();
    },
  };
}

export async function startSim(config: AppConfig, model: ParkModel, logger: Logger, overrides: { intervalMs?: number; seed?: number } = {}): Promise<Running & { fleet: Fleet }> {
  const fleetKey = await fleetKeyFor(config, logger);
  // A device rotated with `parkpulse device rotate` has a later generation: derive its secret with it.
  const generations = new Map<string, number>();
  try {
    for (const a of readRegistry(config.registryPath).accounts) generations.set(a.id, a.generation);
  } catch {
    // no registry here (sim on another host than the broker): every device on generation 0
  }
  const fleet = await createFleet({
    model,
    url: config.mqttUrl,
    fleetKey,
    secretFor: (d) => deriveDeviceSecret(fleetKey, model.id, d.id, generations.get(d.id) ?? 0),
    logger,
    // Synthetic load devices belong to `parkpulse load`, never to the park's own simulator.
    devices: model.devices.filter((d) => !isLoadDeviceId(d.id)),
    ...config.sim,
    ...overrides,
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
