// The park's broker tier two ways in one run, under the same paced QoS 1 load from the same load
// generator: the single-machine Aedes broker (`npm start`'s, in memory) and a 3-node NATS cluster on
// this machine (Debian's nats-server, JetStream R3, the MQTT listener on every node, configured by
// `cluster-config`). Load meters publish from 2 processes (on the cluster, spread over the 3 nodes);
// one QoS 1 subscriber (as the ingest) reads every meter topic, on the cluster from a node of its
// own. Reported: delivered msg/s, publish -> PUBACK and device ts -> subscriber percentiles, broker
// CPU per delivered message (the cluster's summed over its nodes), and on the cluster the time a
// configuration reload takes with every device connected (nats-server re-checks each password).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildLoadModel, loadDevicesOf } from '../../shared/load-model.ts';
import { loadParkModel, publicParkModel } from '../../shared/park-model.ts';
import { readFleetKey, readServiceSecret, serviceUsername } from '../../shared/registry.ts';
import { findProgram } from '../../testkit/external.ts';
import { startNatsCluster, type NatsCluster } from '../../testkit/nats.ts';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.ts';
import { cpuSeconds, runJsonProcess } from '../lib/processes.ts';
import type { PublisherConfig } from '../load/publisher.ts';
import type { SubscriberConfig } from '../load/subscriber.ts';
import { startOurBroker } from './broker.ts';

const DEVICES = 400;
const PUBLISHERS = 2;
/** The bound for this machine: the cluster costs ~0.75 ms of CPU per message here. */
const OFFERED = 2000;

interface PubLine { t: number; acked: number; sent: number; final?: boolean; ack?: { p50: number | null; p95: number | null; p99: number | null; max: number | null; n: number } }
interface SubLine { t: number; received?: number; ready?: boolean; final?: boolean; p50?: number | null; p95?: number | null; p99?: number | null }

interface Run {
  broker: string;
  deliveredPerSec: number;
  ackedPerSec: number;
  puback: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  e2e: { p50: number | null; p95: number | null; p99: number | null };
  cpuUsPerMsg: number;
  delivered: number;
}

async function loadRun(ctx: BenchContext, o: { broker: string; runMs: number; nodes: { host: string; port: number }[]; subscriberNode: { host: string; port: number }; parkId: string; fleetKey: string; ids: string[]; subscriber: { username: string; password: string }; cpu: () => number }): Promise<Run> {
  const sub = runJsonProcess<SubLine>('bench/load/subscriber.ts', {
    host: o.subscriberNode.host, port: o.subscriberNode.port, clientId: 'svc-ingest-bench', username: o.subscriber.username, password: o.subscriber.password,
    filters: [`park/${o.parkId}/meter/+/+`], qos: 1, durationMs: o.runMs + 8000,
  } satisfies SubscriberConfig);
  await sub.waitFor((l) => l.ready === true, 60_000);
  const per = Math.ceil(o.ids.length / PUBLISHERS);
  const pubs = Array.from({ length: PUBLISHERS }, (_, i) =>
    runJsonProcess<PubLine>('bench/load/publisher.ts', {
      host: o.nodes[0]!.host, port: o.nodes[0]!.port, nodes: o.nodes.map((_, k) => o.nodes[(k + i) % o.nodes.length]!), parkId: o.parkId, fleetKey: o.fleetKey,
      deviceIds: o.ids.slice(i * per, (i + 1) * per), qos: 1, ratePerDevice: OFFERED / o.ids.length, durationMs: o.runMs, rampPerSec: 200, window: 20, startSeq: 1, ackLatency: true,
    } satisfies PublisherConfig),
  );
  // Steady state from when every device is connected (the ramp takes DEVICES/PUBLISHERS/200 s).
  const rampMs = (per / 200) * 1000 + 2000;
  await sleep(rampMs);
  const at = (): number => sub.lines.filter((l) => l.received !== undefined).at(-1)?.received ?? 0;
  const cpu0 = o.cpu();
  const d0 = at();
  const t0 = Date.now();
  const ticker = setInterval(() => ctx.progress(`${o.broker}: ${Math.round((Date.now() - t0 + rampMs) / 1000)}/${Math.round(o.runMs / 1000)} s, delivered ${at()}, ${Math.round((at() - d0) / Math.max(1, (Date.now() - t0) / 1000))} msg/s`), 3000);
  const finals = await Promise.all(pubs.map((p) => p.final));
  const elapsed = (Date.now() - t0) / 1000;
  const cpu1 = o.cpu();
  const d1 = at();
  clearInterval(ticker);
  const subFinal = await sub.final;
  const worst = (k: 'p50' | 'p95' | 'p99' | 'max'): number | null => finals.reduce<number | null>((m, f) => (f.ack?.[k] == null ? m : Math.max(m ?? 0, f.ack[k]!)), null);
  return {
    broker: o.broker,
    deliveredPerSec: (d1 - d0) / elapsed,
    ackedPerSec: finals.reduce((s, f) => s + f.acked, 0) / (o.runMs / 1000),
    puback: { p50: worst('p50'), p95: worst('p95'), p99: worst('p99'), max: worst('max') },
    e2e: { p50: subFinal.p50 ?? null, p95: subFinal.p95 ?? null, p99: subFinal.p99 ?? null },
    cpuUsPerMsg: d1 > d0 ? ((cpu1 - cpu0) * 1e6) / (d1 - d0) : 0,
    delivered: d1 - d0,
  };
}

function rows(runs: Run[], reloadMs: number | null): BenchRow[] {
  const out: BenchRow[] = [];
  for (const r of runs) {
    out.push({ metric: `${r.broker}: delivered at ${OFFERED} msg/s offered (QoS 1)`, value: Math.round(r.deliveredPerSec), unit: 'msg/s', note: `acknowledged ${Math.round(r.ackedPerSec)} msg/s` });
    out.push({ metric: `${r.broker}: publish -> PUBACK p50/p95/p99 (max)`, value: `${r.puback.p50} / ${r.puback.p95} / ${r.puback.p99} (${r.puback.max})`, unit: 'ms' });
    out.push({ metric: `${r.broker}: device ts -> subscriber p50/p95/p99`, value: `${r.e2e.p50} / ${r.e2e.p95} / ${r.e2e.p99}`, unit: 'ms' });
    out.push({ metric: `${r.broker}: broker CPU per delivered message`, value: Math.round(r.cpuUsPerMsg), unit: 'µs', note: r.broker.startsWith('nats') ? 'summed over the 3 nodes' : 'one process' });
  }
  const [a, n] = runs;
  if (a && n && a.cpuUsPerMsg > 0) out.push({ metric: 'CPU per message, NATS cluster / Aedes', value: Math.round((n.cpuUsPerMsg / a.cpuUsPerMsg) * 10) / 10, unit: 'x', note: 'the price of a replicated store before every PUBACK' });
  if (reloadMs !== null) out.push({ metric: `nats: configuration reload with ${DEVICES} devices connected`, value: reloadMs, unit: 'ms', note: 'SIGHUP to "Reloaded server configuration" on one node: every connected password is checked again' });
  return out;
}

export const clusterSuite: BenchSuite = {
  name: 'cluster',
  description: `broker tier: Aedes (one machine) and a 3-node NATS cluster (JetStream R3) under the same ${OFFERED} msg/s QoS 1 load: msg/s, PUBACK and end-to-end latency, CPU per message`,
  estimatedSeconds: 90,
  async run(ctx) {
    if (!findProgram('nats-server')) throw new Error('nats-server not found: apt-get install nats-server');
    const runMs = ctx.soak ? 120_000 : 25_000;
    const dir = ctx.workDir;
    const model = buildLoadModel(DEVICES, loadParkModel());
    const ids = loadDevicesOf(model).map((d) => d.id);
    const runs: Run[] = [];
    let cluster: NatsCluster | null = null;
    let reloadMs: number | null = null;
    try {
      // 1. Aedes, as `npm start` runs it.
      ctx.progress('Aedes broker starting');
      const aedesDir = join(dir, 'aedes');
      const ours = await startOurBroker(aedesDir, DEVICES);
      try {
        const secrets = join(aedesDir, 'secrets');
        const node = { host: '127.0.0.1', port: ours.port };
        runs.push(await loadRun(ctx, {
          broker: 'aedes (one process)', runMs, nodes: [node], subscriberNode: node, parkId: model.id, fleetKey: readFleetKey(secrets), ids,
          subscriber: { username: serviceUsername('ingest', model.id), password: readServiceSecret(secrets, 'ingest') }, cpu: () => cpuSeconds(ours.brokerPid) ?? 0,
        }));
      } finally {
        await ours.proc.stop('SIGKILL', 5000);
      }
      // 2. The NATS cluster, configured by our generator from a park model holding the load meters.
      ctx.progress('NATS cluster starting (3 nodes, JetStream R3)');
      const modelPath = join(dir, 'park-with-load.json');
      writeFileSync(modelPath, JSON.stringify(publicParkModel(model)));
      cluster = await startNatsCluster({ dir: join(dir, 'nats'), parks: [{ dataDir: join(dir, 'park'), parkModel: modelPath }], nodes: 3 });
      const c = cluster;
      const secrets = join(dir, 'park', 'secrets');
      const nodes = c.nodes.map((n) => ({ host: '127.0.0.1', port: n.mqttPort }));
      runs.push(await loadRun(ctx, {
        // Publishers on every node, the subscriber on the last one: most messages cross a route.
        broker: 'nats cluster (3 nodes, R3)', runMs, nodes, subscriberNode: nodes[2]!, parkId: model.id, fleetKey: readFleetKey(secrets), ids,
        subscriber: { username: serviceUsername('ingest', model.id), password: readServiceSecret(secrets, 'ingest') }, cpu: () => c.cpuMs() / 1000,
      }));
      // The reload cost with devices connected: a rotation's or revocation's delay grows with it.
      ctx.progress('NATS reload with devices connected');
      const pubs = runJsonProcess<PubLine>('bench/load/publisher.ts', {
        host: nodes[0]!.host, port: nodes[0]!.port, nodes: [nodes[0]!], parkId: model.id, fleetKey: readFleetKey(secrets),
        deviceIds: ids, qos: 1, ratePerDevice: 0.2, durationMs: 30_000, rampPerSec: 400, window: 20, startSeq: 100_000,
      } satisfies PublisherConfig);
      await sleep(DEVICES / 400 * 1000 + 3000);
      const n1 = c.nodes[0]!;
      const before = (n1.output().match(/Reloaded server configuration/g) ?? []).length;
      const t0 = Date.now();
      process.kill(n1.pid, 'SIGHUP');
      while ((n1.output().match(/Reloaded server configuration/g) ?? []).length === before && Date.now() - t0 < 120_000) await sleep(5);
      reloadMs = Date.now() - t0;
      pubs.kill('SIGTERM');
      await pubs.exited;
      return { rows: rows(runs, reloadMs), details: { runs, devices: DEVICES, publishers: PUBLISHERS, offered: OFFERED, runMs, reloadMs, natsServer: '2.9.10 (Debian)' } };
    } finally {
      await cluster?.stop();
    }
  },
};
