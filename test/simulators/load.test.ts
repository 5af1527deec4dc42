// Load mode against the real park (127.0.0.1, a few hundred devices, a few seconds): every device
// its own connection through a ramp, payloads of the asked size that the ingest accepts, every
// acknowledged message stored, and connection failures reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLoadModel } from '../../shared/load-model.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { runLoad, shardDevices, type LoadReport } from '../../simulators/load.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

// Few enough to connect well within the run on a busy 2-core machine (connections ran at ~40/s here
// with four other test suites on the CPUs).
const DEVICES = 120;

describe('load mode', () => {
  let park: TestPark;
  let report: LoadReport;
  const sizes = new Map<number, number>();
  const clientIds = new Set<string>();

  beforeAll(async () => {
    park = await startPark({ screen: false, model: buildLoadModel(DEVICES, loadParkModel()) });
    park.broker.aedes.on('publish', (packet, client) => {
      if (!client || !packet.topic.endsWith('/telemetry')) return;
      clientIds.add(client.id);
      sizes.set(packet.payload.length, (sizes.get(packet.payload.length) ?? 0) + 1);
    });
    const run = await runLoad({
      model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger,
      rampPerSec: 200, ratePerSec: 2, payloadBytes: 300, durationMs: 9000,
    });
    const seen = [run.progress()];
    const poll = setInterval(() => seen.push(run.progress()), 200);
    report = await run.done;
    clearInterval(poll);
    expect(seen.some((p) => p.connected === DEVICES)).toBe(true);
  });
  afterAll(async () => park?.stop());

  it('connects every load device with its own connection, and none fails', () => {
    expect(report.devices).toBe(DEVICES);
    expect(report.connectFailures).toBe(0);
    expect(report.refused).toBe(0);
    expect(report.allConnectedAfterS).not.toBeNull();
    expect(clientIds.size).toBe(DEVICES);
    for (const id of clientIds) expect(id).toMatch(/^ld-\d{5}$/);
  });

  it('publishes payloads of exactly the asked size, accepted by the strict schema', async () => {
    expect([...sizes.keys()]).toEqual([300]);
    await waitFor('every acknowledged reading stored', () => park.ingest!.stats().pendingWrites === 0 && park.ingest!.stats().accepted >= report.acked);
    expect(park.ingest!.stats().rejected).toBe(0);
    const keys = (await (await park.reader()).keys()).filter((k) => k.channel === 'telemetry' && k.device.startsWith('ld-'));
    expect(keys.length).toBe(report.acked);
  });

  it('reports the rates it aimed at and achieved', () => {
    expect(report.targetRatePerSec).toBe(DEVICES * 2);
    expect(report.sent).toBe(report.acked + report.failed);
    expect(report.acked).toBeGreaterThan(0);
    expect(report.overallRatePerSec).toBeGreaterThan(0);
  });

  it('reports devices the broker refuses as connection failures', async () => {
    const run = await runLoad({
      model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger,
      devices: 20, rampPerSec: 100, ratePerSec: 1, payloadBytes: 0, durationMs: 4000,
      secretFor: (id) => (Number(id.slice(3)) % 4 === 0 ? 'not-the-secret' : undefined)!,
    });
    const r = await run.done;
    expect(r.devices).toBe(20);
    expect(r.connectFailures).toBe(5);
    expect(r.refused).toBe(5);
    expect(r.connectErrors).toEqual({ 4: 5 });
    expect(r.allConnectedAfterS).toBeNull();
    expect(r.achievedRatePerSec).toBeNull();
  });

  it('splits the devices between processes without overlap', () => {
    const shares = [0, 1, 2].map((index) => shardDevices(park.model, 100, { index, count: 3 }).map((d) => d.id));
    expect(shares.map((s) => s.length)).toEqual([34, 33, 33]);
    expect(new Set(shares.flat()).size).toBe(100);
    expect(() => shardDevices(park.model, 5000, { index: 0, count: 1 })).toThrow(/--load-devices 5000/);
    expect(() => shardDevices(loadParkModel(), undefined, { index: 0, count: 1 })).toThrow(/no load devices/);
  });
});
