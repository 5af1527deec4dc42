// The one live model the ingest publishes, against a real broker with real device clients: one
// schema and one counter for snapshot and delta, deltas as a heartbeat, timestamps bounded by the
// ingest clock (a reading from the future is rejected; one slightly ahead or late cannot freeze or
// age a device), and a device's effective status decided once, with its alert.
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveMessageSchema, type Alert, type DeviceLive, type LiveMessage } from '../../shared/schema.ts';
import { alertsActiveTopic, liveTopic } from '../../shared/topics.ts';
import { FAST_ALERT_RULES, watchAlerts, type AlertWatch } from '../helpers/alert-watch.ts';
import { createTestDevices, type TestDevices } from '../helpers/devices.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

const METER = { kw: 100, kwh: 1000, voltage: 400, current: 150, powerFactor: 0.95 };
const CAMERA = { online: true, fps: 25, bitrateKbps: 4000, storageUsedPct: 40 };

describe('the live model', () => {
  let park: TestPark;
  let devices: TestDevices;
  let watch: AlertWatch;
  let client: MqttClient;
  const deltas: { at: number; msg: LiveMessage }[] = [];
  const snapshots: LiveMessage[] = [];
  const alertLists: { at: number; alerts: Alert[] }[] = [];

  beforeAll(async () => {
    park = await startPark({ screen: false, alertRules: FAST_ALERT_RULES, liveIntervalMs: 100 });
    devices = createTestDevices(park);
    watch = await watchAlerts(park);
    client = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-screen-live-model', username: 'svc-screen', password: park.provisioned.serviceSecrets.screen });
    client.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as unknown;
      if (topic === alertsActiveTopic(park.model.id)) alertLists.push({ at: Date.now(), alerts: (body as { alerts: Alert[] }).alerts });
      else if (topic.endsWith('/delta')) deltas.push({ at: Date.now(), msg: liveMessageSchema.parse(body) });
      else snapshots.push(liveMessageSchema.parse(body));
    });
    await client.subscribeAsync([liveTopic(park.model.id, 'snapshot'), liveTopic(park.model.id, 'delta'), alertsActiveTopic(park.model.id)], { qos: 1 });
  });
  afterAll(async () => {
    await client?.endAsync();
    await watch?.close();
    await devices?.closeAll();
    await park?.stop();
  });

  /** The device as the newest delta that carried it says. */
  const latest = (id: string): DeviceLive | undefined => deltas.findLast((d) => d.msg.devices.some((x) => x.id === id))?.msg.devices.find((x) => x.id === id);

  it('publishes snapshot and delta with one schema and one counter, and deltas as a heartbeat', async () => {
    await waitFor('a snapshot and a few deltas', () => snapshots.length > 0 && deltas.length > 5);
    const from = deltas.length;
    await sleep(700); // nothing happens in the park meanwhile
    const quiet = deltas.slice(from).map((d) => d.msg);
    expect(quiet.length).toBeGreaterThanOrEqual(4); // every 100 ms, changes or not
    for (let i = 1; i < quiet.length; i++) expect(quiet[i]!.seq).toBe(quiet[i - 1]!.seq + 1);
    expect(quiet.every((m) => m.heartbeatMs === 100 && m.devices.length === 0)).toBe(true);
    const snap = snapshots.at(-1)!;
    expect(snap.devices).toHaveLength(park.model.devices.length);
    expect(snap.seq).toBeLessThanOrEqual(quiet.at(-1)!.seq);
  });

  it('rejects a reading from the future as ts-future (counted, acknowledged) and keeps the device live', async () => {
    const meter = await devices.connect('mtr-longyuan-1');
    await meter.publish('telemetry', { ...METER, kw: 111 });
    await waitFor('the first reading live', () => latest('mtr-longyuan-1')?.t?.kw === 111);
    const before = park.ingest!.stats().rejects['ts-future'] ?? 0;
    // Ten minutes ahead, and the year 3000 (the schema alone admits either): PUBACKed, not applied.
    await meter.publishRaw('telemetry', JSON.stringify({ ts: Date.now() + 600_000, seq: meter.nextSeq + 50, ...METER, kw: 999 }));
    await meter.publishRaw('telemetry', JSON.stringify({ ts: Date.UTC(3000, 0, 1), seq: meter.nextSeq + 51, ...METER, kw: 998 }));
    await waitFor('both counted', () => (park.ingest!.stats().rejects['ts-future'] ?? 0) === before + 2);
    await meter.publish('telemetry', { ...METER, kw: 222 });
    await waitFor('the next reading live', () => latest('mtr-longyuan-1')?.t?.kw === 222);
    const newest = deltas.at(-1)!.msg.summary.newest.meter!;
    expect(newest).toBeLessThanOrEqual(Date.now());
    expect(newest).toBeGreaterThan(Date.now() - 10_000);
  });

  it('bounds a clock slightly ahead by the ingest clock, and never ages a device for a late reading', async () => {
    const meter = await devices.connect('mtr-zhonghai-1');
    // Four minutes ahead: within INGEST_MAX_FUTURE_MS, accepted, but it cannot claim to be newer
    // than what arrives next.
    await meter.publishRaw('telemetry', JSON.stringify({ ts: Date.now() + 240_000, seq: meter.nextSeq + 10, ...METER, kw: 301 }));
    await waitFor('the early reading live', () => latest('mtr-zhonghai-1')?.t?.kw === 301);
    expect(latest('mtr-zhonghai-1')!.ts!).toBeLessThanOrEqual(Date.now());
    await sleep(20);
    await meter.publish('telemetry', { ...METER, kw: 302 });
    await waitFor('the next reading is not frozen out', () => latest('mtr-zhonghai-1')?.t?.kw === 302);
    const fresh = latest('mtr-zhonghai-1')!;
    // Ten minutes late (a backlog, a replay): stored, but the live values and freshness stay.
    await meter.publishRaw('telemetry', JSON.stringify({ ts: Date.now() - 600_000, seq: meter.nextSeq + 20, ...METER, kw: 1 }));
    await sleep(400);
    const after = park.ingest!.stats();
    expect(after.rejects['ts-future'] ?? 0).toBe(2); // only the two of the test before
    const now = latest('mtr-zhonghai-1')!;
    expect(now.t?.kw).toBe(302);
    expect(now.ts).toBeGreaterThanOrEqual(fresh.ts!);
    expect(now.seenAt).toBeGreaterThanOrEqual(fresh.seenAt!);
  });

  it('decides a camera streaming nothing is offline once: in the device, the counts and its alert', async () => {
    const cam = await devices.connect('cam-030');
    await cam.publish('telemetry', CAMERA);
    await waitFor('cam-030 online', () => latest('cam-030')?.status === 'online');
    const online = deltas.at(-1)!.msg.summary.cameras.online;
    await cam.publish('telemetry', { ...CAMERA, online: false, fps: 0, bitrateKbps: 0 });
    await waitFor('cam-030 offline, stream down', () => latest('cam-030')?.status === 'offline' && latest('cam-030')?.cause === 'stream-down');
    const summary = deltas.at(-1)!.msg.summary.cameras;
    expect(summary.online).toBe(online - 1);
    const alert = await watch.waitOpen({ rule: 'camera-offline', device: 'cam-030' });
    expect(alert.detail.cause).toBe('stream-down');
    await cam.publish('telemetry', CAMERA);
    await waitFor('cam-030 online again', () => latest('cam-030')?.status === 'online');
    await waitFor('its alert back to normal at once', () => watch.active.find((a) => a.id === alert.id)?.normalSince != null, 2000);
  });

  it('turns a silent device offline in the live state together with its alert', async () => {
    const cam = await devices.connect('cam-031');
    await cam.publish('telemetry', CAMERA);
    await waitFor('cam-031 online', () => latest('cam-031')?.status === 'online');
    // Silence: FAST_ALERT_RULES give cameras 1.5 s.
    const status = await waitFor('cam-031 offline by silence', () => deltas.find((d) => d.msg.devices.some((x) => x.id === 'cam-031' && x.status === 'offline' && x.cause === 'no-telemetry')), 10_000);
    const raised = await waitFor('its alert', () => alertLists.find((l) => l.alerts.some((a) => a.device === 'cam-031' && a.rule === 'camera-offline')), 10_000);
    // The same decision, published together: the wall's counts and its board change at once.
    expect(Math.abs(status.at - raised.at)).toBeLessThan(250);
  });

  it('does not accuse devices that left with a planned shutdown; one that died meanwhile is alerted at once', async () => {
    const meters = await Promise.all(['mtr-hengxin-1', 'mtr-yuanhai-1'].map((id) => devices.connect(id)));
    for (const m of meters) await m.publish('telemetry', METER);
    const doomed = await devices.connect('cam-032');
    await doomed.publish('telemetry', CAMERA);
    await waitFor('all online', () => ['mtr-hengxin-1', 'mtr-yuanhai-1', 'cam-032'].every((id) => latest(id)?.status === 'online'));
    // The park stops together: rules first, then the devices leave (retained offline), then the ingest.
    park.ingest!.stopRules();
    for (const m of meters) await m.stop();
    await sleep(300);
    await park.stopIngest();
    // While it is down, a camera dies for real.
    await doomed.stop();
    await sleep(200);
    deltas.length = 0;
    await park.startIngest();
    await watch.waitOpen({ rule: 'camera-offline', device: 'cam-032' }, 5000);
    await sleep(800);
    expect(watch.active.filter((a) => a.rule === 'meter-offline' && ['mtr-hengxin-1', 'mtr-yuanhai-1'].includes(a.device))).toHaveLength(0);
    expect(latest('mtr-hengxin-1')?.status ?? 'unknown').toBe('unknown');
    expect(latest('cam-032')?.status).toBe('offline');
    // They come back: online, and never alerted.
    const back = await Promise.all(['mtr-hengxin-1', 'mtr-yuanhai-1'].map((id) => devices.connect(id)));
    for (const m of back) await m.publish('telemetry', METER);
    await waitFor('back online', () => ['mtr-hengxin-1', 'mtr-yuanhai-1'].every((id) => latest(id)?.status === 'online'));
    expect(alertLists.some((l) => l.alerts.some((a) => a.rule === 'meter-offline' && a.device === 'mtr-hengxin-1'))).toBe(false);
  });
});
