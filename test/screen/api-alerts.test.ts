// The console's alert API end to end: a real device raises an alert in the ingest, an operator
// acknowledges and shelves it over HTTP, the state reaches the wall's WebSocket, history and the
// audit trail answer, the CSV export matches the chain, and an unreachable ingest gives 504.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAlertDb, type AlertDb } from '../../ingest/alerts/alert-db.ts';
import type { Alert, AuditRecord } from '../../shared/schema.ts';
import { watchAlerts, type AlertWatch } from '../helpers/alert-watch.ts';
import { createTestDevices, type TestDevices } from '../helpers/devices.ts';
import type { HttpClient } from '../helpers/http-client.ts';
import { signedInOperator } from '../helpers/operator-session.ts';
import { openWallSocket, type WallSocket } from '../helpers/wall-socket.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

describe('alert API', () => {
  let park: TestPark;
  let devices: TestDevices;
  let watch: AlertWatch;
  let op: HttpClient;
  let wall: WallSocket;
  let offline: Alert;

  beforeAll(async () => {
    park = await startPark({
      alertRules: { tickMs: 100, rules: { 'camera-offline': { noTelemetryMs: 60_000, offDelayMs: 200 } } },
      screenOptions: { actionTimeoutMs: 1500 },
    });
    devices = createTestDevices(park);
    watch = await watchAlerts(park);
    op = await signedInOperator(park, '赵六');
    // The wall: what a browser on /ws sees.
    wall = await openWallSocket(park.screenWsUrl);
    const cam = await devices.connect('cam-030');
    await cam.stop();
    offline = await watch.waitOpen({ rule: 'camera-offline', device: 'cam-030' });
  });
  afterAll(async () => {
    wall?.close();
    await watch?.close();
    await devices?.closeAll();
    await park?.stop();
  });

  it('lists the open alerts with filters', async () => {
    await waitFor('the alert on the screen server', async () => (await op.get('/api/alerts')).json<{ alerts: Alert[] }>().alerts.length > 0);
    const major = (await op.get(`/api/alerts?severity=major,critical&kind=camera&zone=${offline.zone},nowhere`)).json<{ alerts: Alert[] }>();
    expect(major.alerts.map((a) => a.id)).toContain(offline.id);
    expect((await op.get('/api/alerts?severity=warning')).json<{ alerts: Alert[] }>().alerts).toEqual([]);
    expect((await op.get('/api/alerts?zone=nowhere')).json<{ alerts: Alert[] }>().alerts).toEqual([]);
    expect((await op.get('/api/alerts?state=acknowledged')).json<{ alerts: Alert[] }>().alerts).toEqual([]);
    expect((await op.get('/api/alerts?severity=bogus')).status).toBe(400);
  });

  it('acknowledges with a required note, attributed to the operator, and the wall sees it', async () => {
    expect((await op.post(`/api/alerts/${offline.id}/ack`, { note: '   ' })).status).toBe(400);
    expect((await op.post(`/api/alerts/${offline.id}/ack`, {})).status).toBe(400);
    const res = await op.post(`/api/alerts/${offline.id}/ack`, { note: '已通知维修, 工单 #42 "东门"' });
    expect(res.status).toBe(200);
    const { alert } = res.json<{ alert: Alert }>();
    expect(alert).toMatchObject({ id: offline.id, state: 'acknowledged', ack: { by: '赵六', note: '已通知维修, 工单 #42 "东门"' } });
    await waitFor('the acknowledgement on the wall', () => wall.alerts().find((a) => a.id === offline.id && a.state === 'acknowledged'), 5000);
    const again = await op.post(`/api/alerts/${offline.id}/ack`, { note: 'again' });
    expect(again.status).toBe(409);
    expect(again.json()).toMatchObject({ error: 'already-acknowledged', alert: { state: 'acknowledged' } });
    expect((await op.post('/api/alerts/no-such-alert/ack', { note: 'x' })).status).toBe(404);
  });

  it('shelves for a while and unshelves', async () => {
    expect((await op.post(`/api/alerts/${offline.id}/shelve`, { minutes: 30 })).status).toBe(400); // note required
    expect((await op.post(`/api/alerts/${offline.id}/shelve`, { note: 'x', minutes: 0 })).status).toBe(400);
    const before = Date.now();
    const shelved = await op.post(`/api/alerts/${offline.id}/shelve`, { note: 'camera under maintenance', minutes: 30 });
    expect(shelved.status).toBe(200);
    const a = shelved.json<{ alert: Alert }>().alert;
    expect(a).toMatchObject({ state: 'shelved', shelf: { by: '赵六', note: 'camera under maintenance' } });
    expect(a.shelvedUntil! - before).toBeGreaterThanOrEqual(30 * 60_000 - 1000);
    expect((await op.post(`/api/alerts/${offline.id}/shelve`, { note: 'x', minutes: 5 })).status).toBe(409);
    const back = await op.post(`/api/alerts/${offline.id}/unshelve`, {});
    expect(back.status).toBe(200);
    expect(back.json<{ alert: Alert }>().alert).toMatchObject({ state: 'acknowledged', shelvedUntil: null });
  });

  it('answers 504 when the ingest does not answer in time; the outcome then settles, audited', async () => {
    const cam = await devices.connect('cam-031');
    await cam.stop();
    const a = await watch.waitOpen({ rule: 'camera-offline', device: 'cam-031' });
    await park.stopIngest();
    const res = await op.post(`/api/alerts/${a.id}/ack`, { note: 'nobody home' });
    expect(res.status).toBe(504);
    expect(res.json()).toMatchObject({ error: 'ingest-timeout' });
    await park.startIngest();
    await watch.waitOpen({ id: a.id });
    // Its queued request reaches the ingest after the restart; by then it is not too old here
    // (actionMaxAgeMs 30 s), so it applies and is audited: the 504 said "unknown", and it is.
    const now = await waitFor('the late acknowledgement settled', () => watch.active.find((x) => x.id === a.id && x.state === 'acknowledged'), 10_000);
    expect(now.ack?.by).toBe('赵六');
  });

  it('searches history, shows one alert with its trail, and pages the audit trail', async () => {
    const cam = await devices.connect('cam-030'); // back online: the first alert clears
    await watch.waitGone({ id: offline.id });
    const hist = (await op.get('/api/alerts/history?q=cam-030')).json<{ alerts: Alert[] }>();
    expect(hist.alerts.map((a) => [a.id, a.state, a.clearReason])).toEqual([[offline.id, 'cleared', 'back-online']]);
    expect((await op.get(`/api/alerts/history?q=${encodeURIComponent('维修')}`)).json<{ alerts: Alert[] }>().alerts.map((a) => a.id)).toEqual([offline.id]);
    expect((await op.get('/api/alerts/history?state=cleared&rule=camera-offline')).json<{ alerts: Alert[] }>().alerts.length).toBe(1);
    expect((await op.get(`/api/alerts/history?from=${Date.now() + 60_000}`)).json<{ alerts: Alert[] }>().alerts).toEqual([]);
    const one = (await op.get(`/api/alerts/${offline.id}`)).json<{ alert: Alert; audit: AuditRecord[] }>();
    expect(one.alert.state).toBe('cleared');
    expect(one.audit.map((r) => [r.action, r.actor, r.ok])).toEqual([
      ['raise', 'system', true], ['ack', '赵六', true], ['ack', '赵六', false], ['shelve', '赵六', true], ['shelve', '赵六', false], ['unshelve', '赵六', true], ['clear', 'system', true],
    ]);
    const mine = (await op.get(`/api/audit?actor=${encodeURIComponent('赵六')}&ok=false`)).json<{ records: AuditRecord[] }>().records;
    expect(mine.map((r) => r.code)).toEqual(expect.arrayContaining(['already-acknowledged', 'already-shelved']));
    const page1 = (await op.get('/api/audit?limit=3')).json<{ records: AuditRecord[] }>().records;
    const page2 = (await op.get(`/api/audit?limit=3&beforeSeq=${page1.at(-1)!.seq}`)).json<{ records: AuditRecord[] }>().records;
    expect(page2[0]!.seq).toBe(page1.at(-1)!.seq - 1);
    await cam.stop();
  });

  it('exports the trail as CSV that matches the hash chain, and verifies the chain', async () => {
    const res = await op.get('/api/audit.csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="parkpulse-audit-/);
    expect(res.text.startsWith('\uFEFFseq,time_local,at_ms,actor,action,alert_id')).toBe(true);
    const lines = res.text.trim().split('\r\n');
    let db: AlertDb | null = null;
    try {
      db = openAlertDb(park.alertsDbPath, { readOnly: true });
      const all = db.auditChunk(0, 10_000);
      expect(lines.length - 1).toBe(all.length);
      const last = lines.at(-1)!.split(',');
      expect(last.at(-1)).toBe(all.at(-1)!.hash);
      expect(res.text).toContain('"已通知维修, 工单 #42 ""东门"""'); // quoted, quotes doubled
    } finally {
      db?.close();
    }
    const v = (await op.get('/api/audit/verify')).json();
    expect(v).toMatchObject({ ok: true });
  });
});
