// The fleet simulator against the real park: each device its own client, online retained, and a
// device that dies is marked offline by its last will.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveMessage } from '../../shared/schema.ts';
import { liveTopic } from '../../shared/topics.ts';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

describe('fleet simulator', () => {
  let park: TestPark;
  let fleet: Fleet;
  beforeAll(async () => {
    park = await startPark({ screen: false });
    fleet = await createFleet({ model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger, intervalMs: 200 });
    await fleet.connected();
  });
  afterAll(async () => {
    await fleet?.close();
    await park?.stop();
  });

  it('connects every device with its own client id and credentials', () => {
    expect(fleet.stats().connected).toBe(park.model.devices.length);
    expect(park.broker.stats().connectsAccepted).toBeGreaterThanOrEqual(park.model.devices.length);
  });

  it('publishes plausible telemetry that the ingest accepts', async () => {
    await waitFor('a few hundred readings', () => park.ingest!.stats().accepted > 300);
    const s = park.ingest!.stats();
    expect(s.rejected).toBe(0);
    const reader = await park.reader();
    const latest = await waitFor('every device has a reading', async () => {
      const l = await reader.latest();
      return l.length === park.model.devices.length ? l : null;
    });
    for (const l of latest.filter((x) => x.kind === 'meter')) {
      expect(l.values.kw as number).toBeGreaterThanOrEqual(0);
      expect(l.values.powerFactor as number).toBeGreaterThan(0.85);
    }
    for (const l of latest.filter((x) => x.kind === 'node5g')) {
      expect(l.values.rsrpDbm as number).toBeLessThan(-60);
      expect(l.values.rsrpDbm as number).toBeGreaterThan(-110);
    }
  });

  it('keeps meter kWh counters rising', async () => {
    const reader = await park.reader();
    const before = await reader.latest();
    await new Promise((r) => setTimeout(r, 600));
    const after = await reader.latest();
    for (const b of before.filter((x) => x.kind === 'meter')) {
      const a = after.find((x) => x.device === b.device)!;
      expect(a.values.kwh as number).toBeGreaterThanOrEqual(b.values.kwh as number);
      expect(a.seq).toBeGreaterThan(b.seq);
    }
  });

  it('marks a device that dies offline through its last will', async () => {
    // Watch the live state as the screen would (screen service account).
    const watcher = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-screen-test', username: 'svc-screen', password: park.provisioned.serviceSecrets.screen });
    const statuses: string[] = [];
    watcher.on('message', (topic, payload) => {
      const delta = JSON.parse(payload.toString()) as LiveMessage;
      const cam = delta.devices.find((d) => d.id === 'cam-010');
      if (cam) statuses.push(cam.status);
    });
    await watcher.subscribeAsync(liveTopic(park.model.id, 'delta'), { qos: 1 });
    await waitFor('cam-010 seen online', () => statuses.includes('online'));
    fleet.client('cam-010')!.kill(); // no DISCONNECT: the broker publishes the will
    await waitFor('cam-010 offline in the live state', () => statuses.at(-1) === 'offline');
    await watcher.endAsync();
    const camerasOnline = fleet.stats().connected;
    expect(camerasOnline).toBe(park.model.devices.length - 1);
  });
});
