// Backpressure from the bus to the devices (broker/admission-gate.ts). The gate's thresholds; and on
// real sockets, a broker whose subscriber (the ingest account) stops reading: the gate closes while
// deliveries are stuck, services are still served, and once the subscriber reads again every
// message a device had acknowledged arrives and the devices are read again. (What the gate buys
// under real overload, a bounded bus and full throughput, is measured by the e2e benchmark.)
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { createAdmissionGate, type Holdable } from '../../broker/admission-gate.ts';
import { ReadHold } from '../../broker/read-hold.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { serviceAccountId } from '../../shared/registry.ts';
import { deviceFilters, deviceTopic } from '../../shared/topics.ts';
import { leanConnect, type LeanClient } from '../../bench/load/lean-client.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

describe('the admission gate', () => {
  it('holds streams at the high water and releases them all at the low water', async () => {
    let queued = 0;
    const gate = createAdmissionGate({ highWater: 10, lowWater: 3 }, () => queued, 1);
    const log: string[] = [];
    const stream = (name: string): Holdable => ({ hold: () => log.push(`hold ${name}`), release: () => log.push(`release ${name}`) });
    const a = stream('a');
    const b = stream('b');
    gate.admit(a);
    expect(gate.closed).toBe(false);
    queued = 10;
    gate.admit(a);
    gate.admit(a);
    gate.admit(b);
    expect(gate.closed).toBe(true);
    expect(log).toEqual(['hold a', 'hold b']);
    queued = 5;
    await new Promise((r) => setTimeout(r, 20));
    expect(gate.closed).toBe(true);
    queued = 3;
    await waitFor('gate open', () => !gate.closed, 2000, 5);
    expect(log).toEqual(['hold a', 'hold b', 'release a', 'release b']);
    expect(gate.closings).toBe(1);
    gate.stop();
  });
});

describe('what the gate counts', () => {
  it('counts the packets handed on in this turn, which Aedes has not parsed onto the bus yet', async () => {
    const gate = createAdmissionGate({ highWater: 800, lowWater: 100 }, () => 0, 1);
    const held: string[] = [];
    const stream = (name: string): Holdable => ({ hold: () => held.push(name), release: () => {} });
    // One 64 KiB read of a QoS 0 flood is ~400 packets: two reach the high water, the third connection is held.
    gate.admit(stream('a'), 400);
    gate.admit(stream('b'), 400);
    gate.admit(stream('c'), 400);
    expect(held).toEqual(['c']);
    expect(gate.closed).toBe(true);
    // Opened again (nothing on the bus), a later turn starts from what is on the bus.
    await waitFor('gate open', () => !gate.closed, 2000, 1);
    gate.admit(stream('d'), 400);
    expect(held).toEqual(['c']);
    gate.stop();
  });

  it("asks about a held connection's stashed chunk when it is released, and keeps it while held again", () => {
    const inner = new PassThrough();
    const pushed: number[] = [];
    const asked: number[] = [];
    let holdAgain = false;
    const reads: ReadHold = new ReadHold(inner, (chunk) => (pushed.push(chunk.length), true), (packets) => {
      asked.push(packets);
      if (holdAgain) reads.hold('gate');
    });
    reads.hold('gate');
    expect(reads.deliver(Buffer.alloc(64), 4)).toBe(false); // stashed, not asked while held
    expect(asked).toEqual([]);
    holdAgain = true;
    reads.release(false, 'gate');
    expect([asked, pushed]).toEqual([[4], []]); // asked, and held again: still stashed
    holdAgain = false;
    reads.release(false, 'gate');
    expect([asked, pushed]).toEqual([[4, 4], [64]]);
    expect(reads.deliver(Buffer.alloc(32), 2)).toBe(true); // a fresh chunk is asked too
    expect([asked, pushed]).toEqual([[4, 4, 2], [64, 32]]);
    inner.destroy();
  });
});

describe('a broker whose subscriber stops reading', () => {
  let park: TestPark;
  const clients: { end(): void }[] = [];
  beforeAll(async () => {
    // Held as soon as anything waits in the bus, released once it is empty. The bus queues once
    // `busConcurrency` deliveries are stuck: 100 here (Aedes's own default) so this park's few
    // devices fill it well within the subscriber's drain timeout.
    // The stopped subscriber is not cut as a slow consumer while the test fills its buffers (a
    // loaded machine takes several seconds to).
    park = await startPark({ ingest: false, screen: false, broker: { drainTimeoutMs: 60_000, limits: { busConcurrency: 100, admission: { highWater: 1, lowWater: 0 }, rate: { perSecond: 0, burst: 1 } } } });
  });
  afterAll(async () => {
    for (const c of clients) c.end();
    await park?.stop();
  });

  it('closes while deliveries are stuck, keeps serving the services, and delivers everything once the subscriber reads again', async () => {
    const ingestId = serviceAccountId('ingest');
    const sub = await mqtt.connectAsync(park.mqttUrl, { clientId: ingestId, username: ingestId, password: park.provisioned.serviceSecrets.ingest, clean: false, reconnectPeriod: 0 });
    clients.push({ end: () => sub.end(true) });
    await sub.subscribeAsync(deviceFilters(park.model.id), { qos: 1 });
    const received = new Set<string>();
    sub.on('message', (_t, payload) => received.add(payload.toString()));
    // The ingest stops reading its socket: the broker's deliveries back up into the bus.
    sub.stream.pause();

    const devices = park.model.devices;
    const pubs: LeanClient[] = await Promise.all(devices.map((d) => leanConnect({ host: '127.0.0.1', port: park.tcp.port, clientId: d.id, username: d.id, password: deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, d.id), window: 20 })));
    for (const p of pubs) clients.push(p);
    let seq = 0;
    const flood = async (ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        for (let i = 0; i < pubs.length; i++) {
          while (pubs[i]!.publish(deviceTopic(park.model.id, devices[i]!.kind, devices[i]!.id, 'telemetry'), `${devices[i]!.id}:${++seq}`, 1));
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    // Flood until the subscriber's socket buffers are full and deliveries stop: the bus then holds
    // messages and the gate stays closed. Until the kernel's buffers are full, deliveries still
    // complete and the queue can drain to 0 a moment before the gate's next poll opens it, so the
    // state is judged, and asserted, on one snapshot.
    const deadline = Date.now() + 30_000;
    let closedSince = 0;
    let held = park.broker.stats();
    while (Date.now() < deadline) {
      await flood(100);
      held = park.broker.stats();
      if (!held.admissionHeld || held.busQueued === 0) closedSince = 0;
      else if (closedSince === 0) closedSince = Date.now();
      else if (Date.now() - closedSince > 500) break;
    }
    expect(held.admissionHeld).toBe(true);
    expect(held.admissionPauses).toBeGreaterThan(0);
    expect(held.busQueued).toBeGreaterThan(0);

    // A service account is still read while the devices are held: its SUBSCRIBE is answered.
    const screenId = serviceAccountId('screen');
    const screen = await mqtt.connectAsync(park.mqttUrl, { clientId: screenId, username: screenId, password: park.provisioned.serviceSecrets.screen, reconnectPeriod: 0 });
    clients.push({ end: () => screen.end(true) });
    const granted = await screen.subscribeAsync(`park/${park.model.id}/live/#`, { qos: 0 });
    expect(granted[0]?.qos).toBe(0);

    // The ingest reads again: everything acknowledged to a device arrives, and the devices go on.
    sub.stream.resume();
    const ackedAtHold = pubs.reduce((n, p) => n + p.acked, 0);
    await waitFor('every acknowledged message delivered', () => received.size >= ackedAtHold, 20_000);
    await waitFor('the gate open again', () => !park.broker.stats().admissionHeld, 5000);
    await flood(200);
    await waitFor('devices read again', () => pubs.reduce((n, p) => n + p.acked, 0) > ackedAtHold, 5000);
  });
});
