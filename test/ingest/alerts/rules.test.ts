// Every alert rule against the real park: a real broker, the ingest with its alert database, and
// real device clients (own credentials, retained status, last will) driving each condition in and
// out. Durations are shortened in the rules config so the scenarios run in seconds. Each scenario
// checks that exactly the alerts a security officer would expect were raised, and how they ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAlertDb, alertFromBody, type AlertDb } from '../../../ingest/alerts/alert-db.ts';
import type { Alert } from '../../../shared/schema.ts';
import type { DeviceClient } from '../../../simulators/device-client.ts';
import { FAST_ALERT_RULES, watchAlerts, type AlertWatch } from '../../helpers/alert-watch.ts';
import { createTestDevices, type TestDevices } from '../../helpers/devices.ts';
import { startPark, waitFor, type TestPark } from '../../../testkit/park.ts';


type Values = Record<string, unknown>;

describe('alert rules, driven by real devices', () => {
  let park: TestPark;
  let devices: TestDevices;
  let watch: AlertWatch;
  let db: AlertDb;
  const beats: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    park = await startPark({ screen: false, alertRules: FAST_ALERT_RULES });
    devices = createTestDevices(park);
    watch = await watchAlerts(park);
    db = openAlertDb(park.alertsDbPath, { readOnly: true });
  });
  afterAll(async () => {
    for (const b of beats) clearInterval(b);
    db?.close();
    await watch?.close();
    await devices?.closeAll();
    await park?.stop();
  });

  /** Every alert ever raised for a device (cleared ones too), oldest first. */
  const history = (device: string): Alert[] =>
    (db.db.prepare('SELECT body FROM alerts WHERE device = ? ORDER BY opened_at, rowid').all(device) as { body: string }[]).map((r) => alertFromBody(r.body));

  /** A live device: telemetry every 150 ms from `values()` until stopped or the test file ends. */
  async function live(id: string, values: () => Values, opts: { now?: () => number } = {}): Promise<{ client: DeviceClient; stop(): void; resume(): void }> {
    const client = await devices.connect(id, opts);
    const send = (): void => void client.publish('telemetry', values()).catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const resume = (): void => {
      send();
      timer = setInterval(send, 150);
      beats.push(timer);
    };
    resume();
    return { client, stop: () => clearInterval(timer), resume };
  }
  const camera = (o: Values = {}) => () => ({ online: true, fps: 25, bitrateKbps: 4000, storageUsedPct: 40, ...o });
  const node = (o: () => Values) => () => ({ rsrpDbm: -85, sinrDb: 15, dlMbps: 600, ulMbps: 80, latencyMs: 12, connectedUes: 40, ...o() });
  const meter = (kw: () => number) => () => ({ kw: kw(), kwh: 1000, voltage: 400, current: 150, powerFactor: 0.95 });

  it('camera offline: announced offline, gone without a word (last will), silent, or streaming nothing', async () => {
    const byStatus = await live('cam-001', camera());
    const byWill = await live('cam-002', camera());
    const silent = await live('cam-003', camera());
    let streaming = true;
    await live('cam-004', () => camera({ online: streaming, fps: streaming ? 25 : 0 })());
    await sleep(400);
    expect(watch.active.filter((a) => ['cam-001', 'cam-002', 'cam-003', 'cam-004'].includes(a.device))).toEqual([]);

    byStatus.stop();
    await byStatus.client.stop();
    byWill.stop();
    byWill.client.kill();
    silent.stop();
    streaming = false;
    const [a1, a2, a3, a4] = await Promise.all(['cam-001', 'cam-002', 'cam-003', 'cam-004'].map((device) => watch.waitOpen({ rule: 'camera-offline', device })));
    expect(a1).toMatchObject({ severity: 'major', state: 'active', kind: 'camera', zone: 'mfg', enterprise: 'longyuan', detail: { cause: 'status-offline', lastWill: false } });
    expect(a2!.detail).toMatchObject({ cause: 'status-offline', lastWill: true });
    expect(a3!.detail).toMatchObject({ cause: 'no-telemetry' });
    expect(a4!.detail).toMatchObject({ cause: 'stream-down' });
    expect(a1!.title).toContain('摄像机离线');

    // Back: reconnect, resume, stream again. Each alert clears itself with the reason recorded.
    await live('cam-001', camera());
    await live('cam-002', camera());
    silent.resume();
    streaming = true;
    for (const device of ['cam-001', 'cam-002', 'cam-003', 'cam-004']) {
      await watch.waitGone({ rule: 'camera-offline', device });
      const h = history(device);
      expect(h.map((a) => [a.rule, a.state, a.clearReason])).toEqual([['camera-offline', 'cleared', 'back-online']]);
    }
  });

  it('camera events: intrusion and tamper (critical, latched), loitering, video loss; motion and unsure events raise nothing', async () => {
    const cam5 = await live('cam-005', camera());
    const first = await cam5.client.publish('event', { type: 'intrusion', zone: 'mfg', confidence: 0.92 });
    const intrusion = await watch.waitOpen({ rule: 'camera-intrusion', device: 'cam-005' });
    expect(intrusion).toMatchObject({ severity: 'critical', state: 'active', count: 1, detail: { event: 'intrusion', confidence: 0.92 } });
    expect(first.seq).toBeGreaterThan(0);
    await cam5.client.publish('event', { type: 'intrusion', zone: 'mfg', confidence: 0.81 });
    await waitFor('the second intrusion counted on the same alert', () => watch.active.find((a) => a.id === intrusion.id && a.count === 2));
    // Quiet for longer than the quiet time: latched, so it waits for an operator.
    const latched = await waitFor('intrusion latched', () => watch.active.find((a) => a.id === intrusion.id && a.recoveredAt !== null), 5000);
    expect(latched.state).toBe('active');
    const reply = await watch.act({ action: 'ack', alertId: intrusion.id, by: '值班员', note: '已调取录像，确认为巡逻人员' });
    expect(reply).toMatchObject({ ok: true, code: null });
    await watch.waitGone({ id: intrusion.id });
    expect(history('cam-005').map((a) => [a.rule, a.state, a.clearReason, a.ack?.by])).toEqual([['camera-intrusion', 'cleared', 'acknowledged-after-recovery', '值班员']]);

    const cam6 = await live('cam-006', camera());
    await cam6.client.publish('event', { type: 'tamper', zone: 'mfg', confidence: 0.7 });
    expect(await watch.waitOpen({ rule: 'camera-tamper', device: 'cam-006' })).toMatchObject({ severity: 'critical' });

    const cam7 = await live('cam-007', camera());
    await cam7.client.publish('event', { type: 'motion', zone: 'mfg', confidence: 0.99 });
    await cam7.client.publish('event', { type: 'loitering', zone: 'mfg', confidence: 0.3 }); // below minConfidence
    await sleep(500);
    expect(history('cam-007')).toEqual([]);
    await cam7.client.publish('event', { type: 'loitering', zone: 'mfg', confidence: 0.8 });
    const loitering = await watch.waitOpen({ rule: 'camera-loitering', device: 'cam-007' });
    expect(loitering.severity).toBe('minor');
    await watch.waitGone({ id: loitering.id }); // not latched: clears after the quiet time
    expect(history('cam-007').map((a) => [a.rule, a.clearReason])).toEqual([['camera-loitering', 'quiet']]);

    let fps = 25;
    const cam8 = await live('cam-008', () => camera({ fps })());
    fps = 0;
    await cam8.client.publish('event', { type: 'video_loss', zone: 'mfg', confidence: 1 });
    const loss = await watch.waitOpen({ rule: 'camera-video-loss', device: 'cam-008' });
    await sleep(800); // frames still missing: it stays
    expect(watch.active.some((a) => a.id === loss.id)).toBe(true);
    fps = 25;
    await watch.waitGone({ id: loss.id });
    expect(history('cam-008').map((a) => [a.rule, a.clearReason])).toEqual([['camera-video-loss', 'video-restored']]);
  });

  it('an unacknowledged critical alert escalates and is republished until acknowledged', async () => {
    const tamper = await watch.waitOpen({ rule: 'camera-tamper', device: 'cam-006' });
    const escalated = await waitFor('escalation', () => watch.active.find((a) => a.id === tamper.id && a.escalations >= 2), 6000);
    expect(escalated.escalatedAt).toBeGreaterThan(escalated.openedAt);
    const reply = await watch.act({ action: 'ack', alertId: tamper.id, by: 'li.wei', note: 'guard sent to check the camera' });
    expect(reply.ok).toBe(true);
    expect(reply.alert).toMatchObject({ state: 'acknowledged', ack: { by: 'li.wei', note: 'guard sent to check the camera' } });
    const after = reply.alert!.escalations;
    await sleep(2000);
    const now = watch.active.find((a) => a.id === tamper.id) ?? history('cam-006')[0]!;
    expect(now.escalations).toBe(after);
    const trail = db.db.prepare("SELECT action, actor FROM audit WHERE alert_id = ? ORDER BY seq").all(tamper.id) as { action: string; actor: string }[];
    expect(trail.filter((r) => r.action === 'escalate').length).toBe(after);
    expect(trail.find((r) => r.action === 'ack')?.actor).toBe('li.wei');
  });

  it('5G node: a blip raises nothing; SINR, latency or RSRP out of range for the set time raises one alert that clears; a node that drops is offline', async () => {
    let bad: Values = {};
    await live('g5-01', node(() => bad));
    bad = { rsrpDbm: -118 };
    await sleep(400);
    bad = {};
    await sleep(1200);
    expect(history('g5-01')).toEqual([]);
    bad = { sinrDb: -3 };
    const sinr = await watch.waitOpen({ rule: 'node5g-degraded', device: 'g5-01' });
    expect(sinr).toMatchObject({ severity: 'minor', detail: { breached: 'sinr', sinrDb: -3 } });
    // Confirmed by each further reading: the one alert is updated, no other opens.
    await waitFor('re-confirmations', () => watch.active.find((a) => a.id === sinr.id && a.count >= 3), 5000);
    expect(watch.active.filter((a) => a.device === 'g5-01')).toHaveLength(1);
    bad = {};
    await watch.waitGone({ id: sinr.id });

    let bad2: Values = {};
    await live('g5-02', node(() => bad2));
    bad2 = { latencyMs: 85, rsrpDbm: -112 };
    expect((await watch.waitOpen({ rule: 'node5g-degraded', device: 'g5-02' })).detail).toMatchObject({ breached: 'rsrp,latency', latencyMs: 85 });
    bad2 = {};
    await watch.waitGone({ rule: 'node5g-degraded', device: 'g5-02' });
    for (const device of ['g5-01', 'g5-02']) expect(history(device).map((a) => [a.rule, a.clearReason])).toEqual([['node5g-degraded', 'signal-restored']]);

    const g3 = await live('g5-03', node(() => ({})));
    g3.stop();
    g3.client.kill();
    expect(await watch.waitOpen({ rule: 'node5g-offline', device: 'g5-03' })).toMatchObject({ severity: 'major', detail: { lastWill: true } });
    await live('g5-03', node(() => ({})));
    await watch.waitGone({ rule: 'node5g-offline', device: 'g5-03' });
    expect(history('g5-03').map((a) => [a.rule, a.clearReason])).toEqual([['node5g-offline', 'back-online']]);
  });

  it('meters: offline, a sudden spike, and an enterprise over its contracted capacity (summed over its meters)', async () => {
    const hengxin = await live('mtr-hengxin-1', meter(() => 120));
    hengxin.stop();
    expect((await watch.waitOpen({ rule: 'meter-offline', device: 'mtr-hengxin-1' })).detail).toMatchObject({ cause: 'no-telemetry' });
    hengxin.resume();
    await watch.waitGone({ rule: 'meter-offline', device: 'mtr-hengxin-1' });

    let kw = 100;
    await live('mtr-liandong-1', meter(() => kw));
    await sleep(300);
    kw = 320; // +220 kW, +220 %: a spike, still under liandong's 630 kW contract
    const spike = await watch.waitOpen({ rule: 'power-spike', device: 'mtr-liandong-1' });
    expect(spike.detail).toMatchObject({ fromKw: 100, kw: 320, riseKw: 220 });
    await watch.waitGone({ id: spike.id });

    // Longyuan (contract 9000 kW) has two meters: each alone is under it, together they are over.
    let kw2 = 4000;
    await live('mtr-longyuan-1', meter(() => 4000));
    await live('mtr-longyuan-2', meter(() => kw2));
    await sleep(300);
    kw2 = 5500; // +1500 kW but +37.5 %: not a spike
    const over = await watch.waitOpen({ rule: 'enterprise-overload' });
    expect(over).toMatchObject({ key: 'enterprise-overload:longyuan', enterprise: 'longyuan', device: 'mtr-longyuan-1', severity: 'major', detail: { kw: 9500, contractKw: 9000, meters: 2 } });
    expect(over.title).toBe('负荷超合同容量 · 龙源铝业');
    kw2 = 4000;
    await watch.waitGone({ id: over.id });

    expect(history('mtr-hengxin-1').map((a) => [a.rule, a.clearReason])).toEqual([['meter-offline', 'back-online']]);
    expect(history('mtr-liandong-1').map((a) => [a.rule, a.clearReason])).toEqual([['power-spike', 'quiet']]);
    expect(history('mtr-longyuan-1').map((a) => [a.key, a.clearReason])).toEqual([['enterprise-overload:longyuan', 'load-normal']]);
    expect(history('mtr-longyuan-2')).toEqual([]);
  });

  it('stale data: readings that arrive long after the device took them, sustained, raise one alert that clears when they are current', async () => {
    // A device clock a minute behind (or a device sending a buffered backlog), from the start.
    let lagMs = 60_000;
    await live('g5-04', node(() => ({})), { now: () => Date.now() - lagMs });
    const stale = await watch.waitOpen({ rule: 'stale-data', device: 'g5-04' });
    expect(stale).toMatchObject({ severity: 'warning' });
    expect(Number(stale.detail.lagS)).toBeGreaterThanOrEqual(59);
    lagMs = 0;
    await watch.waitGone({ id: stale.id });
    expect(history('g5-04').map((a) => [a.rule, a.clearReason])).toEqual([['stale-data', 'data-fresh']]);
  });

  it('a device whose connection flaps yields one alert, in the flapping state, that clears once it is calm', async () => {
    const publishesBefore = watch.publishes;
    for (let i = 0; i < 6; i++) {
      const c = await devices.connect('cam-010');
      await c.publish('telemetry', camera()());
      await c.stop();
      await waitFor('offline seen', () => watch.active.some((a) => a.device === 'cam-010'), 5000, 10);
    }
    const flapping = await watch.waitOpen({ rule: 'camera-offline', device: 'cam-010', state: 'flapping' });
    expect(flapping.flips).toBeGreaterThanOrEqual(4);
    await live('cam-010', camera());
    await watch.waitGone({ device: 'cam-010' }, 10_000);
    const h = history('cam-010');
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({ id: flapping.id, state: 'cleared', clearReason: 'back-online' });
    expect(h[0]!.count).toBeGreaterThanOrEqual(6);
    // One alert, not a storm: the wall got a bounded number of list updates for it.
    expect(watch.publishes - publishesBefore).toBeLessThan(200);
  });

  it('raised nothing that nobody asked for, and the audit trail explains every alert', () => {
    const keys = (db.db.prepare('SELECT DISTINCT key FROM alerts ORDER BY key').all() as { key: string }[]).map((r) => r.key);
    expect(keys).toEqual([
      'camera-intrusion:cam-005', 'camera-loitering:cam-007', 'camera-offline:cam-001', 'camera-offline:cam-002', 'camera-offline:cam-003',
      'camera-offline:cam-004', 'camera-offline:cam-010', 'camera-tamper:cam-006', 'camera-video-loss:cam-008', 'enterprise-overload:longyuan',
      'meter-offline:mtr-hengxin-1', 'node5g-degraded:g5-01', 'node5g-degraded:g5-02', 'node5g-offline:g5-03', 'power-spike:mtr-liandong-1',
      'stale-data:g5-04',
    ]);
    const raised = db.db.prepare("SELECT COUNT(*) AS n FROM audit WHERE action = 'raise'").get() as { n: number };
    const alerts = db.db.prepare('SELECT COUNT(*) AS n FROM alerts').get() as { n: number };
    expect(raised.n).toBe(alerts.n);
    const cleared = db.db.prepare("SELECT COUNT(*) AS n FROM alerts WHERE state = 'cleared'").get() as { n: number };
    const clears = db.db.prepare("SELECT COUNT(*) AS n FROM audit WHERE action = 'clear'").get() as { n: number };
    expect(clears.n).toBe(cleared.n);
  });
});
