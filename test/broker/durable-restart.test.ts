// A broker killed with SIGKILL and started again (the real CLI in a child process): with
// BROKER_PERSISTENCE=disk every QoS 1 message it acknowledged for an offline persistent session
// is still delivered, across two crashes; with the default in-memory persistence they are gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { serviceAccountId, type Provisioned } from '../../shared/registry.ts';
import { provisionDataDir } from '../../testkit/provisioning.ts';
import { deviceFilters, deviceTopic } from '../../shared/topics.ts';
import { startCli } from '../../testkit/cli.ts';
import { TEST_SCRYPT } from '../../testkit/park.ts';
import { freePort, type Managed } from '../../testkit/processes.ts';

const model = loadParkModel();
const meter = model.devices.find((d) => d.kind === 'meter')!;
const BATCH = 300;

describe('broker crash (SIGKILL) and restart', () => {
  let dir: string;
  let provisioned: Provisioned;
  const running: Managed[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-broker-kill-'));
    provisioned = await provisionDataDir(dir, model, TEST_SCRYPT);
  });
  afterAll(async () => {
    for (const p of running) await p.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function startBroker(port: number, persistence: 'memory' | 'disk', dataDir: string, extra: string[] = []): Promise<Managed> {
    const p = startCli(['broker', '--data-dir', dataDir, '--broker-host', '127.0.0.1', '--broker-port', String(port), '--broker-ws-port', '0', '--broker-persistence', persistence, '--log-level', 'info', ...extra]);
    running.push(p);
    await p.waitForOutput(/broker listening/);
    return p;
  }

  const ingest = () => ({ clientId: serviceAccountId('ingest'), username: serviceAccountId('ingest'), password: provisioned.serviceSecrets.ingest, clean: false, reconnectPeriod: 0 });
  const device = () => ({ clientId: meter.id, username: meter.id, password: deriveDeviceSecret(provisioned.fleetKey, model.id, meter.id), reconnectPeriod: 0 });

  async function publish(url: string, from: number, count: number): Promise<void> {
    const c = await mqtt.connectAsync(url, device());
    const topic = deviceTopic(model.id, 'meter', meter.id, 'telemetry');
    await Promise.all(Array.from({ length: count }, (_, i) => c.publishAsync(topic, JSON.stringify({ n: from + i }), { qos: 1 })));
    await c.endAsync();
  }

  /** Connects the persistent session and collects what the broker had queued for it. */
  async function drain(url: string, expected: number, waitMs = 10_000): Promise<Set<number>> {
    const got = new Set<number>();
    const c = mqtt.connect(url, ingest());
    c.on('message', (_t, payload) => got.add((JSON.parse(payload.toString()) as { n: number }).n));
    await new Promise((resolve, reject) => c.once('connect', resolve).once('error', reject));
    const deadline = Date.now() + waitMs;
    while (got.size < expected && Date.now() < deadline) await sleep(50);
    await sleep(300);
    await c.endAsync();
    return got;
  }

  async function offlineSession(url: string): Promise<void> {
    const c = await mqtt.connectAsync(url, ingest());
    await c.subscribeAsync(deviceFilters(model.id), { qos: 1 });
    await c.endAsync();
  }

  it('durable (disk): every acknowledged message survives two crashes and reaches the session', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    let broker = await startBroker(port, 'disk', dir);
    await offlineSession(url);
    await publish(url, 0, BATCH);
    await broker.stop('SIGKILL');
    // A second life with new messages, killed too: its queue keys must not collide with the first's.
    broker = await startBroker(port, 'disk', dir);
    await publish(url, BATCH, BATCH);
    await broker.stop('SIGKILL');
    broker = await startBroker(port, 'disk', dir);
    const got = await drain(url, 2 * BATCH);
    expect(got.size).toBe(2 * BATCH);
    for (let n = 0; n < 2 * BATCH; n++) expect(got.has(n), `message ${n}`).toBe(true);
    expect(await broker.stop()).toBe(0);
  });

  // With --broker-ack ingest (the default) these PUBACKs would wait for the ingest to store the
  // messages (test/broker/ack-chain.test.ts, test/e2e/puback-faults.test.ts); acknowledged on
  // receipt, the broker's queue is all there is, and a crash loses it.
  it('in memory, acknowledged on receipt: a crash loses what the broker queued', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    let broker = await startBroker(port, 'memory', dir, ['--broker-ack', 'receipt']);
    await offlineSession(url);
    await publish(url, 0, BATCH);
    await broker.stop('SIGKILL');
    broker = await startBroker(port, 'memory', dir, ['--broker-ack', 'receipt']);
    const got = await drain(url, 1, 2000);
    expect(got.size).toBe(0);
    await broker.stop();
  });
});
