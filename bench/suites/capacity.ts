// Two capacities the other numbers rest on. The load generator's own (its processes against a sink
// that only acknowledges), so a broker figure is never the generator's limit in disguise; and
// 10,000 concurrent device connections to the broker: time to connect them all, memory each.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionLoadPark } from '../../testkit/provisioning.ts';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.ts';
import { cpuSeconds, rssMb, runJsonProcess } from '../lib/processes.ts';
import type { PublisherConfig } from '../load/publisher.ts';
import { startOurBroker } from './broker.ts';

interface PubLine { t: number; acked: number; sent: number; connected: number; failures: number; cpuUs: number; final?: boolean; connectMs?: number | null; failureReasons?: Record<string, number>; retries?: number }

export async function loadgenCapacity(ctx: BenchContext): Promise<BenchRow[]> {
  const sink = runJsonProcess<{ ready?: boolean; port?: number; publishes?: number; final?: boolean }>('bench/load/sink.ts', {});
  const { port } = await sink.waitFor((l) => l.ready === true);
  const ids = Array.from({ length: 400 }, (_, i) => `ld-${String(i + 1).padStart(5, '0')}`);
  const runMs = 10_000;
  const pubs = [0, 1, 2, 3].map((i) =>
    runJsonProcess<PubLine>('bench/load/publisher.ts', {
      host: '127.0.0.1', port: port!, parkId: 'dantu', fleetKey: null, deviceIds: ids.slice(i * 100, (i + 1) * 100),
      qos: 1, ratePerDevice: 0, durationMs: runMs, rampPerSec: 1000, window: 100, startSeq: 1,
    } satisfies PublisherConfig),
  );
  ctx.progress('load generator flat out against an acknowledging sink, 10 s');
  const finals = await Promise.all(pubs.map((p) => p.final));
  sink.kill();
  const acked = finals.reduce((s, f) => s + f.acked, 0);
  const cpu = finals.reduce((s, f) => s + f.cpuUs, 0);
  return [
    { metric: 'load generator capacity (4 processes, QoS 1)', value: Math.round(acked / (runMs / 1000)), unit: 'msg/s', note: 'against a sink that only acknowledges, on the same 2 cores' },
    { metric: 'load generator CPU per message', value: cpu / acked, unit: 'µs', note: 'flat out; paced runs cost more per message (timers)' },
  ];
}

export async function connectionCapacity(ctx: BenchContext, devices = 10_000): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-bench-conn-'));
  chmodSync(dir, 0o755);
  try {
    ctx.progress(`provisioning ${devices} load devices (scrypt at the load-device cost)`);
    const { model, provisioned, ids } = await provisionLoadPark(dir, devices);
    const broker = await startOurBroker(dir, devices, ['--broker-max-connections', String(devices * 2)]);
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const before = rssMb(broker.brokerPid)!;
      const cpu0 = cpuSeconds(broker.brokerPid)!;
      const processes = 4;
      const per = Math.ceil(devices / processes);
      const t0 = Date.now();
      const pubs = Array.from({ length: processes }, (_, i) =>
        runJsonProcess<PubLine>('bench/load/publisher.ts', {
          host: '127.0.0.1', port: broker.port, parkId: model.id, fleetKey: provisioned.fleetKey, deviceIds: ids.slice(i * per, (i + 1) * per),
          // Connected and idle: one reading every 100 s; the run ends after everything connected.
          qos: 1, ratePerDevice: 0.01, durationMs: 120_000, rampPerSec: 250, window: 10, startSeq: 1,
        } satisfies PublisherConfig),
      );
      let connectedAll: number | null = null;
      while (Date.now() - t0 < 110_000) {
        const connected = pubs.reduce((s, p) => s + (p.lines.at(-1)?.connected ?? 0), 0);
        const failures = pubs.reduce((s, p) => s + (p.lines.at(-1)?.failures ?? 0), 0);
        ctx.progress(`${connected}/${devices} connected, ${failures} failed, broker RSS ${rssMb(broker.brokerPid)?.toFixed(0)} MB`);
        if (connected + failures >= devices) {
          connectedAll = connected === devices ? Date.now() - t0 : null;
          break;
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
      await new Promise((r) => setTimeout(r, 3000)); // settle, then measure
      const after = rssMb(broker.brokerPid)!;
      const connected = pubs.reduce((s, p) => s + (p.lines.at(-1)?.connected ?? 0), 0);
      const cpu = (cpuSeconds(broker.brokerPid) ?? cpu0) - cpu0;
      const refusals = (await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text())
        .split('\n').filter((l) => l.startsWith('parkpulse_broker_refusals_total{') && !l.endsWith(' 0')).map((l) => l.replace(/^.*reason="([^"]+)"\}\s+/, '$1 ')).join(', ');
      for (const p of pubs) p.kill('SIGTERM');
      const finals = await Promise.all(pubs.map((p) => p.final.catch(() => null)));
      const reasons: Record<string, number> = {};
      for (const f of finals) for (const [k, n] of Object.entries(f?.failureReasons ?? {})) reasons[k] = (reasons[k] ?? 0) + n;
      const retried = finals.reduce((s, f) => s + (f?.retries ?? 0), 0);
      return [
        { metric: `${devices} device connections: time to connect all`, value: connectedAll === null ? 'not all' : connectedAll / 1000, unit: 's', note: `${connected} connected; ramp 1,000/s; authentication included (scrypt N=2^10 for load devices)` },
        { metric: 'broker memory per connection', value: ((after - before) * 1024) / Math.max(1, connected), unit: 'KB', note: `RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MB; target < 50 KB` },
        { metric: 'broker CPU per connection (connect + auth)', value: (cpu * 1000) / Math.max(1, connected), unit: 'ms' },
        { metric: 'connection failures', value: Object.values(reasons).reduce((s, n) => s + n, 0), unit: '', note: `after ${retried} retries (devices retry 1-3 s later, 5 times); client side: ${JSON.stringify(reasons)}; broker refusals: ${refusals || 'none'}` },
      ];
    } finally {
      await broker.proc.stop('SIGKILL', 5000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const capacitySuite: BenchSuite = {
  name: 'capacity',
  description: 'load generator capacity against a sink; 10,000 concurrent device connections: time and memory each',
  estimatedSeconds: 90,
  async run(ctx) {
    return { rows: [...(await loadgenCapacity(ctx)), ...(await connectionCapacity(ctx))] };
  },
};
