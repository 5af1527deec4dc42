// The broker as an operator runs it: `parkpulse broker` in its own process with TLS configured,
// the `parkpulse device` CLI changing accounts underneath it, a hostile socket trying to make it
// buffer a 200 MB CONNECT, and its health and metrics port.
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { readFleetKey } from '../../shared/registry.ts';
import { freePort, runCli, startCli, type Managed } from '../../testkit/cli.ts';
import { connackCode } from '../helpers/connack.ts';
import { waitFor } from '../../testkit/park.ts';
import { makeCert, OPENSSL, type TestCert } from '../helpers/tls.ts';

describe('the broker process', () => {
  let dir: string;
  let broker: Managed;
  let cert: TestCert | null = null;
  const ports = { tcp: 0, ws: 0, tls: 0, wss: 0, http: 0 };
  let fleetKey: string;
  const clients: mqtt.MqttClient[] = [];

  const secret = (id: string, generation = 0): string => deriveDeviceSecret(fleetKey, 'dantu', id, generation);
  const device = (cli: string[]): string[] => ['device', ...cli, '--data-dir', dir];
  async function metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
  }
  function metric(text: string, name: string): number {
    const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
    if (!m) throw new Error(`no ${name} in /metrics`);
    return Number(m[1]);
  }
  const connectCode = (o: mqtt.IClientOptions, url = `mqtt://127.0.0.1:${ports.tcp}`): Promise<number | string> => connackCode(url, o);
  async function connected(id: string, password: string): Promise<mqtt.MqttClient> {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.tcp}`, { clientId: id, username: id, password, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-broker-'));
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
    if (OPENSSL) cert = makeCert(dir);
    const tls = cert ? ['--broker-tls-cert', cert.certPath, '--broker-tls-key', cert.keyPath, '--broker-tls-port', String(ports.tls), '--broker-wss-port', String(ports.wss)] : [];
    broker = startCli(['broker', '--data-dir', dir, '--broker-host', '127.0.0.1', '--broker-port', String(ports.tcp), '--broker-ws-port', String(ports.ws), '--broker-http-port', String(ports.http), '--log-level', 'warn', ...tls]);
    await waitFor('broker ready', async () => (await fetch(`http://127.0.0.1:${ports.http}/readyz`).catch(() => null))?.status === 200, 60_000, 200);
    fleetKey = readFleetKey(join(dir, 'secrets'));
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.end(true);
  });
  afterAll(async () => {
    if (broker) expect(await broker.stop()).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz, /readyz and /metrics on its HTTP port', async () => {
    expect((await fetch(`http://127.0.0.1:${ports.http}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${ports.http}/readyz`)).json()).toEqual({ ok: true, services: { broker: true } });
    const text = await metrics();
    for (const name of ['parkpulse_broker_connections', 'parkpulse_broker_messages_in_total', 'parkpulse_broker_messages_out_total', 'parkpulse_process_resident_memory_bytes']) expect(text).toContain(name);
    expect(text).toContain('parkpulse_broker_refusals_total{reason="auth-revoked"} 0');
  });

  it.skipIf(!OPENSSL)('speaks MQTT over TLS and secure WebSocket with the configured certificate', async () => {
    const o = { clientId: 'cam-030', username: 'cam-030', password: secret('cam-030'), ca: cert!.cert };
    expect(await connectCode(o, `mqtts://127.0.0.1:${ports.tls}`)).toBe(0);
    expect(await connectCode(o, `wss://127.0.0.1:${ports.wss}/mqtt`)).toBe(0);
    // Without our CA the certificate is not trusted; plain MQTT on the TLS port gets nowhere.
    expect(await connectCode({ ...o, ca: undefined }, `mqtts://127.0.0.1:${ports.tls}`)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(await connectCode({ ...o, connectTimeout: 1500 }, `mqtt://127.0.0.1:${ports.tls}`)).not.toBe(0);
  });

  it('disconnects a device the moment it is revoked, and refuses it from then on', async () => {
    const c = await connected('cam-001', secret('cam-001'));
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    const run = await runCli(device(['revoke', 'cam-001']));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('cam-001 (camera) revoked');
    await closed;
    expect(await connectCode({ clientId: 'cam-001', username: 'cam-001', password: secret('cam-001') })).toBe(5);
    expect(metric(await metrics(), 'parkpulse_broker_refusals_total{reason="auth-revoked"}')).toBe(1);
  });

  it('rotates a secret: the old one stops working at once, the new one (printed once) works', async () => {
    const c = await connected('cam-002', secret('cam-002'));
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    const run = await runCli(device(['rotate', 'cam-002']));
    expect(run.code).toBe(0);
    const printed = /secret \(shown once[^:]*\): (\S+)/.exec(run.stdout)?.[1];
    expect(printed).toBe(secret('cam-002', 1));
    await closed;
    expect(await connectCode({ clientId: 'cam-002', username: 'cam-002', password: secret('cam-002') })).toBe(4);
    expect(await connectCode({ clientId: 'cam-002', username: 'cam-002', password: printed })).toBe(0);
    // The registry holds neither secret.
    const registry = readFileSync(join(dir, 'registry.json'), 'utf8');
    expect(registry).not.toContain(printed!);
    expect(registry).not.toContain(secret('cam-002'));
  });

  it('adds a device, refuses a duplicate, and lists accounts without their hashes', async () => {
    const add = await runCli(device(['add', 'cam-900', '--kind', 'camera']));
    expect(add.code).toBe(0);
    const printed = /secret \(shown once[^:]*\): (\S+)/.exec(add.stdout)?.[1];
    await waitFor('the broker knows cam-900', async () => (await connectCode({ clientId: 'cam-900', username: 'cam-900', password: printed })) === 0, 10_000, 100);
    const again = await runCli(device(['add', 'cam-900', '--kind', 'camera']));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists already');
    expect((await runCli(device(['add', 'cam-901', '--kind', 'toaster']))).code).toBe(2);

    const list = await runCli(device(['list']));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^cam-001\s+device\s+camera\s+revoked\s+0 /m);
    expect(list.stdout).toMatch(/^cam-002\s+device\s+camera\s+active\s+1 /m);
    expect(list.stdout).toMatch(/^cam-900\s+device\s+camera\s+active\s+0 /m);
    expect(list.stdout).toMatch(/^svc-ingest\s+service\s+ingest\s+active/m);
    expect(list.stdout).not.toMatch(/scrypt|salt|hash/);
  });

  it('reinstates a revoked device by rotating it', async () => {
    const run = await runCli(device(['rotate', 'cam-001']));
    expect(run.code).toBe(0);
    await waitFor('cam-001 back with generation 1', async () => (await connectCode({ clientId: 'cam-001', username: 'cam-001', password: secret('cam-001', 1) })) === 0, 10_000, 100);
  });

  it('keeps its registry when the file is replaced by something invalid', async () => {
    const path = join(dir, 'registry.json');
    const good = readFileSync(path);
    writeFileSync(`${path}.tmp`, '{"version": 1, "accounts": "oops"}');
    renameSync(`${path}.tmp`, path);
    await broker.waitForOutput(/registry change refused/, 10_000);
    expect(await connectCode({ clientId: 'cam-003', username: 'cam-003', password: secret('cam-003') })).toBe(0);
    writeFileSync(`${path}.tmp`, good);
    renameSync(`${path}.tmp`, path);
  });

  it('cuts sockets that declare a 200 MB CONNECT without buffering it, and keeps serving', async () => {
    const rss = async (): Promise<number> => metric(await metrics(), 'parkpulse_process_resident_memory_bytes');
    const before = await rss();
    // Each attacker declares 200 MB and tries to send 64 MB of it, 1 MB at a time as fast as the
    // broker reads. Without the guard Aedes buffers every byte (docs/facts.md: +65 MiB of buffers for 64 MiB sent).
    const attack = async (): Promise<number> => {
      const s = connect(ports.tcp, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      let sent = 0;
      let open = true;
      s.on('error', () => (open = false));
      s.on('close', () => (open = false));
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      s.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x64])); // CONNECT, remaining length 200 MiB
      while (open && sent < 64) {
        sent++;
        if (!s.write(chunk)) await new Promise((r) => (s.once('drain', r), s.once('close', r)));
      }
      s.destroy();
      return sent;
    };
    const sent = await Promise.all([attack(), attack(), attack(), attack()]);
    expect(sent.every((n) => n < 64)).toBe(true); // each was cut off long before its 64 MB
    const text = await metrics();
    expect(metric(text, 'parkpulse_broker_refusals_total{reason="connect-too-large"}')).toBe(4);
    expect((await rss()) - before).toBeLessThan(20 * 1024 * 1024);
    expect(await connectCode({ clientId: 'cam-004', username: 'cam-004', password: secret('cam-004') })).toBe(0);
  });
});
