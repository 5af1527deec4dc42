// The park's ACL and credentials on a real nats-server, configured by our generator: every account
// may do there what it may do on the Aedes broker and nothing else; device-shard mappings put each
// device on the shard FNV-1a(id) mod N names; a rotated or revoked device is cut off at the reload.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveDeviceSecret } from '../../../shared/credentials.ts';
import { revokeDevice, rotateDevice } from '../../../shared/device-accounts.ts';
import { loadParkModel } from '../../../shared/park-model.ts';
import { readFleetKey, readServiceSecret, serviceUsername, type ServiceRole } from '../../../shared/registry.ts';
import { shardOf } from '../../../shared/shard-topics.ts';
import { connackCode } from '../../helpers/connack.ts';
import { NATS_SERVER, startNatsCluster, TEST_SCRYPT, type NatsCluster } from '../../../testkit/nats.ts';
import { waitFor } from '../../../testkit/park.ts';

const SHARDS = 4;

describe.skipIf(!NATS_SERVER)('the park on nats-server: ACL, shard mappings, rotation and revocation', () => {
  let dir: string;
  let cluster: NatsCluster;
  let url: string;
  let fleetKey: string;
  const parkDir = (): string => join(dir, 'dantu');
  const model = loadParkModel();
  const open: mqtt.MqttClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pp-nats-acl-'));
    cluster = await startNatsCluster({ dir, parks: [{ dataDir: join(dir, 'dantu'), shards: SHARDS }], nodes: 1 });
    url = `mqtt://127.0.0.1:${cluster.nodes[0]!.mqttPort}`;
    fleetKey = readFleetKey(join(parkDir(), 'secrets'));
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.end(true);
  });
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const device = (id: string, extra: mqtt.IClientOptions = {}): mqtt.IClientOptions => ({ clientId: id, username: id, password: deriveDeviceSecret(fleetKey, 'dantu', id), protocolVersion: 4, ...extra });
  const service = (role: ServiceRole, clientId: string): mqtt.IClientOptions => ({ clientId, username: serviceUsername(role, 'dantu'), password: readServiceSecret(join(parkDir(), 'secrets'), role), protocolVersion: 4 });
  async function client(o: mqtt.IClientOptions): Promise<mqtt.MqttClient> {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...o });
    open.push(c);
    return c;
  }
  async function grant(c: mqtt.MqttClient, filter: string): Promise<number> {
    return new Promise((resolve) => c.subscribe(filter, { qos: 1 }, (err, g) => resolve(err ? 0x80 : (g?.[0]?.qos ?? -1))));
  }

  it('puts every device of the park on shard FNV-1a(id) mod N, and only there', async () => {
    const rec = await client(service('recorder', 'svc-recorder-t1'));
    const seen = new Map<string, Set<string>>();
    rec.on('message', (topic) => {
      const [, k, , , , id] = topic.split('/');
      if (!seen.has(id!)) seen.set(id!, new Set());
      seen.get(id!)!.add(k!);
    });
    for (const kind of ['camera', 'node5g', 'meter']) expect(await grant(rec, `shard/+/park/dantu/${kind}/+/+`)).toBe(1);
    // Every device of the model publishes one telemetry message as itself.
    for (const d of model.devices) {
      const c = await client(device(d.id));
      await c.publishAsync(`park/dantu/${d.kind}/${d.id}/telemetry`, '{}', { qos: 1 });
      c.end(true);
    }
    await waitFor('every device seen on a shard subject', () => seen.size === model.devices.length, 15_000);
    for (const d of model.devices) expect([...seen.get(d.id)!], d.id).toEqual([String(shardOf(d.id, SHARDS))]);
    const perShard = [0, 0, 0, 0];
    for (const d of model.devices) perShard[shardOf(d.id, SHARDS)]!++;
    expect(perShard.every((n) => n > 0)).toBe(true);
  });

  it('lets a device publish only its own topics and subscribe only its own command topic', async () => {
    const rec = await client(service('recorder', 'svc-recorder-t2'));
    const got: string[] = [];
    rec.on('message', (topic) => got.push(topic));
    expect(await grant(rec, 'shard/+/park/dantu/camera/+/+')).toBe(1);
    const cam = await client(device('cam-001'));
    await cam.publishAsync('park/dantu/camera/cam-001/event', '{"own":true}', { qos: 1 });
    // Another device's topic: nats-server acknowledges and drops it (a permission violation in its log).
    await cam.publishAsync('park/dantu/camera/cam-002/telemetry', '{"forged":true}', { qos: 1 });
    // The shard subject of another shard, published directly: refused the same way.
    const other = (shardOf('cam-001', SHARDS) + 1) % SHARDS;
    await cam.publishAsync(`shard/${other}/park/dantu/camera/cam-001/telemetry`, '{"wrong-shard":true}', { qos: 1 });
    await waitFor('own event routed', () => got.some((t) => t.endsWith('/cam-001/event')), 5000);
    await new Promise((r) => setTimeout(r, 500));
    expect(got.filter((t) => t.includes('cam-002'))).toEqual([]);
    expect(got.filter((t) => t.startsWith(`shard/${other}/`))).toEqual([]);
    expect(cluster.nodes[0]!.output()).toMatch(/Publish Violation - User "cam-001", Subject "shard\.\d\.park\.dantu\.camera\.cam-002\.telemetry"/);
    expect(await grant(cam, 'park/dantu/camera/cam-001/command')).toBe(1);
    expect(await grant(cam, 'park/dantu/camera/cam-002/command')).toBe(0x80);
    expect(await grant(cam, 'park/dantu/camera/+/command')).toBe(0x80);
    expect(await grant(cam, 'park/dantu/live/#')).toBe(0x80);
    expect(await grant(cam, '$MQTT/sub/#')).toBe(0x80);
  });

  it('gives the services their ACL: ingest, screen, recorder and aggregator', async () => {
    const ingest = await client(service('ingest', 'svc-ingest-t3'));
    expect(await grant(ingest, 'shard/1/park/dantu/meter/+/+')).toBe(1);
    expect(await grant(ingest, 'park/dantu/ops/alerts')).toBe(1);
    expect(await grant(ingest, 'park/dantu/notices/#')).toBe(0x80);
    const screen = await client(service('screen', 'svc-screen-t3'));
    for (const f of ['park/dantu/live/#', 'park/dantu/alerts/#', 'park/dantu/notices/#']) expect(await grant(screen, f), f).toBe(1);
    expect(await grant(screen, 'park/dantu/camera/+/+')).toBe(0x80);
    expect(await grant(screen, 'park/dantu/shards/#')).toBe(0x80);
    const agg = await client(service('aggregator', 'svc-aggregator-t3'));
    expect(await grant(agg, 'park/dantu/shards/#')).toBe(1);
    expect(await grant(agg, 'park/dantu/camera/+/+')).toBe(0x80);
    // What the screen publishes reaches the ingest; what it may not publish does not.
    const got: string[] = [];
    ingest.on('message', (t) => got.push(t));
    await screen.publishAsync('park/dantu/ops/alerts', '{}', { qos: 1 });
    await screen.publishAsync('park/dantu/live/snapshot', '{}', { qos: 1 });
    await waitFor('ops message routed', () => got.includes('park/dantu/ops/alerts'), 5000);
    const watcher = await client(service('screen', 'svc-screen-t3b'));
    const live: string[] = [];
    watcher.on('message', (t) => live.push(t));
    expect(await grant(watcher, 'park/dantu/live/#')).toBe(1);
    await ingest.publishAsync('park/dantu/live/delta', '{}', { qos: 1 });
    await screen.publishAsync('park/dantu/live/delta', '{"forged":true}', { qos: 1 });
    await waitFor('ingest delta routed', () => live.length >= 1, 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(live).toEqual(['park/dantu/live/delta']);
  });

  it('refuses wrong secrets, unknown users and the NATS protocol for park users', async () => {
    expect(await connackCode(url, device('cam-001', { password: 'wrong' }))).toBe(5);
    expect(await connackCode(url, { clientId: 'nobody', username: 'nobody', password: 'x', protocolVersion: 4 })).toBe(5);
    expect(await connackCode(url, device('cam-001'))).toBe(0);
    // A device's credentials on the NATS client port: refused (users are MQTT-only).
    const reply = await new Promise<string>((resolve) => {
      const s = netConnect(Number(/listen: "127\.0\.0\.1:(\d+)"/.exec(cluster.config.files['n1.conf']!)![1]), '127.0.0.1');
      let text = '';
      s.on('data', (d) => {
        text += d.toString();
        if (text.includes('-ERR') || text.includes('PONG')) {
          s.destroy();
          resolve(text);
        }
      });
      s.on('connect', () => s.write(`CONNECT {"user":"cam-001","pass":"${deriveDeviceSecret(fleetKey, 'dantu', 'cam-001')}","verbose":false}\r\nPING\r\n`));
    });
    expect(reply).toMatch(/Authorization Violation/);
  });

  it('applies a rotation and a revocation at the reload: sessions cut, old secrets refused', async () => {
    const opts = { registryPath: join(parkDir(), 'registry.json'), secretsDir: join(parkDir(), 'secrets'), scrypt: TEST_SCRYPT };
    const rotated = await mqtt.connectAsync(url, { ...device('cam-010'), reconnectPeriod: 0 });
    const revoked = await mqtt.connectAsync(url, { ...device('g5-01'), reconnectPeriod: 0 });
    const bystander = await mqtt.connectAsync(url, { ...device('cam-011'), reconnectPeriod: 0 });
    open.push(rotated, revoked, bystander);
    const closed = (c: mqtt.MqttClient) => new Promise<void>((r) => c.once('close', () => r()));
    const cut = Promise.all([closed(rotated), closed(revoked)]);
    const change = await rotateDevice(opts, 'cam-010');
    revokeDevice(opts, 'g5-01');
    const t0 = Date.now();
    const config = await cluster.regenerate();
    await cut;
    const cutMs = Date.now() - t0;
    expect(config.accounts[0]!.revoked).toEqual(['g5-01']);
    expect(bystander.connected).toBe(true);
    expect(await connackCode(url, device('cam-010'))).toBe(5);
    // The new secret works (nats-server holds a client id that connects again within a second: retried).
    await waitFor('cam-010 accepted with its new secret', async () => (await connackCode(url, device('cam-010', { password: change.secret! }))) === 0, 10_000, 500);
    expect(await connackCode(url, device('g5-01'))).toBe(5);
    process.stdout.write(`rotation + revocation: regenerated, reloaded and both sessions closed in ${cutMs} ms\n`);
  });
});
