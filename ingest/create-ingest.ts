// The ingest core: one persistent MQTT session (clean session off, QoS 1) that validates every
// device message, writes readings to the store in batched transactions, acknowledges each message
// only once it is durable, and publishes the live park state for the screen.
import type { MqttClient } from 'mqtt';
import { connectBroker, subscribeAll, leaveBroker, type ServiceConnection } from '../shared/broker-client.ts';
import type { IPublishPacket } from 'mqtt-packet';
import type { Logger } from '../shared/logger.ts';
import type { ParkModel } from '../shared/park-model.ts';
import { createLatencyReservoir, type LatencyQuantiles } from '../shared/latency-reservoir.ts';
import { createRateMeter } from '../shared/rate-meter.ts';
import { createThrottledLog } from '../shared/throttled-log.ts';
import { startOfDay } from '../shared/time.ts';
import { shardDeviceFilters, unmappedStatusFilters, type ShardSpec } from '../shared/shard-topics.ts';
import { deviceFilters, opsAlertsTopic } from '../shared/topics.ts';
import { createAlerting, type Alerting, type AlertingStats } from './alerts/create-alerting.ts';
import { parseAlertRules, type AlertRules } from './alerts/rules-config.ts';
import { silenceAllowance } from './alerts/rules.ts';
import { createBatcher } from './batcher.ts';
import { withDefaults } from '../shared/options.ts';
import { deferAcks } from './deferred-ack.ts';
import { READING_FLAGS, REJECT_REASONS, type ReadingFlag, type RejectReason } from './errors.ts';
import { createDeviceStatus } from './device-status.ts';
import { createLiveState, type IngestCounters } from './live-state.ts';
import { createLivePublisher } from './live-publisher.ts';
import { createPipeline, runPipeline } from './pipeline.ts';
import { resumeFromStore } from './resume-from-store.ts';
import { createSeqTracker } from './seq-tracker.ts';
import { routeShardTopic } from './shard/shard-routing.ts';
import { alertOwner, shardModel, shardRules } from './shard/shard-view.ts';
import type { TelemetryStore } from './store/types.ts';
import type { FeedMessage, FeedSource } from '../shared/bus-feed.ts';
import { createFeedIntake } from './feed-intake.ts';
import { watchJetStream, type JetStreamWatchOptions } from '../shared/jetstream-watchdog.ts';

export interface IngestOptions {
  model: ParkModel;
  /** The store readings go to; the ingest owns it from here and closes it last. */
  store: TelemetryStore;
  /** The ingest's account; clientId default: the username's account id (one session per ingest; `svc-ingest-s<k>` for shard k). */
  mqtt: ServiceConnection;
  logger: Logger;
  /** Rows per store transaction at most; default 5000. */
  batchMaxRows?: number;
  /** ms a reading waits at most before its batch commits; default 50. */
  flushIntervalMs?: number;
  /** ms between live deltas, sent even when nothing changed (the ingest's heartbeat); default 250. */
  liveIntervalMs?: number;
  /** ms a device timestamp may be ahead of the ingest clock before the reading is rejected (`ts-future`); default 300 000. */
  maxFutureMs?: number;
  /** ms between retained live snapshots; default 5000. */
  snapshotIntervalMs?: number;
  /** Unacknowledged messages before intake pauses; default 20 000. */
  maxUnacked?: number;
  /**
   * Alert rules and the alert database (state + audit trail). Omitted only by tests that do not
   * look at alerts: without it no rule runs and operator actions are not subscribed to.
   */
  alerts?: { rules: AlertRules; dbPath: string };
  /**
   * Shard k of the park's N ingest shards (a NATS cluster whose mappings hash devices into N
   * shards): consumes shard/k/..., owns the live state and alerts of its devices, and publishes
   * them under park/{p}/shards/k/ for the park's aggregator. Default: one ingest for the park.
   */
  shard?: ShardSpec | null;
  /** Called for every reading as its batch commits, with device ts -> committed in ms (a histogram). */
  onDurable?: (latencyMs: number) => void;
  /**
   * Called for every accepted reading as it arrives, with device ts -> taken in by the ingest in ms
   * (a histogram): the part of the durable latency spent before the store (device, broker, network).
   */
  onArrival?: (latencyMs: number) => void;
  /**
   * Device messages from the broker's in-process bus instead of the MQTT session (`parkpulse all`:
   * broker/bus-feed.ts). The session then carries only operator actions and the live state; a
   * device's PUBACK still waits until its reading is stored. Attached on every connect of the session
   * (a restarted broker core is a new bus) and detached when it drops. Default: none.
   */
  feed?: FeedSource;
  /**
   * On a NATS cluster: watch the session's JetStream consumers through the nodes' monitoring port
   * and reconnect when one stops delivering (shared/jetstream-watchdog.ts). Default: none.
   */
  jetstream?: JetStreamWatchOptions | null;
  /** Clock, ms; tests may pin it. */
  now?: () => number;
}

export interface IngestStats extends IngestCounters {
  connected: boolean;
  /** Duplicate status messages (retained replays on every resubscribe), not counted as duplicates. */
  statusReplays: number;
  /** Seq counter resets (jumps beyond the sane window). */
  resets: number;
  /** Readings stored but flagged, by flag (ingest/errors.ts READING_FLAGS). */
  flags: Record<ReadingFlag, number>;
  /** Accepted readings the store could not keep (InfluxDB refused them: the dead-letter file); not in `accepted`. */
  deadLettered: number;
  /** Readings spooled on disk awaiting the database. */
  spoolDepth: number;
  /** Readings queued or being written. */
  pendingWrites: number;
  /** Messages received and not yet acknowledged to the broker. */
  unacked: number;
  storeWriteFailures: number;
  /** Sharded: wills of other shards' devices seen on the unmapped status topics (left to them). */
  otherShards: number;
  /** Reconnects made because a JetStream consumer of the session had stopped delivering. */
  consumerStalls: number;
  alerts: AlertingStats | null;
}

export interface Ingest {
  stats(): IngestStats;
  /** Device clock to durable in the store, ms, over recent readings (every 8th of the last ~500k). */
  durableLatency(): LatencyQuantiles;
  /** Resolves once the session is up and subscribed. */
  ready(): Promise<void>;
  /** Stops evaluating alert rules (state, operator actions and publishing go on) ahead of a shutdown. */
  stopRules(): void;
  /** Stop intake, flush writes, send the last acknowledgements, leave the broker, close the store. */
  close(): Promise<void>;
}

/** The ingest's own defaults; batching defaults are the batcher's (DEFAULT_BATCHER), the clock limit the pipeline's. */
export const DEFAULT_INGEST: Readonly<Required<Pick<IngestOptions, 'liveIntervalMs' | 'snapshotIntervalMs' | 'maxUnacked'>> & { reconnectPeriodMs: number }> = Object.freeze({ liveIntervalMs: 250, snapshotIntervalMs: 5000, maxUnacked: 20_000, reconnectPeriodMs: 1000 });

const SHUTTING_DOWN = new Error('ingest shutting down: message left for redelivery');

export async function createIngest(opts: IngestOptions): Promise<Ingest> {
  const log = opts.logger.child({ module: 'ingest' });
  const now = opts.now ?? Date.now;
  const { model, store } = opts;
  const shard = opts.shard ?? null;
  // Validation knows the whole park; live state, statuses and alerts cover what this ingest owns.
  const owned = shard ? shardModel(model, shard) : model;
  const steps = createPipeline({ model, maxFutureMs: opts.maxFutureMs });
  const tracker = createSeqTracker();
  const { liveIntervalMs, snapshotIntervalMs, maxUnacked } = withDefaults(DEFAULT_INGEST, {
    liveIntervalMs: opts.liveIntervalMs,
    snapshotIntervalMs: opts.snapshotIntervalMs,
    maxUnacked: opts.maxUnacked,
  });
  // One status book for the wall and the alert rules: a device's status is decided once.
  const devices = createDeviceStatus(owned, { silenceMs: silenceAllowance(opts.alerts?.rules ?? parseAlertRules({ version: 1 })), now: now() });
  const live = createLiveState(owned, { devices, heartbeatMs: liveIntervalMs });
  const rate = createRateMeter(5, now);
  const warnReject = createThrottledLog(log);
  const alerting: Alerting | null = opts.alerts
    ? createAlerting({
        model: owned,
        rules: shard ? shardRules(opts.alerts.rules) : opts.alerts.rules,
        dbPath: opts.alerts.dbPath,
        logger: opts.logger,
        devices,
        now,
        // A sharded park's participants share alerts.db: each acts on its own alerts only.
        ...(shard ? { ownership: { owns: (a) => alertOwner(a, shard.count) === shard.index, answersForOthers: false, scope: `shard-${shard.index}` } } : {}),
      })
    : null;
  const opsTopic = opsAlertsTopic(model.id);
  const counters = { accepted: 0, rejected: 0, rejects: {} as Record<string, number>, duplicates: 0, statusReplays: 0, otherShards: 0, counterResets: 0 };

  // Resume from what the store holds: seq high-water marks and today's kWh baselines.
  await resumeFromStore(store, startOfDay(now(), model.timezone), { tracker, live, shard, log });

  // Device ts -> committed: the latency a reading takes to become durable (the benchmark reads it).
  const durable = createLatencyReservoir();
  const batcher = createBatcher({
    write: (rows) => store.write(rows),
    onCommitted(rows, result) {
      const now = Date.now();
      const observe = opts.onDurable;
      for (const r of rows) {
        durable.record(now - r.ts);
        observe?.(now - r.ts);
      }
      for (const i of result.duplicates) {
        if (rows[i]!.channel === 'status') counters.statusReplays++;
        else counters.duplicates++;
      }
    },
    logger: opts.logger,
    maxRows: opts.batchMaxRows,
    flushIntervalMs: opts.flushIntervalMs,
  });

  // Dead letters were accepted by the pipeline and then refused by the database: not stored, so
  // not counted as accepted (they have their own count).
  const deadLettered = (): number => store.lossStats?.().deadLettered ?? 0;
  const ingestCounters = (): IngestCounters => ({
    ratePerSec: Math.round(rate.rate() * 10) / 10,
    accepted: counters.accepted - deadLettered(),
    rejected: counters.rejected,
    rejects: { ...counters.rejects },
    gaps: tracker.stats().gaps,
    duplicates: counters.duplicates,
  });

  let closing = false;

  function reject(reason: RejectReason, step: string, detail: string, topic: string): Promise<void> {
    counters.rejected++;
    counters.rejects[reason] = (counters.rejects[reason] ?? 0) + 1;
    warnReject(reason, { reason, step, detail, topic: topic.slice(0, 120) }, `rejected: ${REJECT_REASONS[reason].description}`);
    // Not retriable: acknowledge so the broker does not redeliver it forever.
    return Promise.resolve();
  }

  function onMessage(packet: IPublishPacket | FeedMessage): Promise<void> {
    if (closing) return Promise.reject(SHUTTING_DOWN);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    // An operator action: acknowledged once it is recorded and answered.
    if (packet.topic === opsTopic && alerting) return alerting.onAction(payload);
    let topic = packet.topic;
    if (shard) {
      const route = routeShardTopic(topic, shard, model.id);
      if (!route.take && route.reason === 'other-shard') {
        counters.otherShards++;
        return Promise.resolve();
      }
      if (!route.take) return reject('shard-mismatch', 'shard', route.detail, packet.topic);
      topic = route.topic;
    }
    const out = runPipeline(steps, { topic, payload, qos: packet.qos, retain: packet.retain, receivedAt: now() });
    if (!out.ok) {
      // It arrived: its seq is not a lost reading (only a device in the model has a seq to track).
      if (out.seen && model.deviceById.has(out.seen.device) && !packet.retain) tracker.observe(out.seen.device, out.seen.seq);
      return reject(out.reason, out.step, out.detail, packet.topic);
    }
    const r = out.reading;
    counters.accepted++;
    opts.onArrival?.(r.receivedAt - r.ts);
    rate.tick();
    // A retained status is a replay of the current state, and a will repeats its session's seq.
    if (!packet.retain && r.values.will !== true) tracker.observe(r.device, r.seq);
    const applied = devices.apply(r, packet.retain);
    if (live.apply(r) === 'counter-reset') {
      counters.counterResets++;
      warnReject('counter-reset', { flag: 'counter-reset', device: r.device, seq: r.seq, kwh: r.values.kwh }, `flagged: ${READING_FLAGS['counter-reset'].description}`);
    }
    alerting?.onReading(r, packet.retain, applied);
    return batcher.add(r);
  }

  const account = opts.mqtt.username.split('@')[0] ?? opts.mqtt.username;
  const clientId = opts.mqtt.clientId ?? (opts.shard ? `${account}-s${opts.shard.index}` : account);
  const client: MqttClient = connectBroker(opts.mqtt.url, {
    clientId,
    username: opts.mqtt.username,
    password: opts.mqtt.password,
    clean: false, // the broker queues QoS 1 messages while the ingest restarts
    protocolVersion: 4,
    reconnectPeriod: opts.mqtt.reconnectPeriodMs ?? DEFAULT_INGEST.reconnectPeriodMs,
    connectTimeout: 10_000,
    keepalive: 30,
    resubscribe: false, // subscribed on every connect below
  });
  const acks = deferAcks(client, {
    onMessage,
    maxUnacked,
    onError: (err) => {
      if (err !== SHUTTING_DOWN) log.error({ err }, 'message could not be made durable');
    },
  });

  // The live state and alert list, and the heartbeat deltas (live-publisher.ts).
  const { publishAlerts, publishSnapshot, stop: stopPublishing } = createLivePublisher({
    client, model, owned, shard, live, devices, alerting: alerting !== null, counters: ingestCounters, now, liveIntervalMs, snapshotIntervalMs,
  });

  // Device messages from the broker's bus where they share a process (feed-intake.ts).
  const feed = opts.feed ?? null;
  const intake = createFeedIntake({ onMessage, shuttingDown: SHUTTING_DOWN, logger: opts.logger });

  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  client.on('connect', (connack) => {
    log.info({ sessionPresent: connack.sessionPresent }, 'connected to broker');
    devices.resume(now());
    // Before subscribing: a persistent session's queued actions may arrive right after CONNACK.
    alerting?.attach(publishAlerts);
    const deviceSubs = shard ? [...shardDeviceFilters(model.id, shard.index), ...unmappedStatusFilters(model.id)] : deviceFilters(model.id);
    const sessionSubs = feed ? [] : deviceSubs;
    const filters = alerting ? [...sessionSubs, opsTopic] : sessionSubs;
    const attached = feed ? intake.attach(feed, clientId, deviceSubs) : Promise.resolve();
    const subscribed = new Promise<void>((resolve) => (filters.length > 0 ? subscribeAll(client, filters, log, resolve) : resolve()));
    void Promise.all([attached, subscribed]).then(() => {
      publishSnapshot();
      readyResolve();
    });
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  client.on('offline', () => log.warn('broker unreachable; reconnecting'));
  const watchdog = opts.jetstream ? watchJetStream(client, clientId, opts.jetstream, opts.logger) : null;
  client.on('close', () => {
    devices.pause(now());
    alerting?.detach();
    void intake.detach();
  });

  log.info({ devices: owned.devices.length, ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}) }, 'ingest started');

  return {
    stats: () => ({
      ...ingestCounters(),
      connected: client.connected,
      statusReplays: counters.statusReplays,
      resets: tracker.stats().resets,
      flags: { 'counter-reset': counters.counterResets, 'seq-reset': tracker.stats().resets },
      deadLettered: deadLettered(),
      spoolDepth: store.lossStats?.().spoolLines ?? 0,
      pendingWrites: batcher.pending,
      unacked: acks.unacked + intake.pending,
      storeWriteFailures: batcher.failures,
      otherShards: counters.otherShards,
      consumerStalls: watchdog?.stalls() ?? 0,
      alerts: alerting?.stats() ?? null,
    }),
    durableLatency: () => durable.quantiles(),
    ready: () => readyPromise,
    stopRules: () => alerting?.stopRules(),
    async close() {
      if (closing) return;
      closing = true;
      watchdog?.close();
      stopPublishing();
      // 1. stop intake: from here on a message is left unacknowledged, for redelivery next session
      // 2. flush writes, 3. send the acknowledgements they earned
      await batcher.flush();
      await acks.settled();
      await intake.detach();
      publishSnapshot();
      await alerting?.close(); // stores and publishes the last changes
      // 4. leave the broker (waits up to 3 s for in-flight outgoing packets), 5. close the store
      await leaveBroker(client, log);
      await store.close();
      log.info(ingestCounters(), 'ingest stopped');
    },
  };
}
