// Scenario files: every example parses against the park model; a bad file fails with the step at
// fault; and every step of simulators/scenarios/every-fault-quick.yaml has the effect it names, seen
// where a user would see it (the store, the ingest's reject counters, the live snapshot the screen
// reads, the devices' reconnects).
import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadParkModel } from '../../shared/park-model.ts';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { buildScenario, loadScenario, parseDuration, type Scenario } from '../../simulators/scenario.ts';
import { runScenario, type ScenarioReport, type StepReport } from '../../simulators/scenario-runner.ts';
import { watchLive, type LiveWatch } from '../helpers/live.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

const DIR = 'simulators/scenarios';
const model = loadParkModel();

describe('scenario files', () => {
  it.each(readdirSync(DIR).filter((f) => /\.(ya?ml|json)$/.test(f)))('%s is valid for the park', (file) => {
    const s = loadScenario(join(DIR, file), model);
    expect(s.steps.length).toBeGreaterThan(0);
    expect(s.duration).toBeGreaterThan(s.steps.at(-1)!.at);
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(3)).toBe(3000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it.each([
    [{ name: 'x', steps: [{ at: '1s', action: 'camera-offline', device: 'cam-999' }] }, /steps\.0 \(camera-offline\): unknown device "cam-999"/],
    [{ name: 'x', steps: [{ at: '1s', action: 'node-degrade', device: 'cam-001' }] }, /cam-001 is a camera, not a node5g/],
    [{ name: 'x', steps: [{ at: '1s', action: 'meter-spike', enterprise: 'zhonghai', device: 'mtr-zhonghai-1' }] }, /either an enterprise or a device/],
    [{ name: 'x', steps: [{ at: '1s', action: 'intrusion', zone: 'moon' }] }, /unknown zone "moon"/],
    [{ name: 'x', steps: [{ at: 'later', action: 'broker-restart' }] }, /steps\.0\.at: not a duration/],
    [{ name: 'x', steps: [{ at: '1s', action: 'explode' }] }, /steps\.0\.action/],
    [{ name: 'x', steps: [{ at: '1s', action: 'node-drop', device: 'g5-01', colour: 'red' }] }, /colour/],
    [{ name: 'x', steps: [] }, /steps/],
  ])('refuses %j with a clear message', (raw, message) => {
    expect(() => buildScenario(raw, model, 'test.yaml')).toThrow(message);
  });

  it('refuses a broker restart without a way to restart the broker', () => {
    const s = buildScenario({ name: 'x', steps: [{ at: '1s', action: 'broker-restart' }] }, model);
    expect(() => runScenario({ scenario: s, fleet: {} as Fleet, model, logger: undefined as never })).toThrow(/embedded park/);
  });
});

describe('every-fault-quick.yaml against the real park', () => {
  let park: TestPark;
  let fleet: Fleet;
  let live: LiveWatch;
  let scenario: Scenario;
  let report: ScenarioReport;
  const steps: (StepReport & { seenAt: number })[] = [];
  let db: Database.Database;
  let startedAt = 0;
  let restartedAt = 0;
  const connectedBeforeRestart: number[] = [];

  beforeAll(async () => {
    park = await startPark({ ingest: false, screen: false });
    await park.startIngest({ snapshotIntervalMs: 150 });
    live = await watchLive(park);
    scenario = loadScenario(join(DIR, 'every-fault-quick.yaml'), park.model);
    fleet = await createFleet({ model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger, intervalMs: scenario.intervalMs!, reconnectPeriodMs: 300 });
    await fleet.connected();
    await waitFor('every device online in the live state', () => live.latest()?.devices.every((d) => d.status === 'online'));
    startedAt = Date.now();
    const run = runScenario({
      scenario, fleet, model: park.model, logger: park.logger,
      restartBroker: async (downForMs) => {
        connectedBeforeRestart.push(fleet.stats().connected);
        await park.restartBroker(downForMs);
        restartedAt = Date.now();
      },
      onStep: (r) => steps.push({ ...r, seenAt: Date.now() }),
    });
    report = await run.done;
    db = new Database(park.sqlitePath, { readonly: true });
  });

  afterAll(async () => {
    db?.close();
    await live?.close();
    await fleet?.close();
    await park?.stop();
  });

  const rows = <T>(sql: string, ...args: unknown[]): T[] => db.prepare(sql).all(...args) as T[];
  const stepAt = (action: string, device?: string): number => {
    const s = steps.find((r) => r.action === action && (!device || r.detail.includes(device)));
    if (!s) throw new Error(`no step ${action} ${device ?? ''}`);
    return s.seenAt;
  };

  it('runs every step, and restores the faults that last', () => {
    expect(report.failed).toBe(0);
    expect(steps.filter((s) => s.action !== 'restore')).toHaveLength(scenario.steps.length);
    expect(steps.filter((s) => s.action === 'restore').map((s) => s.detail).sort()).toEqual(
      ['cam-015: stream back', 'enterprise zhonghai (mtr-zhonghai-1, mtr-zhonghai-2) back to its profile', 'g5-03 radio quality restored'].sort(),
    );
  });

  it('camera offline by its will: a will in the store, offline on the wall, then back online', async () => {
    const wills = rows<{ seq: number }>("SELECT seq FROM device_status WHERE device = 'cam-012' AND state = 'offline' AND will = 1");
    expect(wills).toHaveLength(1);
    await live.until('cam-012 offline', (s) => s.devices.find((d) => d.id === 'cam-012')?.status === 'offline');
    // device-online at 8 s: a new session, seq continuing after the will's session
    const online = rows<{ seq: number }>("SELECT seq FROM device_status WHERE device = 'cam-012' AND state = 'online' ORDER BY seq");
    expect(online.at(-1)!.seq).toBeGreaterThan(wills[0]!.seq);
    expect(live.device('cam-012')?.status).toBe('online');
  });

  it('camera offline gracefully: a retained offline status that is not a will', async () => {
    expect(rows("SELECT seq FROM device_status WHERE device = 'cam-013' AND state = 'offline' AND (will IS NULL OR will = 0)")).toHaveLength(1);
    expect(live.device('cam-013')?.status).toBe('offline');
    const after = rows("SELECT seq FROM camera_telemetry WHERE device = 'cam-013' AND received_at > ?", stepAt('camera-offline', 'cam-013') + 500);
    expect(after).toHaveLength(0);
  });

  it('camera offline silently: still connected, but no telemetry after the step', () => {
    const t = stepAt('camera-offline', 'cam-014');
    expect(rows("SELECT seq FROM camera_telemetry WHERE device = 'cam-014' AND received_at > ?", t + 500)).toHaveLength(0);
    expect(rows("SELECT seq FROM camera_telemetry WHERE device = 'cam-014' AND received_at < ?", t).length).toBeGreaterThan(0);
    expect(fleet.client('cam-014')!.connected).toBe(true);
  });

  it('camera stream lost: telemetry says offline for the fault, and the wall counts it offline', async () => {
    expect(rows("SELECT seq FROM camera_telemetry WHERE device = 'cam-015' AND online = 0").length).toBeGreaterThan(3);
    await live.until('cam-015 streaming nothing', (s) => s.devices.find((d) => d.id === 'cam-015')?.t?.online === false);
    // restored after 3 s: the newest reading streams again
    const last = rows<{ online: number }>("SELECT online FROM camera_telemetry WHERE device = 'cam-015' ORDER BY seq DESC LIMIT 1");
    expect(last[0]!.online).toBe(1);
  });

  it('intrusion: three intrusion events from cameras of the zone', async () => {
    const events = rows<{ device: string }>("SELECT device FROM camera_events WHERE type = 'intrusion' AND zone = 'prj'");
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (const e of events) expect(park.model.deviceById.get(e.device)!.zone).toBe('prj');
    await live.until('the intrusions on the wall', (s) => s.summary.cameras.latestEvents.filter((e) => e.type === 'intrusion').length >= 3);
  });

  it('5G node degraded below the alert thresholds, then restored', async () => {
    const bad = rows("SELECT seq FROM node5g_telemetry WHERE device = 'g5-03' AND rsrp_dbm < -110 AND sinr_db < 0 AND latency_ms > 50");
    expect(bad.length).toBeGreaterThan(5);
    await live.until('g5-03 degraded', (s) => ((s.devices.find((d) => d.id === 'g5-03')?.t?.rsrpDbm as number) ?? 0) < -110);
    const last = rows<{ rsrp_dbm: number }>("SELECT rsrp_dbm FROM node5g_telemetry WHERE device = 'g5-03' ORDER BY seq DESC LIMIT 1");
    expect(last[0]!.rsrp_dbm).toBeGreaterThan(-110);
    // nobody else degraded
    expect(rows("SELECT seq FROM node5g_telemetry WHERE device <> 'g5-03' AND rsrp_dbm < -110")).toHaveLength(0);
  });

  it('5G node dropped: its will in the store and the node down on the wall', async () => {
    expect(rows("SELECT seq FROM device_status WHERE device = 'g5-04' AND state = 'offline' AND will = 1")).toHaveLength(1);
    await live.until('a node down', (s) => s.summary.nodes.down >= 1 && s.devices.find((d) => d.id === 'g5-04')?.status === 'offline');
  });

  it('meter spike: the enterprise above its contracted capacity on the wall', async () => {
    const contract = park.model.enterpriseById.get('zhonghai')!.contractKw;
    const s = await live.until('zhonghai over contract', (x) => (x.summary.energy.enterprises.find((e) => e.id === 'zhonghai')?.kw ?? 0) > contract);
    expect(s.summary.energy.enterprises.find((e) => e.id === 'zhonghai')!.kw).toBeLessThan(contract * 1.4);
    // nobody else is over
    for (const e of live.latest()!.summary.energy.enterprises) {
      if (e.id !== 'zhonghai') expect(e.kw, e.id).toBeLessThan(park.model.enterpriseById.get(e.id)!.contractKw);
    }
  });

  it('malformed bursts: each payload counted under its reject reason', () => {
    const rejects = park.ingest!.stats().rejects;
    expect(rejects['json-malformed']).toBe(25);
    expect(rejects['schema-invalid']).toBe(5);
    expect(park.ingest!.stats().rejected).toBe(30);
  });

  it('broker restart: every connected device reconnects by itself and keeps publishing', async () => {
    expect(restartedAt).toBeGreaterThan(startedAt);
    const expected = connectedBeforeRestart[0]!;
    expect(expected).toBe(park.model.devices.length - 3); // cam-012, cam-013, g5-04 were offline then
    expect(fleet.stats().reconnects).toBeGreaterThanOrEqual(expected);
    expect(park.broker.stats().connectsAccepted).toBeGreaterThanOrEqual(expected);
    // telemetry from every device that was online, after the restart
    const fresh = new Set(
      rows<{ device: string }>(
        `SELECT device FROM camera_telemetry WHERE received_at > @t UNION SELECT device FROM node5g_telemetry WHERE received_at > @t
         UNION SELECT device FROM meter_telemetry WHERE received_at > @t`,
        { t: restartedAt },
      ).map((r) => r.device),
    );
    const silent = ['cam-013', 'cam-014', 'g5-04']; // still offline or silent at the end
    for (const d of park.model.devices) if (!silent.includes(d.id)) expect(fresh.has(d.id), d.id).toBe(true);
  });
});
