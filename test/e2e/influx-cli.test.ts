// The CLI with INFLUX_URL set, as a user runs it: the whole park writes to InfluxDB and the
// screen's history endpoints answer from it (no SQLite file appears); a server without
// /api/v2/write stops the ingest at start with a clear message.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxStore } from '../../ingest/store/influx-store.ts';
import { silentLogger } from '../../shared/logger.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { provision } from '../../shared/registry.ts';
import { startCli } from '../../testkit/cli.ts';
import { requireProgram } from '../../testkit/external.ts';
import { startInfluxd, startInfluxV2Proxy, type Influxd, type RestartableServer } from '../../testkit/influx-servers.ts';
import { TEST_SCRYPT, waitFor } from '../../testkit/park.ts';
import { freePort, type Managed } from '../../testkit/processes.ts';

const influxdBin = requireProgram('influxd', 'the CLI is tested against a real InfluxDB 1.6.7');
const nginxBin = requireProgram('nginx', 'nginx rewrites /api/v2/write onto InfluxDB 1.6.7');
const model = loadParkModel();

describe.skipIf(!influxdBin || !nginxBin)('parkpulse CLI with INFLUX_URL', () => {
  let dir: string;
  let influxd: Influxd;
  let proxy: RestartableServer;
  const procs: Managed[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-influx-cli-'));
    influxd = await startInfluxd(influxdBin!, join(dir, 'influxd'));
    proxy = await startInfluxV2Proxy(nginxBin!, join(dir, 'nginx'), influxd.port);
    await influxd.query('CREATE DATABASE park');
    await provision({ model, registryPath: join(dir, 'data', 'registry.json'), secretsDir: join(dir, 'data', 'secrets'), scrypt: TEST_SCRYPT });
  });
  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await proxy?.stop();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the park on InfluxDB: the screen history comes from it', async () => {
    // Screen and WebSocket on port 0 (the CLI prints the screen's real port): one port fewer to race for.
    const broker = await freePort();
    // A token influxd 1.6.7 (auth off) does not check; made at run time so no credential sits in the source.
    const token = randomBytes(18).toString('base64url');
    const all = startCli(
      ['all', '--data-dir', join(dir, 'data'), '--broker-host', '127.0.0.1', '--broker-port', String(broker), '--broker-ws-port', '0', '--screen-host', '127.0.0.1', '--screen-port', '0', '--sim-interval-ms', '300', '--log-level', 'info'],
      { INFLUX_URL: proxy.url, INFLUX_BUCKET: 'park', INFLUX_TOKEN: token },
    );
    procs.push(all);
    await all.waitForOutput(/http:\/\/localhost:\d+\//, 60_000);
    const screen = Number(/http:\/\/localhost:(\d+)\//.exec(all.output())![1]);
    const reader = await createInfluxStore({ endpoint: { url: proxy.url, org: 'parkpulse', bucket: 'park', timeoutMs: 5000 }, model, logger: silentLogger(), readOnly: true });
    try {
      await waitFor('meter readings in InfluxDB', async () => (await reader.keys()).filter((k) => k.device.startsWith('mtr')).length > 600, 60_000, 500);
      // A closed range (readings in it have all arrived), so both answers see the same data.
      const to = Math.floor((Date.now() - 3000) / 5000) * 5000;
      const from = to - 60_000;
      const url = `http://127.0.0.1:${screen}/api/history?series=park.power&from=${from}&to=${to}&bucketMs=5000`;
      const body = (await (await fetch(url)).json()) as { points: { t: number; v: number }[] };
      const direct = await reader.history({ series: 'park.power', from, to, bucketMs: 5000 });
      expect(body.points.length).toBeGreaterThan(0);
      expect(body.points).toEqual(direct);
      const energy = (await (await fetch(`http://127.0.0.1:${screen}/api/energy/today`)).json()) as { enterprises: { kwh: number }[] };
      expect(energy.enterprises.length).toBeGreaterThan(0);
      expect(existsSync(join(dir, 'data', 'parkpulse.db')), 'no SQLite store when INFLUX_URL is set').toBe(false);
      expect(all.output()).not.toContain(token);
      expect(all.output()).toMatch(/store open \(InfluxDB\)/);
    } finally {
      await reader.close();
    }
    expect(await all.stop('SIGTERM')).toBe(0);
  });

  it('stops the ingest at start with a clear message when the server has no /api/v2/write', async () => {
    const ingest = startCli(['ingest', '--data-dir', join(dir, 'data'), '--mqtt-url', 'mqtt://127.0.0.1:1', '--log-level', 'info'], { INFLUX_URL: influxd.url, INFLUX_BUCKET: 'park' });
    procs.push(ingest);
    const code = await ingest.exited;
    expect(code).toBe(1);
    expect(ingest.output()).toMatch(/no \/api\/v2\/write \(HTTP 404.*InfluxDB before 1\.8/);
  });
});
