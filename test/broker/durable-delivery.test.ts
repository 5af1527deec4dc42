// The broker's durable mode (aedes-persistence-level): every QoS 1 message delivered live, in
// order per topic, and acknowledged to its publisher only once it is stored. Each upstream Aedes
// behaviour the broker corrects is first reproduced on a plain Aedes with the same persistence;
// should one of those tests start failing, Aedes has fixed it and broker/durable-delivery.ts can
// be revisited.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
import persistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../broker/create-broker.ts';
import { listenTcp, type Listener } from '../../broker/listeners.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { silentLogger } from '../../shared/logger.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { serviceAccountId, type Provisioned } from '../../shared/registry.ts';
import { provisionDataDir } from '../../testkit/provisioning.ts';
import { deviceFilters, deviceTopic } from '../../shared/topics.ts';
import { TEST_SCRYPT } from '../../testkit/park.ts';

const model = loadParkModel();
const meters = model.devices.filter((d) => d.kind === 'meter').slice(0, 4);
const PER_PUBLISHER = 1500;

interface Target {
  url: string;
  /** Connect options for the subscriber and for publisher `i`. */
  subscriber: mqtt.IClientOptions;
  publisher(i: number): mqtt.IClientOptions;
  topic(i: number, retained: boolean): string;
  filters: string[];
  persistence(): { outgoingEnqueueCombi: (...a: unknown[]) => Promise<unknown> };
  close(): Promise<void>;
}

async function plainAedes(dir: string): Promise<Target> {
  const persistence = persistenceLevel(new Level<string, Buffer>(dir));
  const aedes = await Aedes.createBroker({ persistence });
  const server: Server = createServer((s) => aedes.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    subscriber: { clientId: 'sub', clean: false },
    publisher: (i) => ({ clientId: `pub-${i}` }),
    topic: (i, retained) => `load/${i}/${retained ? 'status' : 'telemetry'}`,
    filters: ['load/#'],
    persistence: () => persistence as never,
    async close() {
      server.close();
      await new Promise<void>((r) => aedes.close(() => r()));
      await persistence.destroy();
    },
  };
}

async function parkBroker(dir: string, provisioned: Provisioned): Promise<Target & { broker: Broker }> {
  // One publisher sends thousands of messages as fast as it can: no per-client rate limit here.
  const broker = await createBroker({ parkId: model.id, registry: provisioned.registry, logger: silentLogger(), persistence: { kind: 'disk', dir }, limits: { rate: { perSecond: 0, burst: 1 } } });
  const tcp: Listener = await listenTcp(broker, { host: '127.0.0.1', port: 0 });
  const ingest = serviceAccountId('ingest');
  return {
    broker,
    url: `mqtt://127.0.0.1:${tcp.port}`,
    subscriber: { clientId: ingest, username: ingest, password: provisioned.serviceSecrets.ingest, clean: false },
    publisher: (i) => ({ clientId: meters[i]!.id, username: meters[i]!.id, password: deriveDeviceSecret(provisioned.fleetKey, model.id, meters[i]!.id) }),
    topic: (i, retained) => deviceTopic(model.id, 'meter', meters[i]!.id, retained ? 'status' : 'telemetry'),
    filters: deviceFilters(model.id),
    persistence: () => (broker.aedes as unknown as { persistence: never }).persistence,
    async close() {
      await tcp.close();
      await broker.close();
    },
  };
}

/**
 * 4 publishers send PER_PUBLISHER QoS 1 messages each as fast as they can (every 10th retained,
 * on another topic) to a persistent subscriber; returns what arrived live and in which order.
 */
async function load(t: Target): Promise<{ sent: number; received: Map<string, number[]>; live: number }> {
  const sub = await mqtt.connectAsync(t.url, { ...t.subscriber, reconnectPeriod: 0 });
  await sub.subscribeAsync(t.filters, { qos: 1 });
  const received = new Map<string, number[]>();
  let live = 0;
  sub.on('message', (topic, payload, packet) => {
    if (packet.retain) return; // a retained replay on subscribe, not part of the load
    live++;
    const list = received.get(topic) ?? received.set(topic, []).get(topic)!;
    list.push((JSON.parse(payload.toString()) as { n: number }).n);
  });
  const pubs: MqttClient[] = await Promise.all(meters.map((_, i) => mqtt.connectAsync(t.url, { ...t.publisher(i), reconnectPeriod: 0 })));
  await Promise.all(
    pubs.map((p, i) =>
      Promise.all(
        Array.from({ length: PER_PUBLISHER }, (_, n) => {
          const retained = n % 10 === 9;
          return p.publishAsync(t.topic(i, retained), JSON.stringify({ ts: Date.now(), seq: n, n, state: 'online' }), { qos: 1, retain: retained });
        }),
      ),
    ),
  );
  const sent = meters.length * PER_PUBLISHER;
  // Every publish is acknowledged: what is routed live arrives within moments.
  const deadline = Date.now() + 3000;
  while (live < sent && Date.now() < deadline) await sleep(50);
  await sleep(300);
  for (const p of pubs) await p.endAsync();
  await sub.endAsync();
  return { sent, received, live };
}

/** Runs `use` against the target once it is up, and closes the target whatever `use` does. */
async function against(starting: Promise<Target>, use: (t: Target) => Promise<void>): Promise<void> {
  const t = await starting;
  try {
    await use(t);
  } finally {
    await t.close();
  }
}

describe('broker durable mode (aedes-persistence-level)', () => {
  let dir: string;
  let provisioned: Provisioned;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-durable-'));
    provisioned = await provisionDataDir(dir, model, TEST_SCRYPT);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('upstream: plain Aedes holds back some live QoS 1 messages with a disk persistence', async () => {
    await against(plainAedes(join(dir, 'plain-load')), async (t) => {
      const { sent, live } = await load(t);
      // A few percent in the runs of docs/facts.md; anything above zero is the behaviour the broker corrects.
      expect(live, 'Aedes delivered every message live: the upstream dedupe may be fixed').toBeLessThan(sent);
    });
  });

  it('delivers every QoS 1 message live, each topic in order', async () => {
    await against(parkBroker(join(dir, 'park-load'), provisioned), async (t) => {
      const { sent, received, live } = await load(t);
      expect(live).toBe(sent);
      for (const [topic, ns] of received) {
        expect(ns, topic).toEqual([...ns].sort((a, b) => a - b));
        expect(new Set(ns).size, `${topic} duplicates`).toBe(ns.length);
      }
    });
  });

  /** Publishes one QoS 1 message for an offline persistent subscriber with the queue write slowed. */
  async function ackVersusStore(t: Target): Promise<{ ackedAt: number; storedAt: number }> {
    const sub = await mqtt.connectAsync(t.url, { ...t.subscriber, reconnectPeriod: 0 });
    await sub.subscribeAsync(t.filters, { qos: 1 });
    await sub.endAsync(); // offline: the broker must queue for it
    const p = t.persistence();
    const enqueue = p.outgoingEnqueueCombi;
    let storedAt = 0;
    p.outgoingEnqueueCombi = async (...args: unknown[]) => {
      await sleep(400);
      const r = await enqueue.apply(p, args);
      storedAt = Date.now();
      return r;
    };
    const pub = await mqtt.connectAsync(t.url, { ...t.publisher(0), reconnectPeriod: 0 });
    await pub.publishAsync(t.topic(0, false), JSON.stringify({ ts: Date.now(), seq: 1, n: 1 }), { qos: 1 });
    const ackedAt = Date.now();
    await pub.endAsync();
    await sleep(500);
    p.outgoingEnqueueCombi = enqueue;
    return { ackedAt, storedAt };
  }

  it('upstream: plain Aedes acknowledges a QoS 1 message before it is stored', async () => {
    await against(plainAedes(join(dir, 'plain-ack')), async (t) => {
      const { ackedAt, storedAt } = await ackVersusStore(t);
      expect(storedAt).toBeGreaterThan(0);
      expect(ackedAt, 'PUBACK came after the store: upstream may have fixed it').toBeLessThan(storedAt);
    });
  });

  it('acknowledges a QoS 1 message only once it is stored', async () => {
    await against(parkBroker(join(dir, 'park-ack'), provisioned), async (t) => {
      const { ackedAt, storedAt } = await ackVersusStore(t);
      expect(storedAt).toBeGreaterThan(0);
      expect(ackedAt).toBeGreaterThanOrEqual(storedAt);
    });
  });
});
