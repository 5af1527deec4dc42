// Points per second through the InfluxDB store path (line formatting, WriteApi with gzip, one
// awaited flush per batch, as the ingest writes) against a direct line-protocol POST of the same
// points to the same server (lines prepared beforehand, plain fetch, no gzip), as a ratio.
// The server is Debian's victoria-metrics, or influxd 1.6.7 behind the nginx rewrite when only
// that is installed; both start in a temporary folder and stop after.
import { join } from 'node:path';
import { readingToLine } from '../../ingest/store/influx-line-protocol.ts';
import { createInfluxStore } from '../../ingest/store/influx-store.ts';
import type { Reading } from '../../ingest/store/types.ts';
import { silentLogger } from '../../shared/logger.ts';
import { loadParkModel, type ParkModel } from '../../shared/park-model.ts';
import { findProgram } from '../../testkit/external.ts';
import { startInfluxd, startInfluxV2Proxy, startVictoriaMetrics } from '../../testkit/influx-servers.ts';
import type { BenchSuite } from '../harness.ts';

const BATCH = 5000;

function readings(model: ParkModel, count: number, start: number): Reading[] {
  const out: Reading[] = [];
  const devices = model.devices;
  for (let i = 0; i < count; i++) {
    const d = devices[i % devices.length]!;
    const n = Math.floor(i / devices.length);
    const ts = start + n * 1000;
    const values: Reading['values'] =
      d.kind === 'meter'
        ? { kw: 100 + (i % 50), kwh: 1000 + n * 0.5, voltage: 400, current: 150 + (i % 7), powerFactor: 0.95 }
        : d.kind === 'node5g'
          ? { rsrpDbm: -90 - (i % 9), sinrDb: 12, dlMbps: 300 + (i % 40), ulMbps: 50, latencyMs: 9, connectedUes: 20 + (i % 5) }
          : { online: true, fps: 25, bitrateKbps: 4000 + (i % 100), storageUsedPct: 40 };
    out.push({ device: d.id, kind: d.kind, channel: 'telemetry', seq: n + 1, ts, receivedAt: ts + 3, enterprise: d.enterprise ?? null, zone: d.zone, values });
  }
  return out;
}

export const influxSuite: BenchSuite = {
  name: 'influx',
  description: 'points/s through the InfluxDB store path vs a direct line-protocol POST to the same server',
  estimatedSeconds: 45,
  async run(ctx) {
    const dir = ctx.workDir;
    const vmBin = findProgram('victoria-metrics');
    const influxdBin = findProgram('influxd');
    const nginxBin = findProgram('nginx');
    if (!vmBin && !(influxdBin && nginxBin)) throw new Error('needs victoria-metrics, or influxd and nginx (apt-get install victoria-metrics)');
    const stops: (() => Promise<void>)[] = [];
    try {
      let url: string;
      let server: string;
      const buckets = ['bench_store', 'bench_direct'];
      if (vmBin) {
        const vm = await startVictoriaMetrics(vmBin, join(dir, 'vm'));
        stops.push(() => vm.stop());
        url = vm.url;
        server = 'victoria-metrics';
      } else {
        const d = await startInfluxd(influxdBin!, join(dir, 'influxd'));
        stops.push(() => d.stop());
        const proxy = await startInfluxV2Proxy(nginxBin!, join(dir, 'nginx'), d.port);
        stops.unshift(() => proxy.stop());
        for (const b of buckets) await d.query(`CREATE DATABASE ${b}`);
        url = proxy.url;
        server = 'influxd 1.6.7 + nginx';
      }
      const model = loadParkModel();
      const count = ctx.soak ? 2_000_000 : 300_000;
      const start = Date.now() - 3 * 3_600_000;
      const data = readings(model, count, start);
      ctx.progress(`${server} at ${url}; ${count} points in batches of ${BATCH}`);

      // Direct: lines prepared beforehand, one plain POST per batch, awaited in turn.
      const lines = data.map((r) => readingToLine(r, model.id));
      const bodies: string[] = [];
      for (let i = 0; i < lines.length; i += BATCH) bodies.push(lines.slice(i, i + BATCH).join('\n'));
      const directUrl = `${url}/api/v2/write?org=parkpulse&bucket=${buckets[1]}&precision=us`;
      let t0 = performance.now();
      for (let i = 0; i < bodies.length; i++) {
        const res = await fetch(directUrl, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: bodies[i] });
        await res.arrayBuffer();
        if (res.status !== 204) throw new Error(`direct POST answered ${res.status}`);
        if (i % 20 === 19) ctx.progress(`direct: ${(i + 1) * BATCH} points`);
      }
      const directSec = (performance.now() - t0) / 1000;

      // The store path, as the ingest drives it: one awaited write per batch.
      const store = await createInfluxStore({
        endpoint: { url, org: 'parkpulse', bucket: buckets[0]!, timeoutMs: 30_000 },
        model, logger: silentLogger(), spoolDir: join(dir, 'spool'), deadLetterPath: join(dir, 'dead.ndjson'),
      });
      t0 = performance.now();
      for (let i = 0; i < data.length; i += BATCH) {
        await store.write(data.slice(i, i + BATCH));
        if ((i / BATCH) % 20 === 19) ctx.progress(`store: ${i + BATCH} points`);
      }
      const storeSec = (performance.now() - t0) / 1000;
      const stats = store.stats();
      await store.close();
      if (stats.spooled > 0 || stats.deadLettered > 0) throw new Error(`store path spooled ${stats.spooled} and dead-lettered ${stats.deadLettered} points: not a clean run`);

      const storeRate = count / storeSec;
      const directRate = count / directSec;
      return {
        rows: [
          { metric: 'store path points/s', value: Math.round(storeRate), unit: 'points/s', note: `${server}; format + WriteApi gzip + flush per ${BATCH}` },
          { metric: 'direct POST points/s', value: Math.round(directRate), unit: 'points/s', note: `same points, prepared lines, no gzip` },
          { metric: 'store / direct', value: Math.round((storeRate / directRate) * 100) / 100, unit: 'ratio' },
        ],
        details: { server, count, batch: BATCH, storeSec, directSec },
      };
    } finally {
      for (const stop of stops) await stop().catch(() => {});
    }
  },
};
