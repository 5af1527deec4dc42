// The ingest on the broker's in-process bus (broker/bus-feed.ts), on the real broker over TCP
// with a raw MQTT device: the device's PUBACK waits until the in-process consumer's promise for
// that message resolves, PUBACKs keep the device's order, other subscribers get the message at
// once, retained messages are replayed at attach, a detached consumer's messages wait unrouted
// until it attaches again, and a broker that cannot hold PUBACKs refuses the feed.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Packet } from 'mqtt-packet';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../broker/create-broker.ts';
import { listenTcp, type Listener } from '../../broker/listeners.ts';
import type { FeedHandle, FeedMessage } from '../../shared/bus-feed.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { silentLogger } from '../../shared/logger.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { serviceAccountId, type Provisioned } from '../../shared/registry.ts';
import { provisionDataDir } from '../../testkit/provisioning.ts';
import { deviceFilters, deviceTopic } from '../../shared/topics.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_SCRYPT, waitFor } from '../../testkit/park.ts';
import { connectPacket, rawConnect, type RawClient } from '../helpers/raw-mqtt.ts';

const model = loadParkModel();
const meter = model.devices.find((d) => d.kind === 'meter')!;
const topic = deviceTopic(model.id, 'meter', meter.id, 'telemetry');
const statusTopic = deviceTopic(model.id, 'meter', meter.id, 'status');
let provisioned: Provisioned;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parkpulse-bus-feed-'));
  provisioned = await provisionDataDir(dir, model, TEST_SCRYPT);
  return () => rmSync(dir, { recursive: true, force: true });
});

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function start(ack: 'ingest' | 'receipt' = 'ingest'): Promise<{ broker: Broker; port: number }> {
  const broker = await createBroker({ parkId: model.id, registry: provisioned.registry, logger: silentLogger(), ack, limits: { rate: { perSecond: 0, burst: 1 } } });
  const tcp: Listener = await listenTcp(broker, { host: '127.0.0.1', port: 0 });
  open.push({ close: () => broker.close() }, { close: () => tcp.close() });
  return { broker, port: tcp.port };
}

async function connected(port: number, clientId: string, username: string, password: string): Promise<RawClient> {
  const c = await rawConnect(port);
  open.push({ close: () => c.end() });
  c.send(connectPacket(clientId, username, password, { clean: true }));
  expect(((await c.next('connack')) as { returnCode: number }).returnCode).toBe(0);
  return c;
}

const device = (port: number): Promise<RawClient> => connected(port, meter.id, meter.id, deriveDeviceSecret(provisioned.fleetKey, model.id, meter.id));
const recorder = (port: number): Promise<RawClient> => connected(port, serviceAccountId('recorder'), serviceAccountId('recorder'), provisioned.serviceSecrets.recorder);
const pubacks = (c: RawClient): number[] => c.received.filter((p: Packet) => p.cmd === 'puback').map((p) => (p as { messageId: number }).messageId);
const reading = (seq: number): string => JSON.stringify({ ts: Date.now(), seq, kw: 1, kwh: 1, voltage: 400, current: 1, powerFactor: 0.9 });
const send = (dev: RawClient, messageId: number, seq: number, t = topic, retain = false): boolean =>
  dev.send({ cmd: 'publish', topic: t, payload: reading(seq), qos: 1, messageId, retain, dup: false });

/** An in-process consumer whose every message waits for the test to settle it. */
function consumer(): { messages: FeedMessage[]; settle(i: number, ok?: boolean): void; onMessage(m: FeedMessage): Promise<void> } {
  const messages: FeedMessage[] = [];
  const pending: { resolve(): void; reject(e: Error): void }[] = [];
  return {
    messages,
    settle: (i, ok = true) => (ok ? pending[i]!.resolve() : pending[i]!.reject(new Error('shutting down'))),
    onMessage(m) {
      messages.push(m);
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
  };
}

/** A consumer on the broker's bus for every device topic, under `name`; detached after the test. */
async function attached(broker: Broker, name = 'ingest'): Promise<{ c: ReturnType<typeof consumer>; feed: FeedHandle }> {
  const c = consumer();
  const feed = await broker.attachFeed({ name, filters: deviceFilters(model.id), onMessage: (m) => c.onMessage(m) });
  open.push({ close: () => feed.detach() });
  return { c, feed };
}

const seqOf = (m: FeedMessage): number => (JSON.parse(m.payload.toString()) as { seq: number }).seq;

describe('the ingest on the broker bus', () => {
  it("holds a device's PUBACKs until the consumer has stored each message, in the order sent; others get them at once", async () => {
    const { broker, port } = await start();
    const { c } = await attached(broker);
    const rec = await recorder(port);
    rec.send({ cmd: 'subscribe', messageId: 3, subscriptions: deviceFilters(model.id).map((t) => ({ topic: t, qos: 0 })) });
    await rec.next('suback');
    const dev = await device(port);
    for (let i = 1; i <= 3; i++) send(dev, i, i);
    await waitFor('three messages on the bus', () => c.messages.length === 3, 5000);
    expect(c.messages.map(seqOf)).toEqual([1, 2, 3]);
    expect(c.messages.every((m) => m.topic === topic && m.qos === 1 && !m.retain)).toBe(true);
    await waitFor('the recorder has all three', () => rec.received.filter((p) => p.cmd === 'publish').length === 3, 5000);
    await sleep(150);
    expect(pubacks(dev)).toEqual([]); // nothing stored yet: no PUBACK
    c.settle(1); // the second is stored first: its PUBACK must still wait for the first
    await sleep(100);
    expect(pubacks(dev)).toEqual([]);
    c.settle(0);
    await waitFor('PUBACKs 1 and 2', () => pubacks(dev).length === 2, 5000);
    expect(pubacks(dev)).toEqual([1, 2]);
    c.settle(2);
    await waitFor('PUBACK 3', () => pubacks(dev).length === 3, 5000);
    expect(broker.stats().busFeed).toEqual({ delivered: 3, pending: 0 });
  });

  it('a message the consumer could not store is never acknowledged to its device', async () => {
    const { broker, port } = await start();
    const { c } = await attached(broker);
    const dev = await device(port);
    send(dev, 1, 1);
    await waitFor('the message on the bus', () => c.messages.length === 1, 5000);
    c.settle(0, false);
    await sleep(300);
    expect(pubacks(dev)).toEqual([]);
  });

  it('replays retained messages at attach with retain set; live ones arrive with retain clear', async () => {
    const { broker, port } = await start();
    const { c: first } = await attached(broker);
    const dev = await device(port);
    send(dev, 1, 7, statusTopic, true);
    await waitFor('the status', () => first.messages.length === 1, 5000);
    expect([first.messages[0]!.topic, first.messages[0]!.retain]).toEqual([statusTopic, false]);
    first.settle(0);
    await waitFor('the status acknowledged', () => pubacks(dev).length === 1, 5000);
    // A consumer attaching now gets the retained status as a replay, before anything live.
    const { c: second } = await attached(broker, 'other');
    expect(second.messages.map((m) => [m.topic, m.retain, seqOf(m)])).toEqual([[statusTopic, true, 7]]);
    second.settle(0);
  });

  it("while the consumer is away the device's messages wait unrouted, and reach it when it attaches again", async () => {
    const { broker, port } = await start();
    const { c: c1, feed } = await attached(broker);
    const dev = await device(port);
    send(dev, 1, 1);
    await waitFor('message 1', () => c1.messages.length === 1, 5000);
    await feed.detach();
    c1.settle(0); // stored after the detach: still acknowledged
    await waitFor('PUBACK 1', () => pubacks(dev).length === 1, 5000);
    send(dev, 2, 2);
    await sleep(200);
    expect(pubacks(dev)).toEqual([1]); // no store takes it now: no PUBACK
    expect(broker.stats().ackChain?.waitingForIngest).toBe(1);
    const { c: c2 } = await attached(broker);
    await waitFor('message 2 after the return', () => c2.messages.length === 1, 5000);
    expect(seqOf(c2.messages[0]!)).toBe(2);
    c2.settle(0);
    await waitFor('PUBACK 2', () => pubacks(dev).length === 2, 5000);
  });

  it("delivers a device's will when its connection dies, but not the wills of the broker's own closing", async () => {
    const { broker, port } = await start();
    const { c } = await attached(broker);
    const will = { topic: statusTopic, payload: Buffer.from(JSON.stringify({ ts: Date.now(), seq: 1, online: false })), qos: 1 as const, retain: true };
    const withWill = async (): Promise<RawClient> => {
      const dev = await rawConnect(port);
      dev.send(connectPacket(meter.id, meter.id, deriveDeviceSecret(provisioned.fleetKey, model.id, meter.id), { will }));
      await dev.next('connack');
      return dev;
    };
    const dev = await withWill();
    dev.end(); // the socket dies: the broker publishes the will
    await waitFor('the will', () => c.messages.length === 1, 5000);
    expect(c.messages[0]!.topic).toBe(statusTopic);
    c.settle(0);
    const again = await withWill();
    open.push({ close: () => again.end() });
    await broker.close(); // closing, Aedes publishes the will of every client it disconnects
    await sleep(200);
    expect(c.messages).toHaveLength(1);
  });

  it('a broker that acknowledges on receipt refuses a feed (nothing would hold the PUBACK for it)', async () => {
    const { broker } = await start('receipt');
    expect(broker.feedable).toBe(false);
    await expect(broker.attachFeed({ name: 'ingest', filters: deviceFilters(model.id), onMessage: async () => {} })).rejects.toThrow(/--broker-ack ingest/);
  });
});
