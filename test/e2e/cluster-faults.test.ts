// SLOW (about 2 minutes on an idle machine): the park on a 3-node NATS cluster (Debian's
// nats-server, JetStream R3, the MQTT listener on every node, configured by `cluster-config`),
// sharded into 2 ingest shards with the aggregator and the screen, every process a real CLI
// process, every device of the park publishing through the list of nodes. Then, one after another:
// SIGKILL of the node an ingest shard's subscription is on, of the node most devices publish to, of
// the leader of the park's QoS 1 stream, and of an ingest shard. Afterwards:
//   - every (device, seq) a device had acknowledged is in a shard's store (0 missing), duplicates counted;
//   - every device's readings are in exactly one shard's store, the shard FNV-1a(id) mod 2 names;
//   - the wall's WebSocket stream had no sequence gap, and shows the whole park again.
// CLUSTER_FAULTS_INTERVAL_MS sets the devices' interval (default 500: 84 devices, ~170 msg/s).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { silentLogger } from '../../shared/logger.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { readFleetKey } from '../../shared/registry.ts';
import type { WsServerMessage } from '../../shared/schema.ts';
import { shardOf } from '../../shared/shard-topics.ts';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { startCli } from '../../testkit/cli.ts';
import { NATS_SERVER, startNatsCluster, type NatsCluster, type NatsNode } from '../../testkit/nats.ts';
import { waitFor } from '../../testkit/park.ts';
import { freePort, type Managed } from '../../testkit/processes.ts';
import { dumpStore } from '../helpers/store-dump.ts';

const model = loadParkModel();
const SHARDS = 2;
const INTERVAL_MS = Number(process.env.CLUSTER_FAULTS_INTERVAL_MS ?? 500);
const WAIT_MS = 120_000;
/** How long a killed node stays down. */
const DOWN_MS = 8000;

interface Phases {
  (what: string): void;
  /** Seconds since the start, as the phase lines print them. */
  at(ms: number): string;
}

function phases(): Phases {
  const t0 = Date.now();
  const at = (ms: number): string => `+${((ms - t0) / 1000).toFixed(1)}s`;
  return Object.assign((what: string) => process.stdout.write(`[cluster-faults ${at(Date.now())}] ${what}\n`), { at });
}

describe.skipIf(!NATS_SERVER)('SLOW the park on a 3-node NATS cluster through node, leader and shard failures', () => {
  let dir: string;
  let cluster: NatsCluster | undefined;
  let fleet: Fleet | undefined;
  let ws: WebSocket | undefined;
  const procs: Managed[] = [];

  afterAll(async () => {
    ws?.close();
    await fleet?.close().catch(() => {});
    for (const p of procs) await p.stop('SIGKILL');
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged reading, keeps each device on one shard and the wall without gaps', { timeout: 600_000 }, async () => {
    const phase = phases();
    dir = mkdtempSync(join(tmpdir(), 'pp-cluster-faults-'));
    const parkDir = join(dir, 'dantu');
    cluster = await startNatsCluster({ dir, parks: [{ dataDir: parkDir, shards: SHARDS }], nodes: 3 });
    const c = cluster;
    phase(`cluster up: ${c.mqttUrls}`);
    const storeOf = (k: number): string => join(dir, `store-s${k}.db`);
    const common = ['--data-dir', parkDir, '--mqtt-url', c.mqttUrls, '--log-level', 'info'];
    // The shards and the aggregator watch their JetStream consumers (shared/jetstream-watchdog.ts).
    const watched = [...common, '--nats-monitor-url', c.nodes.map((x) => `http://127.0.0.1:${x.httpPort}`).join(',')];
    const shards: Managed[] = [];
    const startShard = async (k: number): Promise<Managed> => {
      const p = startCli(['ingest', ...watched, '--ingest-shard', `${k}/${SHARDS}`, '--sqlite-path', storeOf(k)]);
      procs.push(p);
      // Granted, not just connected: the stream keeps a device's message only for a consumer that
      // already exists (interest retention), so devices start after every shard's subscriptions.
      await p.waitForOutput(/subscriptions granted/, WAIT_MS);
      shards[k] = p;
      return p;
    };
    for (let k = 0; k < SHARDS; k++) await startShard(k);
    const aggregator = startCli(['aggregator', ...watched]);
    procs.push(aggregator);
    await aggregator.waitForOutput(/subscriptions granted/, WAIT_MS);
    const screenPort = await freePort();
    const screen = startCli(['screen', ...common, '--sqlite-path', storeOf(0), '--screen-host', '127.0.0.1', '--screen-port', String(screenPort)]);
    procs.push(screen);
    await screen.waitForOutput(/ParkPulse screen/, WAIT_MS);
    phase('2 ingest shards, aggregator and screen running');

    // The wall: a WebSocket client counting sequence gaps, as the browser does.
    const token = readFileSync(join(parkDir, 'secrets', 'viewer.token'), 'utf8').trim();
    let lastSeq = 0;
    let wsGaps = 0;
    let latest: WsServerMessage | null = null;
    let deviceStates = new Map<string, string>();
    let lastAt = Date.now();
    let longestPauseMs = 0;
    ws = new WebSocket(`ws://127.0.0.1:${screenPort}/ws?token=${encodeURIComponent(token)}`);
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as WsServerMessage;
      longestPauseMs = Math.max(longestPauseMs, Date.now() - lastAt);
      lastAt = Date.now();
      if (m.type === 'delta' && m.seq !== lastSeq + 1) wsGaps++;
      lastSeq = m.seq;
      latest = m;
      if (m.type === 'snapshot') deviceStates = new Map(m.devices.map((d) => [d.id, d.status]));
      else for (const d of m.devices) deviceStates.set(d.id, d.status);
    });
    await new Promise<void>((resolve, reject) => ws!.once('open', () => resolve()).once('error', reject));

    fleet = await createFleet({ model, url: c.mqttUrls, fleetKey: readFleetKey(join(parkDir, 'secrets')), logger: silentLogger(), intervalMs: INTERVAL_MS, track: true });
    await fleet.connected(WAIT_MS);
    const f = fleet;
    phase(`fleet connected: ${model.devices.length} devices every ${INTERVAL_MS} ms`);
    const rows = (): number => [0, 1].reduce((n, k) => n + dumpStore(storeOf(k)).length, 0);
    await waitFor('readings stored by both shards', () => dumpStore(storeOf(0)).length > 100 && dumpStore(storeOf(1)).length > 100, WAIT_MS, 500);
    await waitFor('the wall shows every device online', () => model.devices.every((d) => deviceStates.get(d.id) === 'online'), WAIT_MS, 250);

    const killAndRestart = async (what: string, node: NatsNode): Promise<void> => {
      phase(`SIGKILL ${what}: ${node.name} (acked so far ${f.stats().acked})`);
      await node.kill();
      await sleep(DOWN_MS);
      await node.start();
      // JetStream's own health (every stream and consumer current) can take long on a loaded
      // machine; the faults go on after a bounded wait, the accounting at the end is what counts.
      const healthy = await c.healthy(WAIT_MS).then(() => true, () => false);
      phase(`${node.name} back${healthy ? '' : ' (JetStream not yet reporting healthy on every node)'}`);
      await sleep(3000);
    };
    // 1. the node shard 0's subscription is on
    const subscriberNode = await waitFor('shard 0 subscription on a node', () => c.nodeOf('svc-ingest-s0'), WAIT_MS, 250);
    await killAndRestart('the subscriber\'s node', subscriberNode);
    // 2. the node most devices publish to
    await fleet.connected(WAIT_MS);
    const perNode = await c.mqttClients();
    // Another node than the one just killed: each fault hits a node of its own.
    const publishers = [...perNode].filter(([name]) => name !== subscriberNode.name).map(([name, ids]) => ({ name, n: ids.filter((id) => model.deviceById.has(id)).length })).sort((a, b) => b.n - a.n)[0]!;
    phase(`devices per node: ${[...perNode].map(([n, ids]) => `${n} ${ids.filter((id) => model.deviceById.has(id)).length}`).join(', ')}`);
    await killAndRestart(`the publishers' node (${publishers.n} devices)`, c.nodes.find((n) => n.name === publishers.name)!);
    // 3. the leader of the park's QoS 1 message stream
    const leader = await waitFor('$MQTT_msgs leader', () => c.streamLeader('dantu', '$MQTT_msgs'), WAIT_MS, 250);
    await killAndRestart('the $MQTT_msgs stream leader', c.nodes.find((n) => n.name === leader)!);
    // 4. an ingest shard
    const dupBeforeKill = Number(/parkpulse_ingest_duplicates_total (\d+)/.exec(await metricsOf(shards[1]!))?.[1] ?? 0);
    phase('SIGKILL ingest shard 1');
    expect(await shards[1]!.stop('SIGKILL')).toBe('SIGKILL');
    await sleep(3000);
    await startShard(1);
    phase('ingest shard 1 back');
    await sleep(5000);

    await fleet.connected(WAIT_MS);
    phase(`stop the fleet (${JSON.stringify(fleet.stats())})`);
    await fleet.close();
    fleet = undefined;
    const acked = new Set(f.published().filter((p) => p.channel !== 'status').map((p) => `${p.device}#${p.seq}`));
    expect(acked.size).toBeGreaterThan(2000);
    const byShard = await waitFor(
      'every acknowledged reading stored',
      () => {
        const stores = [0, 1].map((k) => dumpStore(storeOf(k)).filter((r) => r.channel !== 'status'));
        const have = new Set(stores.flat().map((r) => `${r.device}#${r.seq}`));
        return [...acked].every((k) => have.has(k)) ? stores : null;
      },
      WAIT_MS,
      1000,
    ).catch(() => [0, 1].map((k) => dumpStore(storeOf(k)).filter((r) => r.channel !== 'status')));
    const have = new Set(byShard.flat().map((r) => `${r.device}#${r.seq}`));
    const missing = [...acked].filter((k) => !have.has(k));
    // Every device in exactly one shard's store, the one its hash names.
    const shardsOfDevice = new Map<string, Set<number>>();
    byShard.forEach((rowsOf, k) => {
      for (const r of rowsOf) (shardsOfDevice.get(r.device) ?? shardsOfDevice.set(r.device, new Set()).get(r.device)!).add(k);
    });
    const misplaced = [...shardsOfDevice].filter(([id, ks]) => ks.size !== 1 || !ks.has(shardOf(id, SHARDS)));
    const duplicates = await Promise.all([0, 1].map(async (k) => Number(/parkpulse_ingest_duplicates_total (\d+)/.exec(await metricsOf(shards[k]!))?.[1] ?? 0)));
    // Reconnects the watchdog made for a stalled consumer (shard 1's count restarts with it).
    const stalls = await Promise.all([0, 1].map(async (k) => Number(/parkpulse_ingest_consumer_stalls_total (\d+)/.exec(await metricsOf(shards[k]!))?.[1] ?? 0)));
    const stallLines = procs.flatMap((p) => p.output().split('\n').filter((l) => l.includes('broker consumer stalled')));
    if (stallLines.length > 0) phase(`watchdog reconnects: ${stallLines.length}\n${stallLines.join('\n')}`);
    await waitFor('the wall shows every device online again', () => model.devices.every((d) => deviceStates.get(d.id) !== 'unknown'), WAIT_MS, 250);
    if (missing.length > 0) {
      // What a lost reading's story needs: when its PUBACK came against the faults above, what its
      // shard's ingest said about the device, and what JetStream holds for the shard consumers.
      const pubs = new Map(f.published().map((p) => [`${p.device}#${p.seq}`, p]));
      for (const key of missing.slice(0, 10)) {
        const p = pubs.get(key)!;
        const k = shardOf(p.device, SHARDS);
        const lines = shards[k]!.output().split('\n').filter((l) => l.includes(p.device)).slice(-5);
        phase(`MISSING ${key} (${p.channel}, shard ${k}) acknowledged at ${phase.at(p.ackedAt)}; shard ${k} log lines naming it: ${lines.length === 0 ? 'none' : `\n${lines.join('\n')}`}`);
      }
      phase(`JetStream consumers: ${JSON.stringify(await c.consumers('dantu', '$MQTT_msgs'))}`);
    }
    phase(`acked ${acked.size}, stored ${have.size} (rows ${rows()}), missing ${missing.length}, duplicates (redelivered, stored once) ${duplicates[0]! + duplicates[1]! + dupBeforeKill}, devices ${shardsOfDevice.size} misplaced ${misplaced.length}, watchdog reconnects ${stallLines.length} (shards now ${stalls.join('/')}), WebSocket gaps ${wsGaps}, wall messages ${lastSeq}, longest pause between wall updates ${(longestPauseMs / 1000).toFixed(1)} s`);
    expect(missing, `${missing.length} acknowledged readings missing`).toEqual([]);
    // The watchdog ran in every shard and the aggregator, and could always read the consumers.
    for (const p of [...shards, aggregator]) {
      expect(p.output()).toContain('watching the session\'s JetStream consumers');
      expect(p.output()).not.toContain('cannot read the broker\'s consumer state');
    }
    expect(shardsOfDevice.size).toBe(model.devices.length);
    expect(misplaced).toEqual([]);
    expect(wsGaps).toBe(0);
    expect(latest).not.toBeNull();
  });
});

/** The ingest's /metrics text (its health port is printed in its log). */
async function metricsOf(p: Managed): Promise<string> {
  const port = /"port":(\d+),"msg":"health and metrics/.exec(p.output())?.[1];
  if (!port) return '';
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}
