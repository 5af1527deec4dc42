// An ingest restart keeps alert state and the audit trail: open alerts come back with their ids,
// acknowledgements and counts; conditions that persist update them; what changed while the ingest
// was down is caught up from retained status; the trail's chain continues unbroken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAlertDb, verifyTrail, type AlertDb } from '../../../ingest/alerts/alert-db.ts';
import type { AlertReply } from '../../../shared/schema.ts';
import { watchAlerts, type AlertWatch } from '../../helpers/alert-watch.ts';
import { createTestDevices, type TestDevices } from '../../helpers/devices.ts';
import { startPark, waitFor, type TestPark } from '../../../testkit/park.ts';

describe('alerts across an ingest restart', () => {
  let park: TestPark;
  let devices: TestDevices;
  let watch: AlertWatch;
  let db: AlertDb;

  beforeAll(async () => {
    park = await startPark({
      screen: false,
      alertRules: { tickMs: 100, actionMaxAgeMs: 1000, rules: { 'camera-offline': { noTelemetryMs: 60_000, offDelayMs: 300 }, 'camera-intrusion': { offDelayMs: 60_000 } } },
    });
    devices = createTestDevices(park);
    watch = await watchAlerts(park);
    db = openAlertDb(park.alertsDbPath, { readOnly: true });
  });
  afterAll(async () => {
    db?.close();
    await watch?.close();
    await devices?.closeAll();
    await park?.stop();
  });

  it('keeps open alerts, acknowledgements and the trail, and catches up on what happened meanwhile', async () => {
    const cam20 = await devices.connect('cam-020');
    await cam20.stop();
    const offline = await watch.waitOpen({ rule: 'camera-offline', device: 'cam-020' });
    const cam21 = await devices.connect('cam-021');
    await cam21.publish('event', { type: 'intrusion', zone: 'prj', confidence: 0.9 });
    const intrusion = await watch.waitOpen({ rule: 'camera-intrusion', device: 'cam-021' });
    const ack = await watch.act({ action: 'ack', alertId: intrusion.id, by: '王五', note: '保安已出发', requestId: 'ack-before-restart' });
    expect(ack.ok).toBe(true);
    const headBefore = db.head()!;
    expect(verifyTrail(db).ok).toBe(true);

    await park.stopIngest();
    // While the ingest is down: a camera goes offline (its retained status says so), and an
    // operator's acknowledgement waits in the broker's queue until it is too old to apply.
    const cam22 = await devices.connect('cam-022');
    await cam22.stop();
    const late = watch.act({ action: 'ack', alertId: offline.id, by: '王五', note: 'late', requestId: 'ack-while-down' }, 20_000);
    await sleep(1500);
    await park.startIngest();

    const stale: AlertReply = await late;
    expect(stale).toMatchObject({ ok: false, code: 'expired' });
    await watch.waitOpen({ rule: 'camera-offline', device: 'cam-022' });
    const back = watch.active;
    expect(back.find((a) => a.device === 'cam-020')).toMatchObject({ id: offline.id, state: 'active', openedAt: offline.openedAt });
    expect(back.find((a) => a.device === 'cam-021')).toMatchObject({ id: intrusion.id, state: 'acknowledged', ack: { by: '王五', note: '保安已出发' } });

    // The same condition after the restart updates the same alert.
    await cam21.publish('event', { type: 'intrusion', zone: 'prj', confidence: 0.95 });
    await waitFor('the intrusion alert updated, not duplicated', () => watch.active.find((a) => a.id === intrusion.id && a.count === 2));
    expect(watch.active.filter((a) => a.device === 'cam-021')).toHaveLength(1);
    // A request seen before the restart is answered again, not applied twice.
    const again = await watch.act({ action: 'ack', alertId: intrusion.id, by: '王五', note: '保安已出发', requestId: 'ack-before-restart' });
    expect(again).toMatchObject({ ok: true });
    expect((db.db.prepare("SELECT COUNT(*) AS n FROM audit WHERE request_id = 'ack-before-restart'").get() as { n: number }).n).toBe(1);

    // The camera returns: the alert opened before the restart clears itself.
    await devices.connect('cam-020');
    await watch.waitGone({ id: offline.id });

    const verdict = verifyTrail(db);
    expect(verdict.ok).toBe(true);
    expect(db.auditChunk(headBefore.seq - 1, 1)[0]!.hash).toBe(headBefore.hash); // history untouched
    const after = db.auditChunk(headBefore.seq, 100);
    expect(after.map((r) => [r.action, r.ok, r.code])).toEqual(
      expect.arrayContaining([['ack', false, 'expired'], ['raise', true, null], ['clear', true, 'back-online']]),
    );
    expect(after[0]!.prevHash).toBe(headBefore.hash);
  });
});
