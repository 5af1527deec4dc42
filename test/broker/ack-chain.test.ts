// Acknowledgement chaining (broker/ack-chain.ts) on the real broker over TCP: a device's QoS 1
// PUBACK waits for the ingest session's PUBACK of that message, whether the ingest is connected,
// away (its persistent session queues the message) or not known yet (the message waits unrouted);
// other subscribers get every message; `receipt` acknowledges on receipt as Aedes does.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Packet } from 'mqtt-packet';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../broker/create-broker.ts';
import { filterMatches } from '../../broker/ack-chain.ts';
import { listenTcp, type Listener } from '../../broker/listeners.ts';
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
let provisioned: Provisioned;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parkpulse-ack-chain-'));
  provisioned = await provisionDataDir(dir, model, TEST_SCRYPT);
  return () => rmSync(dir, { recursive: true, force: true });
});

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function start(ack: 'ingest' | 'receipt', maxPendingAcks?: number): Promise<{ broker: Broker; port: number }> {
  const broker = await createBroker({ parkId: model.id, registry: provisioned.registry, logger: silentLogger(), ack, limits: { rate: { perSecond: 0, burst: 1 }, ...(maxPendingAcks ? { maxPendingAcks } : {}) } });
  const tcp: Listener = await listenTcp(broker, { host: '127.0.0.1', port: 0 });
  open.push({ close: () => broker.close() }, { close: () => tcp.close() });
  return { broker, port: tcp.port };
}

async function connected(port: number, clientId: string, username: string, password: string, clean = true): Promise<RawClient> {
  const c = await rawConnect(port);
  open.push({ close: () => c.end() });
  c.send(connectPacket(clientId, username, password, { clean }));
  const connack = await c.next('connack');
  expect((connack as { returnCode: number }).returnCode).toBe(0);
  return c;
}

const device = (port: number): Promise<RawClient> => connected(port, meter.id, meter.id, deriveDeviceSecret(provisioned.fleetKey, model.id, meter.id));
const ingest = (port: number): Promise<RawClient> => connected(port, serviceAccountId('ingest'), serviceAccountId('ingest'), provisioned.serviceSecrets.ingest, false);
const recorder = (port: number): Promise<RawClient> => connected(port, serviceAccountId('recorder'), serviceAccountId('recorder'), provisioned.serviceSecrets.recorder);

async function subscribe(c: RawClient, filters: string[]): Promise<void> {
  c.send({ cmd: 'subscribe', messageId: 7, subscriptions: filters.map((t) => ({ topic: t, qos: 1 })) });
  await c.next('suback');
}

/** The client once it has subscribed (QoS 1) to every device topic of the park. */
async function onDeviceTopics(connecting: Promise<RawClient>): Promise<RawClient> {
  const c = await connecting;
  await subscribe(c, deviceFilters(model.id));
  return c;
}

const of = (c: RawClient, cmd: Packet['cmd']): Packet[] => c.received.filter((p) => p.cmd === cmd);
const pubacks = (c: RawClient): number[] => of(c, 'puback').map((p) => (p as { messageId: number }).messageId);
const publishes = (c: RawClient): { messageId?: number; payload: Buffer; dup: boolean; qos: number; topic: string }[] => of(c, 'publish') as never;
const reading = (seq: number): string => JSON.stringify({ ts: Date.now(), seq, kw: 1, kwh: 1, voltage: 400, current: 1, powerFactor: 0.9 });
/** The meter sends its reading `seq` at QoS 1 with packet id `messageId`. */
const sendReading = (dev: RawClient, messageId: number, seq: number, dup = false): boolean =>
  dev.send({ cmd: 'publish', topic, payload: reading(seq), qos: 1, messageId, retain: false, dup });
/** The ingest acknowledges the `index`-th message it got. */
const ingestAck = (ing: RawClient, index: number): boolean => ing.send({ cmd: 'puback', messageId: publishes(ing)[index]!.messageId! });

describe('acknowledgement chaining', () => {
  it('matches MQTT filters', () => {
    expect(filterMatches('park/p/meter/+/+', 'park/p/meter/m1/telemetry')).toBe(true);
    expect(filterMatches('park/p/meter/+/+', 'park/p/meter/m1')).toBe(false);
    expect(filterMatches('park/#', 'park/p/meter/m1/telemetry')).toBe(true);
    expect(filterMatches('park/p/camera/+/+', 'park/p/meter/m1/telemetry')).toBe(false);
  });

  it('holds a device PUBACK until the ingest acknowledges the message; other subscribers get it at once', async () => {
    const { port, broker } = await start('ingest');
    const ing = await onDeviceTopics(ingest(port));
    const scr = await onDeviceTopics(recorder(port));
    const dev = await device(port);
    sendReading(dev, 11, 1);
    await waitFor('the ingest and the recorder got it', () => publishes(ing).length === 1 && publishes(scr).length === 1, 5000, 10);
    await sleep(300);
    expect(pubacks(dev)).toEqual([]);
    expect(broker.stats().ackChain).toMatchObject({ held: 1, waitingForIngest: 0, ingestSessions: 1 });
    ingestAck(ing, 0);
    await waitFor('device PUBACK', () => pubacks(dev).length === 1, 5000, 10);
    expect(pubacks(dev)).toEqual([11]);
    expect(broker.stats().ackChain!.held).toBe(0);
  });

  it('while the ingest is away its session queues the message and the PUBACK waits for its return', async () => {
    const { port } = await start('ingest');
    const first = await onDeviceTopics(ingest(port));
    first.end();
    await sleep(200);
    const dev = await device(port);
    sendReading(dev, 12, 1);
    await sleep(500);
    expect(pubacks(dev)).toEqual([]);
    const again = await ingest(port);
    await waitFor('queued message redelivered', () => publishes(again).length === 1, 5000, 10);
    expect(pubacks(dev)).toEqual([]);
    ingestAck(again, 0);
    await waitFor('device PUBACK', () => pubacks(dev).length === 1, 5000, 10);
  });

  it('with no ingest session yet, a device message waits unrouted and is routed once an ingest subscribes', async () => {
    const { port, broker } = await start('ingest');
    const scr = await onDeviceTopics(recorder(port));
    const dev = await device(port);
    sendReading(dev, 13, 1);
    await sleep(400);
    expect(broker.stats().ackChain).toMatchObject({ waitingForIngest: 1, ingestSessions: 0 });
    expect(publishes(scr)).toHaveLength(0);
    expect(pubacks(dev)).toEqual([]);
    const ing = await onDeviceTopics(ingest(port));
    await waitFor('routed to both', () => publishes(ing).length === 1 && publishes(scr).length === 1, 5000, 10);
    expect(pubacks(dev)).toEqual([]);
    ingestAck(ing, 0);
    await waitFor('device PUBACK', () => pubacks(dev).length === 1, 5000, 10);
  });

  it('a device that reconnects sends its unacknowledged message again (DUP) and each copy reaches the ingest', async () => {
    const { port } = await start('ingest');
    const ing = await onDeviceTopics(ingest(port));
    const dev1 = await device(port);
    sendReading(dev1, 14, 1);
    await waitFor('first copy', () => publishes(ing).length === 1, 5000, 10);
    dev1.end();
    const dev2 = await device(port);
    sendReading(dev2, 14, 1, true);
    await waitFor('second copy', () => publishes(ing).length === 2, 5000, 10);
    for (const p of publishes(ing)) ing.send({ cmd: 'puback', messageId: p.messageId! });
    await waitFor('device PUBACK on the new connection', () => pubacks(dev2).length === 1, 5000, 10);
  });

  it('a device is read on while its PUBACKs wait, and gets them in the order it sent, each once stored', async () => {
    const { port, broker } = await start('ingest');
    const ing = await onDeviceTopics(ingest(port));
    const rec = await onDeviceTopics(recorder(port));
    const dev = await device(port);
    // Separate socket reads: with the PUBACK tied to Aedes's read loop only the first would be read.
    for (const [i, id] of [21, 22, 23].entries()) {
      sendReading(dev, id, i + 1);
      await sleep(60);
    }
    await waitFor('all three routed to the ingest and the recorder', () => publishes(ing).length === 3 && publishes(rec).length === 3, 5000, 10);
    // Routed at the QoS they were published with, whatever the chain does with its own copy.
    expect(publishes(ing).map((p) => p.qos)).toEqual([1, 1, 1]);
    expect(publishes(rec).map((p) => p.qos)).toEqual([1, 1, 1]);
    expect(broker.stats().ackChain!.held).toBe(3);
    // The ingest acknowledges the later two first: nothing may overtake the first (MQTT-4.6.0-2).
    const [a, b, c] = publishes(ing).map((p) => p.messageId!);
    ing.send({ cmd: 'puback', messageId: c! });
    ing.send({ cmd: 'puback', messageId: b! });
    await sleep(300);
    expect(pubacks(dev)).toEqual([]);
    ing.send({ cmd: 'puback', messageId: a! });
    await waitFor('three device PUBACKs', () => pubacks(dev).length === 3, 5000, 10);
    expect(pubacks(dev)).toEqual([21, 22, 23]);
    expect(broker.stats().ackChain!.held).toBe(0);
  });

  it('a message on a topic no ingest takes is acknowledged at once, but never before an earlier one still waiting', async () => {
    const { port } = await start('ingest');
    const ing = await ingest(port);
    await subscribe(ing, [topic]); // this meter's telemetry only
    const dev = await device(port);
    sendReading(dev, 31, 1);
    await waitFor('first routed', () => publishes(ing).length === 1, 5000, 10);
    const event = deviceTopic(model.id, 'meter', meter.id, 'event');
    dev.send({ cmd: 'publish', topic: event, payload: JSON.stringify({ ts: Date.now(), seq: 2, type: 'door-open' }), qos: 1, messageId: 32, retain: false, dup: false });
    await sleep(300);
    expect(pubacks(dev)).toEqual([]);
    ingestAck(ing, 0);
    await waitFor('both device PUBACKs', () => pubacks(dev).length === 2, 5000, 10);
    expect(pubacks(dev)).toEqual([31, 32]);
  });

  it('past its bound of waiting messages a device is not read until half of them are stored', async () => {
    const { port, broker } = await start('ingest', 2);
    const ing = await onDeviceTopics(ingest(port));
    const dev = await device(port);
    for (const [i, id] of [41, 42, 43, 44].entries()) {
      sendReading(dev, id, i + 1);
      await sleep(60);
    }
    // Two wait to be stored: that is the bound, so the device's later messages are not read.
    await waitFor('two routed', () => publishes(ing).length === 2, 5000, 10);
    await sleep(300);
    expect(publishes(ing)).toHaveLength(2);
    expect(broker.stats().ackChain!.held).toBe(2);
    for (const p of publishes(ing)) ing.send({ cmd: 'puback', messageId: p.messageId! });
    await waitFor('the other two read and routed once those are stored', () => publishes(ing).length === 4, 5000, 10);
    expect(pubacks(dev)).toEqual([41, 42]);
    for (const p of publishes(ing).slice(2)) ing.send({ cmd: 'puback', messageId: p.messageId! });
    await waitFor('all four device PUBACKs', () => pubacks(dev).length === 4, 5000, 10);
    expect(pubacks(dev)).toEqual([41, 42, 43, 44]);
  });

  it('receipt acknowledges at once, with no ingest at all', async () => {
    const { port, broker } = await start('receipt');
    const dev = await device(port);
    sendReading(dev, 15, 1);
    await waitFor('device PUBACK', () => pubacks(dev).length === 1, 5000, 10);
    expect(broker.stats().ackChain).toBeNull();
  });
});
