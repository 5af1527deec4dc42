// The aggregator of a sharded park: one per park, beside its N ingest shards on a NATS cluster.
// It reads the shards' parts (park/{p}/shards/{k}/snapshot|delta|alerts, shared/shard-topics.ts),
// and publishes what a single ingest would: the retained live snapshot and the live deltas, and
// the retained list of open alerts, so the screen needs no change. It owns the park-level alert
// rules (enterprise overload: an enterprise's meters spread over the shards), evaluated on the
// merged meter states, and answers operator actions nobody else owns (alert not found).
//
// It holds one persistent MQTT session (clean session off) so parts queue while it restarts; the
// retained parts rebuild its state on every start.
import type { MqttClient } from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { connectBroker, subscribeAll, leaveBroker, type ServiceConnection } from '../../shared/broker-client.ts';
import type { Logger } from '../../shared/logger.ts';
import { onceSoon } from '../../shared/once-soon.ts';
import type { ParkModel } from '../../shared/park-model.ts';
import { alertsActiveSchema, type Alert, type AlertsActive, type DeviceLive, type LiveMessage } from '../../shared/schema.ts';
import { shardAlertsSchema, shardLiveSchema, type ShardLive } from '../../shared/shard-schema.ts';
import { parseShardPartTopic, shardOf, shardPartsFilter } from '../../shared/shard-topics.ts';
import { createThrottledLog } from '../../shared/throttled-log.ts';
import { alertsActiveTopic, liveTopic, opsAlertsTopic } from '../../shared/topics.ts';
import { createAlerting, type Alerting, type AlertingStats } from '../alerts/create-alerting.ts';
import type { AlertRules } from '../alerts/rules-config.ts';
import type { Reading } from '../store/types.ts';
import { aggregatorRules, PARK_LEVEL_RULES } from '../shard/shard-view.ts';
import { devicesPerShard, mergeSummaries } from './merge-live.ts';
import { watchJetStream, type JetStreamWatchOptions } from '../../shared/jetstream-watchdog.ts';

export interface AggregatorOptions {
  model: ParkModel;
  /** The aggregator's account; clientId default `svc-aggregator`. */
  mqtt: ServiceConnection;
  logger: Logger;
  /** The park-level rules (enterprise overload) and the park's shared alerts.db; omitted: no alerts of its own. */
  alerts?: { rules: AlertRules; dbPath: string };
  /** ms between live deltas (the park's heartbeat the screen watches); default 250. */
  liveIntervalMs?: number;
  /** ms between retained live snapshots; default 5000. */
  snapshotIntervalMs?: number;
  /** ms without a part from a shard before it counts as silent (logged, /readyz 503); default 10 000. */
  silentAfterMs?: number;
  /**
   * ms after (re)connecting during which the aggregator publishes nothing until every shard's
   * retained parts are in, so a restart never shows the wall a park with shards missing; default 3000.
   */
  warmUpMs?: number;
  /** Watch the session's JetStream consumers and reconnect when one stops delivering (shared/jetstream-watchdog.ts); default none. */
  jetstream?: JetStreamWatchOptions | null;
  now?: () => number;
}

export interface ShardState {
  shard: number;
  /** Ingest clock of the shard's newest part, ms. */
  lastAt: number | null;
  rev: number;
  /** Its devices the aggregator has heard of (status known). */
  devices: number;
  alerts: number;
  silent: boolean;
}

export interface AggregatorStats {
  connected: boolean;
  /** N, as the shards report it (null before the first part). */
  shardCount: number | null;
  shards: ShardState[];
  /** Deltas from a shard that did not follow its previous one (healed by its next snapshot). */
  shardGaps: number;
  /** Parts refused: unreadable, wrong schema, a shard count that disagrees, devices of another shard. */
  invalidParts: number;
  rev: number;
  openAlerts: number;
  /** Reconnects made because a JetStream consumer of the session had stopped delivering. */
  consumerStalls: number;
  alerts: AlertingStats | null;
}

export interface Aggregator {
  ready(): Promise<void>;
  /** Connected and every shard heard within `silentAfterMs`. */
  healthy(): boolean;
  stats(): AggregatorStats;
  close(): Promise<void>;
}

const SEVERITY_ORDER = { critical: 0, major: 1, minor: 2, warning: 3 } as const;

export async function createAggregator(opts: AggregatorOptions): Promise<Aggregator> {
  const log = opts.logger.child({ module: 'aggregator' });
  const warn = createThrottledLog(log);
  const now = opts.now ?? Date.now;
  const { model } = opts;
  const silentAfterMs = opts.silentAfterMs ?? 10_000;
  const heartbeatMs = opts.liveIntervalMs ?? 250;
  const devices = new Map<string, DeviceLive>();
  for (const d of model.devices) devices.set(d.id, { id: d.id, kind: d.kind, status: 'unknown', cause: null, ts: null, seenAt: null, t: null });
  const changed = new Set<string>();
  const parts = new Map<number, { live: ShardLive | null; lastAt: number; rev: number; alerts: Alert[]; silent: boolean; alertsSeen: boolean }>();
  let count: number | null = null;
  let perShard: ReturnType<typeof devicesPerShard> | null = null;
  let rev = 0;
  let ownAlerts: Alert[] = [];
  let warmUntil = Number.POSITIVE_INFINITY;
  const stats = { shardGaps: 0, invalidParts: 0 };
  // Per-meter counter for the readings the park-level rules are fed (their status order needs one).
  const feedSeq = new Map<string, number>();

  const alerting: Alerting | null = opts.alerts
    ? createAlerting({
        model,
        rules: aggregatorRules(opts.alerts.rules),
        dbPath: opts.alerts.dbPath,
        logger: opts.logger,
        now,
        ownership: { owns: (a) => (PARK_LEVEL_RULES as readonly string[]).includes(a.rule), answersForOthers: true, scope: 'aggregator' },
      })
    : null;

  const activeTopic = alertsActiveTopic(model.id);
  const opsTopic = opsAlertsTopic(model.id);
  const clientId = opts.mqtt.clientId ?? opts.mqtt.username.split('@')[0] ?? opts.mqtt.username;
  const client: MqttClient = connectBroker(opts.mqtt.url, {
    clientId,
    username: opts.mqtt.username,
    password: opts.mqtt.password,
    clean: false, // the shards' parts and operator actions queue while the aggregator restarts
    protocolVersion: 4,
    reconnectPeriod: opts.mqtt.reconnectPeriodMs ?? 1000,
    connectTimeout: 10_000,
    keepalive: 30,
    resubscribe: false,
  });

  /** The park-level rules see each meter's merged state as readings: telemetry first, then a status change. */
  function feedMeter(prev: DeviceLive | undefined, d: DeviceLive): void {
    const device = model.deviceById.get(d.id);
    if (!alerting || !device || d.kind !== 'meter' || d.ts === null) return;
    const base = { device: d.id, kind: 'meter' as const, ts: d.ts, receivedAt: d.seenAt ?? now(), enterprise: device.enterprise ?? null, zone: device.zone };
    const seq = (): number => {
      const s = (feedSeq.get(d.id) ?? 0) + 1;
      feedSeq.set(d.id, s);
      return s;
    };
    if (d.t && d.ts !== prev?.ts) alerting.onReading({ ...base, channel: 'telemetry', seq: seq(), values: d.t } as Reading, false);
    if (d.status !== 'unknown' && d.status !== prev?.status) alerting.onReading({ ...base, channel: 'status', seq: seq(), values: { state: d.status } } as Reading, false);
  }

  function acceptCount(n: number, shard: number): boolean {
    if (count === null) {
      count = n;
      perShard = devicesPerShard(model, n);
      log.info({ shards: n }, 'shard count learned from the first part');
    }
    if (n !== count || shard >= count) {
      stats.invalidParts++;
      warn('shard-count', { shard, says: n, expected: count }, 'a shard reports another shard count than the others: check --ingest-shard and the cluster mappings');
      return false;
    }
    return true;
  }

  function onLive(shard: number, body: ShardLive): void {
    if (body.shard !== shard || !acceptCount(body.count, shard)) return;
    const p = parts.get(shard) ?? { live: null, lastAt: 0, rev: 0, alerts: [], silent: false, alertsSeen: false };
    if (!body.full && p.live !== null && body.seq !== p.rev + 1) stats.shardGaps++;
    p.live = body;
    p.rev = body.seq;
    p.lastAt = now();
    if (p.silent) log.info({ shard }, 'shard reporting again');
    p.silent = false;
    parts.set(shard, p);
    for (const d of body.devices) {
      if (!devices.has(d.id) || shardOf(d.id, count!) !== shard) {
        stats.invalidParts++;
        warn('foreign-device', { shard, device: d.id }, 'a shard reported a device that is not its own; ignored');
        continue;
      }
      const prev = devices.get(d.id);
      devices.set(d.id, d);
      changed.add(d.id);
      feedMeter(prev, d);
    }
  }

  function onAlerts(shard: number, list: Alert[], n: number): void {
    if (!acceptCount(n, shard)) return;
    const p = parts.get(shard) ?? { live: null, lastAt: now(), rev: 0, alerts: [], silent: false, alertsSeen: false };
    p.alerts = list;
    p.alertsSeen = true;
    parts.set(shard, p);
    scheduleAlerts();
  }

  const scheduleAlerts = onceSoon(() => publishAlerts());

  /** After a (re)connect: hold until every shard's retained live and alerts parts are in, or the warm-up is over. */
  function warm(): boolean {
    if (now() >= warmUntil) return true;
    if (count === null) return false;
    for (let k = 0; k < count; k++) {
      const p = parts.get(k);
      if (!p?.live || !p.alertsSeen) return false;
    }
    warmUntil = 0;
    return true;
  }

  function publishAlerts(): void {
    if (!client.connected || !warm()) return; // published in full on the next connect, or once warm
    const all = [...ownAlerts];
    for (const p of parts.values()) all.push(...p.alerts);
    all.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.openedAt - a.openedAt);
    const body: AlertsActive = { at: now(), alerts: all };
    client.publish(activeTopic, JSON.stringify(body), { qos: 1, retain: true });
    // The statuses that explain the alerts right behind them, as a single ingest does.
    publishLive('delta');
  }

  /** Where the park-level alerting publishes: its own list joins the shards'; replies go out as they are. */
  function alertingPublish(topic: string, payload: string, retain: boolean): boolean {
    if (!client.connected) return false;
    if (topic === activeTopic) {
      const parsed = alertsActiveSchema.safeParse(JSON.parse(payload));
      ownAlerts = parsed.success ? parsed.data.alerts : ownAlerts;
      scheduleAlerts();
      return true;
    }
    client.publish(topic, payload, { qos: 1, retain });
    return true;
  }

  function summary() {
    const heard: ShardLive[] = [];
    const missing = [];
    if (count !== null) {
      for (let k = 0; k < count; k++) {
        const live = parts.get(k)?.live;
        if (live) heard.push(live);
        else missing.push(perShard!.get(k)!);
      }
    }
    return mergeSummaries(model, heard, missing, now());
  }

  function publishLive(part: 'snapshot' | 'delta'): void {
    if (!client.connected || count === null || !warm()) return;
    if (part === 'delta') {
      rev++;
      const body: LiveMessage = { seq: rev, heartbeatMs, summary: summary(), devices: [...changed].map((id) => devices.get(id)!) };
      changed.clear();
      client.publish(liveTopic(model.id, 'delta'), JSON.stringify(body), { qos: 1 });
    } else {
      const body: LiveMessage = { seq: rev, heartbeatMs, summary: summary(), devices: [...devices.values()] };
      client.publish(liveTopic(model.id, 'snapshot'), JSON.stringify(body), { qos: 1, retain: true });
    }
  }

  function onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic === opsTopic) {
      if (alerting) void alerting.onAction(payload);
      return;
    }
    const where = parseShardPartTopic(topic, model.id);
    if (!where) return;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      json = undefined;
    }
    if (where.part === 'alerts') {
      const parsed = shardAlertsSchema.safeParse(json);
      if (!parsed.success) return invalid(where.shard, where.part);
      if (parsed.data.shard !== where.shard) return invalid(where.shard, where.part);
      return onAlerts(where.shard, parsed.data.alerts, parsed.data.count);
    }
    const parsed = shardLiveSchema.safeParse(json);
    if (!parsed.success || parsed.data.full !== (where.part === 'snapshot')) return invalid(where.shard, where.part);
    onLive(where.shard, parsed.data);
    void packet;
  }

  function invalid(shard: number, part: string): void {
    stats.invalidParts++;
    warn('invalid-part', { shard, part }, 'unreadable shard part refused');
  }

  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  client.on('connect', (connack) => {
    log.info({ sessionPresent: connack.sessionPresent }, 'connected to broker');
    warmUntil = now() + (opts.warmUpMs ?? 3000);
    setTimeout(() => publishAlerts(), (opts.warmUpMs ?? 3000) + 10).unref();
    alerting?.attach(alertingPublish);
    subscribeAll(client, [shardPartsFilter(model.id), ...(alerting ? [opsTopic] : [])], log, () => {
      publishAlerts();
      readyResolve();
    });
  });
  client.on('message', onMessage);
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  client.on('offline', () => log.warn('broker unreachable; reconnecting'));
  client.on('close', () => alerting?.detach());
  const watchdog = opts.jetstream ? watchJetStream(client, clientId, opts.jetstream, opts.logger) : null;

  // Every interval, changes or not: the screen tells a quiet park from a stopped pipeline by these.
  const deltaTimer = setInterval(() => publishLive('delta'), heartbeatMs);
  const snapshotTimer = setInterval(() => publishLive('snapshot'), opts.snapshotIntervalMs ?? 5000);
  const silenceTimer = setInterval(() => {
    if (count === null) return;
    const t = now();
    for (let k = 0; k < count; k++) {
      const p = parts.get(k);
      const silent = !p || t - p.lastAt > silentAfterMs;
      if (silent && p && !p.silent) log.warn({ shard: k, silentS: Math.round((t - p.lastAt) / 1000) }, 'shard silent: its devices keep their last state');
      if (p) p.silent = silent;
    }
  }, 1000);

  function shardStates(): ShardState[] {
    const out: ShardState[] = [];
    const known = new Map<number, number>();
    if (count !== null) for (const d of devices.values()) if (d.status !== 'unknown') known.set(shardOf(d.id, count), (known.get(shardOf(d.id, count)) ?? 0) + 1);
    for (let k = 0; k < (count ?? 0); k++) {
      const p = parts.get(k);
      out.push({ shard: k, lastAt: p?.lastAt ?? null, rev: p?.rev ?? 0, devices: known.get(k) ?? 0, alerts: p?.alerts.length ?? 0, silent: !p || p.silent || p.live === null });
    }
    return out;
  }

  log.info({ devices: model.devices.length }, 'aggregator started');
  let closed = false;
  return {
    ready: () => readyPromise,
    healthy: () => client.connected && count !== null && shardStates().every((s) => !s.silent),
    stats: () => ({
      connected: client.connected,
      shardCount: count,
      shards: shardStates(),
      ...stats,
      rev,
      openAlerts: ownAlerts.length + [...parts.values()].reduce((n, p) => n + p.alerts.length, 0),
      consumerStalls: watchdog?.stalls() ?? 0,
      alerts: alerting?.stats() ?? null,
    }),
    async close() {
      if (closed) return;
      closed = true;
      watchdog?.close();
      clearInterval(deltaTimer);
      clearInterval(snapshotTimer);
      clearInterval(silenceTimer);
      publishLive('snapshot');
      await alerting?.close();
      await leaveBroker(client, log);
      log.info({ rev }, 'aggregator stopped');
    },
  };
}
