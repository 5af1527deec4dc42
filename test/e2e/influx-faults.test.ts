// SLOW (about 75 s and 55 s on an idle machine, several times that on a loaded one): fault tests of the whole write path against real servers. The
// broker and the ingest run as real CLI processes (`tsx bin/parkpulse.ts broker|ingest`), the
// fleet simulator publishes meanwhile and records every (device, seq) the broker acknowledged.
//   - InfluxDB 1.6.7 behind the /api/v2/write rewrite: the ingest killed (SIGKILL) mid-stream and
//     restarted; the database stopped for 32 s and started again, with the ingest killed and
//     restarted while it is down (its spool then lives only on disk); the broker (durable mode)
//     killed and restarted.
//   - VictoriaMetrics: the database stopped for 32 s with the ingest killed and restarted meanwhile.
// Afterwards every acknowledged (device, seq) is in the store exactly once.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxStore } from '../../ingest/store/influx-store.ts';
import { silentLogger } from '../../shared/logger.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import type { Provisioned } from '../../shared/registry.ts';
import { provisionDataDir } from '../../testkit/provisioning.ts';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import type { Published } from '../../simulators/device-client.ts';
import { startCli } from '../../testkit/cli.ts';
import { requireProgram } from '../../testkit/external.ts';
import { startInfluxd, startInfluxV2Proxy, startVictoriaMetrics, type RestartableServer } from '../../testkit/influx-servers.ts';
import { TEST_SCRYPT, waitFor } from '../../testkit/park.ts';
import { freePort, type Managed } from '../../testkit/processes.ts';

const influxdBin = requireProgram('influxd', 'fault tests run against a real InfluxDB 1.6.7');
const nginxBin = requireProgram('nginx', 'nginx rewrites /api/v2/write onto InfluxDB 1.6.7');
const vmBin = requireProgram('victoria-metrics', 'fault tests run against VictoriaMetrics (InfluxDB v2 write API)');

const model = loadParkModel();
const logger = silentLogger();
/** The database outage: the issue asks for 30 s or more. */
const OUTAGE_MS = 32_000;
const key = (device: string, seq: number): string => `${device}#${seq}`;
/** Timeouts are generous (a loaded 2-core machine runs this several times slower than idle). */
const SLOW_WAIT_MS = 120_000;

/** Prints the scenario's phases with elapsed time, for the CI log. */
function phases(name: string): (what: string) => void {
  const t0 = Date.now();
  return (what) => process.stdout.write(`[${name} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}\n`);
}

interface Rig {
  dir: string;
  provisioned: Provisioned;
  mqttUrl: string;
  brokerPort: number;
  broker: Managed | null;
  ingest: Managed | null;
  fleet: Fleet | null;
  all: Managed[];
}

async function createRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-faults-'));
  const provisioned = await provisionDataDir(dir, model, TEST_SCRYPT);
  const brokerPort = await freePort();
  return { dir, provisioned, brokerPort, mqttUrl: `mqtt://127.0.0.1:${brokerPort}`, broker: null, ingest: null, fleet: null, all: [] };
}

async function startBroker(rig: Rig, persistence: 'memory' | 'disk'): Promise<void> {
  const p = startCli(['broker', '--data-dir', rig.dir, '--broker-host', '127.0.0.1', '--broker-port', String(rig.brokerPort), '--broker-ws-port', '0', '--broker-persistence', persistence, '--log-level', 'info']);
  rig.all.push(p);
  await p.waitForOutput(/broker listening/, SLOW_WAIT_MS);
  rig.broker = p;
}

async function startIngest(rig: Rig, influxEnv: Record<string, string>): Promise<void> {
  const p = startCli(['ingest', '--data-dir', rig.dir, '--mqtt-url', rig.mqttUrl, '--log-level', 'info'], { INFLUX_TIMEOUT_MS: '3000', ...influxEnv });
  rig.all.push(p);
  await p.waitForOutput(/subscriptions granted/, SLOW_WAIT_MS);
  rig.ingest = p;
}

async function restartIngestAfterKill(rig: Rig, influxEnv: Record<string, string>): Promise<void> {
  expect(await rig.ingest!.stop('SIGKILL')).toBe('SIGKILL');
  await startIngest(rig, influxEnv);
}

/** The store's database, as a fault run stops and starts it. */
interface Database {
  name: string;
  stop(): Promise<unknown>;
  start(): Promise<unknown>;
}

/**
 * The database is down for OUTAGE_MS, and the ingest is SIGKILLed and started again `killAfterMs`
 * into it, so its spool must outlive a restart. `atEnd` runs as the outage ends (checks on what
 * built up meanwhile); then the database starts again, and this returns once the spool drained.
 */
async function outageWithIngestKill(rig: Rig, influxEnv: Record<string, string>, phase: (what: string) => void, db: Database, killAfterMs: number, atEnd: () => void): Promise<void> {
  phase(`stop ${db.name}`);
  const outageStart = Date.now();
  await db.stop();
  await sleep(killAfterMs);
  phase('SIGKILL ingest during the outage');
  await restartIngestAfterKill(rig, influxEnv);
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
  atEnd();
  phase(`start ${db.name} after ${((Date.now() - outageStart) / 1000).toFixed(1)} s`);
  await db.start();
  await rig.ingest!.waitForOutput(/spool drained/, SLOW_WAIT_MS);
  phase('spool drained');
}

async function stopRig(rig: Rig | undefined): Promise<void> {
  if (!rig) return;
  await rig.fleet?.close().catch(() => {});
  for (const p of rig.all) await p.stop('SIGKILL');
  rmSync(rig.dir, { recursive: true, force: true });
}

/** Stops the fleet; a stop that hangs (a device waiting for an acknowledgement) fails with the evidence. */
async function closeFleet(rig: Rig, fleet: Fleet): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const s = fleet.stats();
      reject(new Error(`fleet did not stop within 60 s: ${JSON.stringify(s)}\nbroker:\n${rig.broker?.output().slice(-3000)}\ningest:\n${rig.ingest?.output().slice(-3000)}`));
    }, 60_000);
  });
  try {
    await Promise.race([fleet.close(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every device of the park (84) every 500 ms: ~170 msg/s, enough to fill the spool, light enough to share 2 cores with the browser tests. */
async function startFleet(rig: Rig): Promise<Fleet> {
  const fleet = await createFleet({ model, url: rig.mqttUrl, fleetKey: rig.provisioned.fleetKey, logger, intervalMs: 500, track: true });
  await fleet.connected();
  rig.fleet = fleet;
  return fleet;
}

/** Every acknowledged data message (telemetry, event), as device#seq. */
function acked(published: readonly Published[]): Set<string> {
  return new Set(published.filter((p) => p.channel !== 'status').map((p) => key(p.device, p.seq)));
}

function expectExactlyOnce(ackedKeys: Set<string>, stored: string[]): void {
  const storedSet = new Set(stored);
  expect(storedSet.size, 'duplicated (device, seq) in the store').toBe(stored.length);
  const missing = [...ackedKeys].filter((k) => !storedSet.has(k));
  expect(missing, `${missing.length} acknowledged readings missing`).toEqual([]);
}

function spoolFiles(rig: Rig): string[] {
  const d = join(rig.dir, 'influx-spool');
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.lp')) : [];
}

describe.skipIf(!influxdBin || !nginxBin)('SLOW fault tests: InfluxDB 1.6.7 (via the v2 write rewrite)', () => {
  let rig: Rig;
  let influxd: RestartableServer;
  let proxy: RestartableServer;
  let influxEnv: Record<string, string>;

  beforeAll(async () => {
    rig = await createRig();
    const d = await startInfluxd(influxdBin!, join(rig.dir, 'influxd'));
    influxd = d;
    proxy = await startInfluxV2Proxy(nginxBin!, join(rig.dir, 'nginx'), d.port);
    await d.query('CREATE DATABASE parkpulse');
    influxEnv = { INFLUX_URL: proxy.url, INFLUX_BUCKET: 'parkpulse', INFLUX_ORG: 'parkpulse' };
  });
  afterAll(async () => {
    await stopRig(rig);
    await proxy?.stop();
    await influxd?.stop();
  });

  it('loses and duplicates nothing through ingest kills, a 32 s database outage and a broker kill', { timeout: 600_000 }, async () => {
    const phase = phases('influxd');
    await startBroker(rig, 'disk');
    await startIngest(rig, influxEnv);
    const fleet = await startFleet(rig);
    const reader = await createInfluxStore({ endpoint: { url: proxy.url, org: 'parkpulse', bucket: 'parkpulse', timeoutMs: 10_000 }, model, logger, readOnly: true });

    await waitFor('readings in InfluxDB', async () => (await reader.keys()).length > 100, SLOW_WAIT_MS, 250);
    // 1. the ingest dies mid-stream (unacknowledged messages are redelivered to the next one)
    phase('SIGKILL ingest');
    await restartIngestAfterKill(rig, influxEnv);
    await sleep(3000);

    // 2. the database goes away for OUTAGE_MS; the ingest spools, and dies meanwhile too
    const ackedBeforeOutage = fleet.stats().acked;
    await outageWithIngestKill(rig, influxEnv, phase, { name: 'influxd', stop: () => influxd.stop(), start: () => influxd.start() }, OUTAGE_MS / 3, () => {
      expect(fleet.stats().acked - ackedBeforeOutage, 'devices kept publishing during the outage').toBeGreaterThan(1000);
      expect(spoolFiles(rig).length, 'points waiting in the spool').toBeGreaterThan(0);
    });

    // 3. the broker (durable mode) dies; devices and the ingest reconnect to its successor
    await sleep(2000);
    phase('SIGKILL broker');
    expect(await rig.broker!.stop('SIGKILL')).toBe('SIGKILL');
    await startBroker(rig, 'disk');
    // Every device back before the fleet stops: a device stopped while it is still reconnecting
    // waits forever for acknowledgements of what it sent before the crash (mqtt.js end()).
    await fleet.connected(SLOW_WAIT_MS).catch((err: Error) => {
      throw new Error(`${err.message}\nbroker (running ${rig.broker!.running}):\n${rig.broker!.output().slice(-3000)}`);
    });
    phase('devices reconnected');
    await sleep(5000);

    phase(`stop the fleet, verify (${JSON.stringify(fleet.stats())})`);
    await closeFleet(rig, fleet);
    phase('fleet stopped');
    const expected = acked(fleet.published());
    expect(expected.size).toBeGreaterThan(3000);
    const stored = await waitFor(
      'every acknowledged reading in InfluxDB',
      async () => {
        const keys = (await reader.keys()).filter((k) => k.channel !== 'status').map((k) => key(k.device, k.seq));
        const have = new Set(keys);
        return [...expected].every((k) => have.has(k)) ? keys : null;
      },
      SLOW_WAIT_MS,
      500,
    ).catch(async () => (await reader.keys()).filter((k) => k.channel !== 'status').map((k) => key(k.device, k.seq)));
    phase(`${expected.size} acknowledged, ${stored.length} stored`);
    expectExactlyOnce(expected, stored);
    expect(spoolFiles(rig)).toEqual([]);
    expect(existsSync(join(rig.dir, 'influx-dead-letter.ndjson')), 'dead letters').toBe(false);
    await reader.close();
  });
});

describe.skipIf(!vmBin)('SLOW fault tests: VictoriaMetrics', () => {
  let rig: Rig;
  let vm: Awaited<ReturnType<typeof startVictoriaMetrics>>;
  let influxEnv: Record<string, string>;

  beforeAll(async () => {
    rig = await createRig();
    vm = await startVictoriaMetrics(vmBin!, join(rig.dir, 'vm'));
    influxEnv = { INFLUX_URL: vm.url, INFLUX_BUCKET: 'parkpulse' };
  });
  afterAll(async () => {
    await stopRig(rig);
    await vm?.stop();
  });

  /** (device, seq) of every stored data point, from the `<measurement>_seq` series. */
  async function storedKeys(): Promise<string[]> {
    const series = await vm.export('(camera|node5g|meter|camera_event)_seq');
    return series.flatMap((s) => s.values.map((seq) => key(s.metric.device!, seq)));
  }

  it('loses and duplicates nothing through a 32 s outage with an ingest kill in it', { timeout: 480_000 }, async () => {
    const phase = phases('victoria-metrics');
    await startBroker(rig, 'memory');
    await startIngest(rig, influxEnv);
    const fleet = await startFleet(rig);
    await waitFor('readings in VictoriaMetrics', async () => (await storedKeys()).length > 100, SLOW_WAIT_MS, 500);

    await outageWithIngestKill(rig, influxEnv, phase, { name: 'victoria-metrics', stop: () => vm.stop(), start: () => vm.start() }, OUTAGE_MS / 2, () => {
      expect(spoolFiles(rig).length, 'points waiting in the spool').toBeGreaterThan(0);
    });
    await sleep(2000);

    phase(`stop the fleet, verify (${JSON.stringify(fleet.stats())})`);
    await closeFleet(rig, fleet);
    phase('fleet stopped');
    const expected = acked(fleet.published());
    const stored = await waitFor(
      'every acknowledged reading in VictoriaMetrics',
      async () => {
        const keys = await storedKeys();
        const have = new Set(keys);
        return [...expected].every((k) => have.has(k)) ? keys : null;
      },
      SLOW_WAIT_MS,
      1000,
    ).catch(() => storedKeys());
    phase(`${expected.size} acknowledged, ${stored.length} stored`);
    expectExactlyOnce(expected, stored);
    expect(spoolFiles(rig)).toEqual([]);
  });
});
