// The JetStream watchdog: the stall rule on its own, then on a real nats-server (one node, our
// generated park config): it finds the ingest's own consumers by nats-server's session hash, and
// when the ingest's connection dies silently on the way (a proxy drops the broker's side and keeps
// the ingest's socket open, as a NAT that forgot the flow does) it sees the consumer hold the
// devices' readings with none delivered, reconnects the session, and the readings reach the store
// long before the ingest's keepalive (30 s) would have noticed anything. Cut off like that, the
// ingest still shuts down and closes its store.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createIngest, type Ingest } from '../../ingest/create-ingest.ts';
import { createSqliteStore } from '../../ingest/store/sqlite-store.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { createStallDetector, natsSessionHash, sessionConsumers, type ConsumerView } from '../../shared/jetstream-watchdog.ts';
import { silentLogger } from '../../shared/logger.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { readFleetKey, readServiceSecret, serviceUsername } from '../../shared/registry.ts';
import { deviceFilters } from '../../shared/topics.ts';
import { createDeviceClient, type DeviceClient } from '../../simulators/device-client.ts';
import { NATS_SERVER, startNatsCluster, type NatsCluster } from '../../testkit/nats.ts';
import { waitFor } from '../../testkit/park.ts';
import { dumpStore } from '../helpers/store-dump.ts';

const model = loadParkModel();

describe('the stall rule', () => {
  const c = (over: Partial<ConsumerView> = {}): ConsumerView => ({ name: 'h_1', filter: '$MQTT.msgs.park.dantu.meter.*.*', delivered: 10, ackPending: 0, pending: 5, ...over });

  it('names a consumer that holds messages with none in flight and delivers none for the stall time', () => {
    const d = createStallDetector(20_000);
    expect(d.observe(0, [c()], -30_000)).toEqual([]);
    expect(d.observe(10_000, [c()], -30_000)).toEqual([]);
    expect(d.observe(20_000, [c({ pending: 9 })], -30_000)).toEqual([{ ...c({ pending: 9 }), stalledMs: 20_000 }]);
  });

  it('leaves alone a consumer that delivers, one waiting for acknowledgements, and one with nothing to send', () => {
    const d = createStallDetector(20_000);
    for (let t = 0; t <= 60_000; t += 5000) {
      const got = d.observe(t, [c({ name: 'moving', delivered: t }), c({ name: 'acks', ackPending: 8192 }), c({ name: 'idle', pending: 0 })], -30_000);
      expect(got, `at ${t} ms`).toEqual([]);
    }
  });

  it('waits for a session just (re)connected, and forgets everything while disconnected', () => {
    const d = createStallDetector(20_000);
    expect(d.observe(0, [c()], 0)).toEqual([]);
    expect(d.observe(15_000, [c()], 0)).toEqual([]); // held 15 s, connected 15 s
    expect(d.observe(20_000, [c()], 0)).toHaveLength(1);
    expect(d.observe(25_000, [c()], null)).toEqual([]);
    expect(d.observe(30_000, [c()], 28_000)).toEqual([]); // the hold starts again after the gap
    expect(d.observe(45_000, [c()], 28_000)).toEqual([]);
    expect(d.observe(50_000, [c()], 28_000)).toHaveLength(1);
  });

  it('hashes a client id as nats-server names its session', () => {
    // 8 characters of [0-9A-Za-z], stable, different per client id.
    expect(natsSessionHash('svc-ingest')).toMatch(/^[0-9A-Za-z]{8}$/);
    expect(natsSessionHash('svc-ingest')).toBe(natsSessionHash('svc-ingest'));
    expect(natsSessionHash('svc-ingest-s0')).not.toBe(natsSessionHash('svc-ingest-s1'));
  });
});

/** A TCP proxy that can drop the upstream side of its connections and go on swallowing the client's bytes. */
async function startProxy(target: number): Promise<{ port: number; blackHole(): void; close(): Promise<void> }> {
  const pairs = new Set<{ client: Socket; upstream: Socket; cut: boolean }>();
  const server: Server = createServer((client) => {
    const upstream = netConnect(target, '127.0.0.1');
    const pair = { client, upstream, cut: false };
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    client.on('error', () => {}).on('close', () => (pairs.delete(pair), upstream.destroy()));
    // A cut pair keeps its client socket open: the client sees nothing happen.
    upstream.on('error', () => {}).on('close', () => pair.cut || client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    blackHole() {
      for (const p of pairs) {
        p.cut = true;
        p.client.unpipe(p.upstream);
        p.upstream.unpipe(p.client);
        p.upstream.destroy();
        p.client.resume(); // read and drop what the client sends (its PINGREQs, acknowledgements)
      }
    },
    async close() {
      for (const p of pairs) p.client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(!NATS_SERVER)('the watchdog on a real nats-server', () => {
  let dir: string;
  let cluster: NatsCluster | undefined;
  let ingest: Ingest | undefined;
  let device: DeviceClient | undefined;
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;

  afterAll(async () => {
    await device?.stop().catch(() => {});
    await ingest?.close();
    await proxy?.close();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects a session whose consumer holds the readings, and they reach the store', { timeout: 120_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'pp-js-watchdog-'));
    const parkDir = join(dir, 'dantu');
    cluster = await startNatsCluster({ dir, parks: [{ dataDir: parkDir }], nodes: 1 });
    const node = cluster.nodes[0]!;
    const monitor = `http://127.0.0.1:${node.httpPort}`;
    proxy = await startProxy(node.mqttPort);
    const storePath = join(dir, 'store.db');
    const store = await createSqliteStore({ path: storePath, model, logger: silentLogger() });
    ingest = await createIngest({
      model, store, logger: silentLogger(),
      mqtt: { url: `mqtt://127.0.0.1:${proxy.port}`, username: serviceUsername('ingest', 'dantu'), password: readServiceSecret(join(parkDir, 'secrets'), 'ingest'), reconnectPeriodMs: 200 },
      jetstream: { monitorUrls: [monitor], account: 'dantu', pollMs: 500, stallMs: 2000 },
    });
    await ingest.ready();

    // The session's consumers, found by the hash of its client id: one per device filter.
    const consumers = await sessionConsumers([monitor], 'dantu', 'svc-ingest', 5000);
    expect(consumers.map((c) => c.filter).sort()).toEqual(deviceFilters('dantu').map((f) => `$MQTT.msgs.${f.replaceAll('/', '.').replaceAll('+', '*')}`).sort());
    expect(consumers.every((c) => c.name.startsWith(`${natsSessionHash('svc-ingest')}_`))).toBe(true);
    expect(await sessionConsumers([monitor], 'dantu', 'svc-screen', 5000)).toEqual([]);

    const meter = model.devicesOfKind('meter')[0]!;
    device = createDeviceClient({ url: `mqtt://127.0.0.1:${node.mqttPort}`, parkId: 'dantu', device: meter, secret: deriveDeviceSecret(readFleetKey(join(parkDir, 'secrets')), 'dantu', meter.id), startSeq: 1, now: Date.now, reconnectPeriodMs: 200 });
    await waitFor('the meter connected', () => device!.connected, 10_000);
    const reading = { kw: 3500, kwh: 1000, voltage: 400, current: 150, powerFactor: 0.95 };
    const stored = (): number[] => dumpStore(storePath).filter((r) => r.device === meter.id && r.channel === 'telemetry').map((r) => r.seq);
    const first: number[] = [];
    for (let i = 0; i < 5; i++) first.push((await device.publish('telemetry', reading)).seq);
    await waitFor('the first readings stored and acknowledged', () => first.every((s) => stored().includes(s)) && ingest!.stats().unacked === 0, 10_000);
    expect(ingest.stats().consumerStalls).toBe(0);

    // The broker's side of the ingest's connection dies; the ingest's socket stays open.
    proxy.blackHole();
    const cutAt = Date.now();
    await waitFor('nats-server saw the ingest leave', async () => !(await cluster!.mqttClients()).get(node.name)?.includes('svc-ingest'), 10_000, 100);
    const later: number[] = [];
    for (let i = 0; i < 5; i++) later.push((await device.publish('telemetry', reading)).seq);
    await waitFor('the readings sent while the ingest was cut off stored', () => later.every((s) => stored().includes(s)), 25_000, 200);
    process.stdout.write(`[jetstream-watchdog] readings sent while cut off stored ${Date.now() - cutAt} ms after the cut (0.5 s polls, 2 s stall; keepalive 30 s)\n`);
    // The watchdog did it (one reconnect for one stall), not the keepalive.
    expect(ingest.stats().consumerStalls).toBe(1);
    expect(ingest.stats().connected).toBe(true);
    expect(stored()).toEqual([...first, ...later]);

    // Cut off again, the ingest still shuts down: the broker's PUBACKs for its last live-state
    // publishes never come, so it cuts the socket after 3 s and closes the store (SQLite removes
    // the WAL file at the last close).
    proxy.blackHole();
    const closing = ingest.close();
    const closed = await Promise.race([closing.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    expect(closed, 'ingest.close() returned').toBe(true);
    ingest = undefined;
    expect(existsSync(`${storePath}-wal`)).toBe(false);
    expect(stored()).toEqual([...first, ...later]);
  });
});
