// A sharded park: the merge of the shards' live parts equals what one ingest derives from the same
// readings; and on a real nats-server (one node, our generated config with the device-shard
// mappings) two ingest shards and the aggregator give the screen one park: every device in the
// live snapshot, a shard's camera alert and the aggregator's enterprise alert in one list, and
// exactly one answer to every operator action, all in one audit trail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { createAggregator, type Aggregator } from '../../../ingest/aggregator/create-aggregator.ts';
import { mergeSummaries } from '../../../ingest/aggregator/merge-live.ts';
import { openAlertDb, verifyTrail } from '../../../ingest/alerts/alert-db.ts';
import { parseAlertRules } from '../../../ingest/alerts/rules-config.ts';
import { createIngest, type Ingest } from '../../../ingest/create-ingest.ts';
import { createLiveState } from '../../../ingest/live-state.ts';
import { shardModel } from '../../../ingest/shard/shard-view.ts';
import { createSqliteStore } from '../../../ingest/store/sqlite-store.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { loadParkModel } from '../../../shared/park-model.ts';
import { readFleetKey, readServiceSecret, serviceUsername } from '../../../shared/registry.ts';
import { liveMessageSchema, type LiveMessage } from '../../../shared/schema.ts';
import { createDeviceStatus } from '../../../ingest/device-status.ts';
import type { ParkModel } from '../../../shared/park-model.ts';
import type { ShardLive } from '../../../shared/shard-schema.ts';
import { shardOf } from '../../../shared/shard-topics.ts';
import { liveTopic } from '../../../shared/topics.ts';
import { createFleet, type Fleet } from '../../../simulators/fleet.ts';
import { FAST_ALERT_RULES, watchAlerts, type AlertWatch } from '../../helpers/alert-watch.ts';
import { NATS_SERVER, startNatsCluster, type NatsCluster } from '../../../testkit/nats.ts';
import { waitFor } from '../../../testkit/park.ts';
import { sampleReadings } from '../../helpers/readings.ts';

const model = loadParkModel();
/** A live state with its own status book, fed as the ingest feeds both. */
function liveOf(m: ParkModel, at: number) {
  const devices = createDeviceStatus(m, { silenceMs: { camera: 3_600_000, node5g: 3_600_000, meter: 3_600_000 }, now: at });
  const live = createLiveState(m, { devices, heartbeatMs: 250 });
  return { apply: (r: Parameters<typeof live.apply>[0]) => (devices.apply(r, false), live.apply(r)), live, devices };
}
const counters = { ratePerSec: 1, accepted: 10, rejected: 1, rejects: { 'json-malformed': 1 }, gaps: 0, duplicates: 2 };

describe('merging shard parts', () => {
  it('gives the summary one ingest would give for the same readings', () => {
    // In arrival order = device time order, as a live park delivers them (latest events are by arrival).
    const readings = sampleReadings(model, { start: Date.now() - 60_000, stepMs: 1000, perDevice: 6, devices: 40 }).filter((r) => !(r.channel === 'status' && r.values.will)).sort((a, b) => a.ts - b.ts);
    const now = Date.now();
    for (const count of [2, 3, 5]) {
      const whole = liveOf(model, now);
      for (const r of readings) whole.apply(r);
      const parts: ShardLive[] = [];
      for (let k = 0; k < count; k++) {
        const view = shardModel(model, { index: k, count });
        const fed = liveOf(view, now);
        const live = fed.live;
        for (const r of readings) if (shardOf(r.device, count) === k) fed.apply(r);
        const snap = live.snapshot(now, counters);
        const nodesReporting = view.devicesOfKind('node5g').filter((d) => live.device(d.id)?.status === 'online' && live.device(d.id)?.t).length;
        parts.push({ shard: k, count, at: now, full: true, nodesReporting, ...snap });
      }
      const merged = mergeSummaries(model, parts, [], now);
      const expected = whole.live.snapshot(now, counters).summary;
      expect({ ...merged, ingest: null }, `${count} shards`).toEqual({ ...expected, ingest: null, nodes: { ...expected.nodes } });
      expect(merged.ingest.accepted).toBe(counters.accepted * count);
      expect(merged.ingest.rejects['json-malformed']).toBe(count);
    }
  });

  it('counts the devices of a shard not heard from as unknown', () => {
    const now = Date.now();
    const view = shardModel(model, { index: 0, count: 2 });
    const snap = liveOf(view, now).live.snapshot(now, counters);
    const missing = shardModel(model, { index: 1, count: 2 });
    const merged = mergeSummaries(model, [{ shard: 0, count: 2, at: now, full: true, nodesReporting: 0, ...snap }], [{ camera: missing.devicesOfKind('camera').length, node5g: missing.devicesOfKind('node5g').length, meter: missing.devicesOfKind('meter').length }], now);
    expect(merged.cameras.total).toBe(model.devicesOfKind('camera').length);
    expect(merged.cameras.unknown).toBe(model.devicesOfKind('camera').length);
    expect(merged.energy.metersTotal).toBe(model.devicesOfKind('meter').length);
  });
});

describe.skipIf(!NATS_SERVER)('a sharded park on nats-server: 2 ingest shards and the aggregator', () => {
  let dir: string;
  let cluster: NatsCluster | undefined;
  const shards: Ingest[] = [];
  let aggregator: Aggregator | undefined;
  let fleet: Fleet | undefined;
  let alerts: AlertWatch | undefined;
  let watcher: mqtt.MqttClient | undefined;

  afterAll(async () => {
    await fleet?.close();
    await alerts?.close();
    await watcher?.endAsync();
    for (const s of shards) await s.close();
    await aggregator?.close();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the screen one park and answers every operator action once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pp-aggregator-'));
    const parkDir = join(dir, 'dantu');
    cluster = await startNatsCluster({ dir, parks: [{ dataDir: parkDir, shards: 2 }], nodes: 1 });
    const url = cluster.mqttUrls;
    const secret = (role: 'ingest' | 'aggregator' | 'screen'): string => readServiceSecret(join(parkDir, 'secrets'), role);
    const rules = parseAlertRules({ version: 1, ...FAST_ALERT_RULES });
    const dbPath = join(parkDir, 'alerts.db');
    const logger = silentLogger();
    for (let k = 0; k < 2; k++) {
      const store = await createSqliteStore({ path: join(dir, `store-${k}.db`), model, logger });
      shards.push(await createIngest({ model, store, logger, mqtt: { url, username: serviceUsername('ingest', 'dantu'), password: secret('ingest') }, alerts: { rules, dbPath }, shard: { index: k, count: 2 }, liveIntervalMs: 100, snapshotIntervalMs: 1000 }));
    }
    aggregator = await createAggregator({ model, logger, mqtt: { url, username: serviceUsername('aggregator', 'dantu'), password: secret('aggregator') }, alerts: { rules, dbPath }, liveIntervalMs: 100, snapshotIntervalMs: 1000 });
    await Promise.all([...shards.map((s) => s.ready()), aggregator.ready()]);
    const snapshots: LiveMessage[] = [];
    watcher = await mqtt.connectAsync(url, { clientId: 'svc-screen-watch', username: serviceUsername('screen', 'dantu'), password: secret('screen'), protocolVersion: 4 });
    watcher.on('message', (_t, p) => snapshots.push(liveMessageSchema.parse(JSON.parse(p.toString()))));
    await watcher.subscribeAsync(liveTopic('dantu', 'snapshot'), { qos: 1 });
    alerts = await watchAlerts({ mqttUrl: url, model, provisioned: { serviceSecrets: { screen: secret('screen') } } });

    fleet = await createFleet({ model, url, fleetKey: readFleetKey(join(parkDir, 'secrets')), logger, intervalMs: 200 });
    await fleet.connected();
    const all = await waitFor('every device online in the park snapshot', () => snapshots.find((s) => s.devices.length === model.devices.length && s.devices.every((d) => d.status === 'online')) ?? null, 30_000, 100);
    expect(all.summary.cameras.total).toBe(model.devicesOfKind('camera').length);
    expect(all.summary.energy.metersTotal).toBe(model.devicesOfKind('meter').length);
    expect(aggregator.stats().shards.map((s) => s.devices)).toEqual([0, 1].map((k) => model.devices.filter((d) => shardOf(d.id, 2) === k).length));
    for (const [k, s] of shards.entries()) {
      expect(s.stats().rejects).toEqual({});
      expect(s.stats().accepted, `shard ${k}`).toBeGreaterThan(0);
    }

    // An enterprise whose meters sit on both shards, all at 1.5x their share of its contract.
    const ent = model.enterprises.find((e) => new Set(model.devicesOfKind('meter').filter((m) => m.enterprise === e.id).map((m) => shardOf(m.id, 2))).size === 2)!;
    expect(ent, 'an enterprise with meters on both shards').toBeDefined();
    for (const m of model.devicesOfKind('meter').filter((x) => x.enterprise === ent.id)) fleet.setFault(m.id, { type: 'spike', factor: 1.5 });
    const overload = await alerts.waitOpen({ rule: 'enterprise-overload', enterprise: ent.id }, 20_000);
    // A camera's intrusion: its shard's alert, in the same list.
    const cam = model.devicesOfKind('camera').find((d) => shardOf(d.id, 2) === 1)!;
    await fleet.sendEvent(cam.id, { type: 'intrusion', zone: 'gate', confidence: 0.95 });
    const intrusion = await alerts.waitOpen({ rule: 'camera-intrusion', device: cam.id }, 20_000);

    // Every action answered once: the shard owning the camera, the aggregator its enterprise alert
    // and an alert nobody has.
    let replies = 0;
    const counted = await mqtt.connectAsync(url, { clientId: 'svc-screen-replies', username: serviceUsername('screen', 'dantu'), password: secret('screen'), protocolVersion: 4 });
    counted.on('message', () => replies++);
    await counted.subscribeAsync('park/dantu/alerts/reply/#', { qos: 1 });
    const a1 = await alerts.act({ action: 'ack', alertId: intrusion.id, by: 'li.wei', note: 'guard sent' });
    const a2 = await alerts.act({ action: 'ack', alertId: overload.id, by: 'li.wei', note: 'called the site' });
    const a3 = await alerts.act({ action: 'ack', alertId: 'no-such-alert', by: 'li.wei', note: 'x' });
    expect([a1.ok, a2.ok, a3.ok, a3.code]).toEqual([true, true, false, 'alert-not-found']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(replies).toBe(3);
    await counted.endAsync();
    await alerts.waitOpen({ id: overload.id, state: 'acknowledged' });

    // One audit trail, written by three processes' worth of writers, still one valid chain.
    const db = openAlertDb(dbPath, { readOnly: true });
    try {
      expect(verifyTrail(db).ok).toBe(true);
      const acks = db.auditChunk(0, 10_000).filter((r) => r.action === 'ack');
      expect(acks.map((r) => [r.alertId, r.ok, r.code])).toEqual([[intrusion.id, true, null], [overload.id, true, null], ['no-such-alert', false, 'alert-not-found']]);
    } finally {
      db.close();
    }
  });
});
