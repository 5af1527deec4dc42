// Plain MQTT 3.1.1 is the contract, both ways:
//   - our ingest, screen and simulator processes run unchanged with Debian's Mosquitto as the broker;
//   - Debian's mosquitto_pub and mosquitto_sub work against our broker with device and service
//     credentials (over TCP and TLS).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listenTls, type Listener } from '../../broker/listeners.ts';
import { createSqliteStore } from '../../ingest/store/sqlite-store.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { silentLogger } from '../../shared/logger.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import type { Provisioned } from '../../shared/registry.ts';
import { provisionDataDir } from '../../testkit/provisioning.ts';
import type { WsServerMessage } from '../../shared/schema.ts';
import { freePort, startCli, type Managed } from '../../testkit/cli.ts';
import { requireProgram } from '../../testkit/external.ts';
import { MOSQUITTO, MOSQUITTO_PASSWD, startMosquitto, type Mosquitto } from '../../testkit/mosquitto.ts';
import { startPark, TEST_SCRYPT, waitFor, type TestPark } from '../../testkit/park.ts';
import { makeCert, OPENSSL, type TestCert } from '../helpers/tls.ts';

const MOSQUITTO_PUB = requireProgram('mosquitto_pub', 'mosquitto_pub against our broker');
const MOSQUITTO_SUB = requireProgram('mosquitto_sub', 'mosquitto_sub against our broker');

function run(program: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!MOSQUITTO || !MOSQUITTO_PASSWD)('our services with Mosquitto as the broker', () => {
  const model = loadParkModel();
  const MESSAGES = 400;
  let dir: string;
  let mosquitto: Mosquitto;
  let provisioned: Provisioned;
  const procs: Managed[] = [];
  const ports = { ingestHttp: 0, screen: 0 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-mosquitto-'));
    provisioned = await provisionDataDir(dir, model, TEST_SCRYPT);
    const accounts = provisioned.registry.accounts.map((account) => ({
      account,
      password: account.type === 'device' ? deriveDeviceSecret(provisioned.fleetKey, model.id, account.id) : provisioned.serviceSecrets[account.role],
    }));
    mosquitto = await startMosquitto(dir, accounts, model.id);
    ports.ingestHttp = await freePort();
    ports.screen = await freePort();
    const common = ['--data-dir', dir, '--mqtt-url', mosquitto.url, '--log-level', 'warn'];
    procs.push(startCli(['ingest', ...common, '--ingest-http-port', String(ports.ingestHttp), '--ingest-http-host', '127.0.0.1']));
    procs.push(startCli(['screen', ...common, '--screen-host', '127.0.0.1', '--screen-port', String(ports.screen)]));
    await waitFor('ingest ready on Mosquitto', async () => (await fetch(`http://127.0.0.1:${ports.ingestHttp}/readyz`).catch(() => null))?.status === 200, 60_000, 200);
    await waitFor('screen ready on Mosquitto', async () => (await fetch(`http://127.0.0.1:${ports.screen}/readyz`).catch(() => null))?.status === 200, 60_000, 200);
    procs.push(startCli(['sim', ...common, '--sim-interval-ms', '150', '--sim-max-messages', String(MESSAGES)]));
  }, 180_000);

  afterAll(async () => {
    const codes = [];
    for (const p of procs.reverse()) codes.push(await p.stop());
    await mosquitto?.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(codes.every((c) => c === 0), `exit codes ${codes.join(',')}`).toBe(true);
  });

  it('stores every simulated reading exactly once, with no sequence gaps', async () => {
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${ports.ingestHttp}/metrics`)).text();
      return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    };
    await waitFor('the simulated readings accepted', async () => (await metric('parkpulse_ingest_accepted_total')) >= MESSAGES + model.devices.length, 90_000, 250);
    const reader = await createSqliteStore({ path: join(dir, 'parkpulse.db'), model, logger: silentLogger(), readOnly: true });
    try {
      const keys = await waitFor('the readings committed', async () => {
        const k = (await reader.keys()).filter((x) => x.channel !== 'status');
        return k.length >= MESSAGES ? k : null;
      });
      expect(new Set(keys.map((k) => `${k.device}#${k.seq}`)).size).toBe(keys.length);
      // Per device, the stored seqs run without holes (status messages take seqs too).
      const all = await reader.keys();
      const byDevice = new Map<string, number[]>();
      for (const k of all) byDevice.set(k.device, [...(byDevice.get(k.device) ?? []), k.seq]);
      expect(byDevice.size).toBe(model.devices.length);
      for (const [device, seqs] of byDevice) {
        const sorted = [...new Set(seqs)].sort((a, b) => a - b);
        expect(sorted.at(-1)! - sorted[0]! + 1, device).toBe(sorted.length);
      }
    } finally {
      await reader.close();
    }
    expect(await metric('parkpulse_ingest_seq_gaps_total')).toBe(0);
    expect(await metric('parkpulse_ingest_rejects_total{reason="schema-invalid"}')).toBe(0);
  });

  it('feeds the screen: a browser socket gets the live park through Mosquitto', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${ports.screen}/ws?token=${provisioned.viewerToken}`);
    try {
      const live = await new Promise<WsServerMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no live data within 30 s')), 30_000);
        ws.on('message', (d) => {
          const m = JSON.parse(d.toString()) as WsServerMessage;
          const s = m.summary;
          if (s && s.cameras.online === model.devicesOfKind('camera').length && s.energy.totalKw > 0) {
            clearTimeout(timer);
            resolve(m);
          }
        });
      });
      expect(live).toBeDefined();
    } finally {
      ws.close();
    }
  });

  it('refuses on Mosquitto what our ACL refuses (the generated ACL is ours)', async () => {
    const cam = 'cam-001';
    const secret = deriveDeviceSecret(provisioned.fleetKey, model.id, cam);
    const denied = await run(MOSQUITTO_SUB!, ['-h', '127.0.0.1', '-p', String(mosquitto.port), '-i', 'acl-check', '-u', cam, '-P', secret, '-t', `park/${model.id}/live/#`, '-C', '1', '-W', '2']);
    // Mosquitto 2 grants the subscription but delivers nothing the ACL does not allow: no message.
    expect(denied.stdout).toBe('');
  });
});

describe.skipIf(!MOSQUITTO_PUB || !MOSQUITTO_SUB)('mosquitto_pub and mosquitto_sub against our broker', () => {
  let park: TestPark;
  let cert: TestCert | null = null;
  let tls: Listener | null = null;
  const secret = (id: string): string => deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id);
  const base = (): string[] => ['-h', '127.0.0.1', '-p', String(park.tcp.port), '-V', 'mqttv311'];
  const meter = (seq: number): string => JSON.stringify({ ts: Date.now(), seq, kw: 640, kwh: 12_000 + seq, voltage: 400, current: 950, powerFactor: 0.96 });

  beforeAll(async () => {
    park = await startPark({ screen: false });
    if (OPENSSL) {
      cert = makeCert(park.dir);
      tls = await listenTls(park.broker, { host: '127.0.0.1', port: 0, tls: { cert: cert.cert, key: cert.key } });
    }
  });
  afterAll(async () => {
    await tls?.close();
    await park?.stop();
  });

  it('publishes a device reading with mosquitto_pub and device credentials; the ingest stores it', async () => {
    const id = 'mtr-longyuan-2';
    const r = await run(MOSQUITTO_PUB!, [...base(), '-i', id, '-u', id, '-P', secret(id), '-q', '1', '-t', `park/${park.model.id}/meter/${id}/telemetry`, '-m', meter(70_001)]);
    expect(r.code, r.stderr).toBe(0);
    const reader = await park.reader();
    await waitFor('the reading stored', async () => (await reader.keys({ device: id })).some((k) => k.seq === 70_001));
  });

  it.skipIf(!OPENSSL)('does the same over TLS with the CA file', async () => {
    const id = 'mtr-longyuan-2';
    const r = await run(MOSQUITTO_PUB!, ['-h', '127.0.0.1', '-p', String(tls!.port), '--cafile', cert!.certPath, '-V', 'mqttv311', '-i', id, '-u', id, '-P', secret(id), '-q', '1', '-t', `park/${park.model.id}/meter/${id}/telemetry`, '-m', meter(70_002)]);
    expect(r.code, r.stderr).toBe(0);
    const reader = await park.reader();
    await waitFor('the reading stored', async () => (await reader.keys({ device: id })).some((k) => k.seq === 70_002));
  });

  it('is refused with a wrong secret, and on another device’s topic', async () => {
    const id = 'mtr-longyuan-2';
    const wrong = await run(MOSQUITTO_PUB!, [...base(), '-i', id, '-u', id, '-P', 'not-the-secret', '-q', '1', '-t', `park/${park.model.id}/meter/${id}/telemetry`, '-m', meter(70_003)]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/bad user name or password|not authori[sz]ed/i);
    const before = park.broker.stats().refused['publish-denied'] ?? 0;
    await run(MOSQUITTO_PUB!, [...base(), '-i', id, '-u', id, '-P', secret(id), '-q', '1', '-t', `park/${park.model.id}/meter/mtr-zhonghai-1/telemetry`, '-m', meter(70_004)]);
    expect(park.broker.stats().refused['publish-denied']).toBe(before + 1);
    const reader = await park.reader();
    expect((await reader.keys({ device: 'mtr-zhonghai-1' })).some((k) => k.seq === 70_004)).toBe(false);
  });

  it('subscribes with mosquitto_sub: a device to its command topic, the screen account to the live snapshot', async () => {
    const id = 'cam-007';
    const own = await run(MOSQUITTO_SUB!, [...base(), '-i', id, '-u', id, '-P', secret(id), '-t', `park/${park.model.id}/camera/${id}/command`, '-E']);
    expect(own.code, own.stderr).toBe(0);
    const foreign = await run(MOSQUITTO_SUB!, [...base(), '-i', id, '-u', id, '-P', secret(id), '-t', `park/${park.model.id}/#`, '-E']);
    // mosquitto_sub 2.0.11 exits 0 here, but says so: the SUBACK carried 0x80.
    expect(foreign.stderr).toContain('All subscription requests were denied.');
    expect(own.stderr).not.toContain('denied');
    const snap = await run(MOSQUITTO_SUB!, [...base(), '-i', 'svc-screen-cli', '-u', 'svc-screen', '-P', park.provisioned.serviceSecrets.screen, '-t', `park/${park.model.id}/live/snapshot`, '-C', '1', '-W', '15']);
    expect(snap.code, snap.stderr).toBe(0);
    const body = JSON.parse(snap.stdout) as { summary: { cameras: { total: number } } };
    expect(body.summary.cameras.total).toBe(park.model.devicesOfKind('camera').length);
  });
});
