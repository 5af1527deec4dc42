// A NATS cluster on loopback for tests and benchmarks: Debian's nats-server, N nodes on free ports,
// the configuration written by our own generator (broker/nats/cluster-config.ts) from a cluster
// file naming the parks' data folders, each node its own process that a test can SIGKILL and
// restart, and the monitoring port to find a stream's leader.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildClusterConfig, routeSecret, writeClusterFiles, type ClusterConfig } from '../broker/nats/cluster-config.ts';
import { loadClusterSpec } from '../broker/nats/cluster-spec.ts';
import { requireProgram } from './external.ts';
import { freePort, spawnManaged, type Managed } from './processes.ts';

export const NATS_SERVER = requireProgram('nats-server', 'the NATS cluster tests (3 nodes, JetStream, MQTT)');

/** A cheap scrypt cost for the registries a test provisions. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface NatsNode {
  name: string;
  mqttPort: number;
  httpPort: number;
  readonly pid: number;
  readonly running: boolean;
  /** kill -9 the node. */
  kill(): Promise<void>;
  /** Start it again with the same configuration and store. */
  start(): Promise<void>;
  output(): string;
}

export interface NatsCluster {
  dir: string;
  nodes: NatsNode[];
  /** Every node's MQTT URL, comma-separated (a broker address for our processes). */
  mqttUrls: string;
  configDir: string;
  config: ClusterConfig;
  /** Writes the configuration again from the registries (after a rotation or revocation) and reloads every running node. */
  regenerate(): Promise<ClusterConfig>;
  /** The node that leads a park's stream ($MQTT_msgs, $MQTT_sess, $MQTT_rmsgs), or null. */
  streamLeader(parkId: string, stream: string): Promise<string | null>;
  /** A stream's consumers as the first answering node reports them (diagnostics for a failed test). */
  consumers(parkId: string, stream: string): Promise<unknown[]>;
  /** MQTT client ids connected to each running node. */
  mqttClients(): Promise<Map<string, string[]>>;
  /** The node an MQTT client id is connected to, or null. */
  nodeOf(clientId: string): Promise<NatsNode | null>;
  /** Resolves when every running node says JetStream is healthy. */
  healthy(timeoutMs?: number): Promise<void>;
  /** CPU time of every node process so far, ms (user + system, from /proc). */
  cpuMs(): number;
  stop(): Promise<void>;
}

export interface StartNatsOptions {
  dir: string;
  parks: { dataDir: string; parkModel?: string; shards?: number }[];
  nodes?: number;
  mqtt?: { maxAckPending?: number; ackWait?: string };
  bcryptCost?: number;
}

function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime (fields 14 and 15 of stat, 12 and 13 after the command name), in clock ticks (100/s)
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export async function startNatsCluster(opts: StartNatsOptions): Promise<NatsCluster> {
  if (!NATS_SERVER) throw new Error('nats-server is not installed');
  const n = opts.nodes ?? 3;
  const nodesSpec = [];
  for (let i = 1; i <= n; i++) {
    nodesSpec.push({
      name: `n${i}`, host: '127.0.0.1', listen: '127.0.0.1',
      clientPort: await freePort(), clusterPort: await freePort(), mqttPort: await freePort(), httpPort: await freePort(),
      storeDir: join(opts.dir, `js-n${i}`),
    });
  }
  mkdirSync(opts.dir, { recursive: true });
  const specPath = join(opts.dir, 'cluster.json');
  writeFileSync(specPath, JSON.stringify({ name: 'pp-test', nodes: nodesSpec, parks: opts.parks, mqtt: opts.mqtt ?? {}, bcryptCost: opts.bcryptCost ?? 4 }, null, 1));
  const spec = loadClusterSpec(specPath);
  const configDir = join(opts.dir, 'nats');
  const secret = routeSecret(configDir);
  let config = await buildClusterConfig(spec, secret, { scrypt: TEST_SCRYPT });
  writeClusterFiles(configDir, config.files);

  const cpuDone = new Map<string, number>();
  const nodes: NatsNode[] = nodesSpec.map((s) => {
    let proc: Managed | null = null;
    let earlier = '';
    const node: NatsNode = {
      name: s.name,
      mqttPort: s.mqttPort,
      httpPort: s.httpPort,
      get pid() {
        return proc?.pid ?? 0;
      },
      get running() {
        return proc?.running ?? false;
      },
      async kill() {
        if (!proc?.running) return;
        cpuDone.set(s.name, (cpuDone.get(s.name) ?? 0) + cpuOf(proc.pid));
        earlier += proc.output();
        await proc.stop('SIGKILL');
      },
      async start() {
        proc = spawnManaged(NATS_SERVER!, ['-c', join(configDir, `${s.name}.conf`)]);
        await proc.waitForOutput(/Server is ready/, 30_000);
      },
      output: () => earlier + (proc?.output() ?? ''),
    };
    return node;
  });
  await Promise.all(nodes.map((x) => x.start()));

  interface StreamDetail {
    state?: unknown;
    cluster?: { leader?: string };
    consumer_detail?: Record<string, unknown>[];
  }
  /** A park's stream (/jsz) from the first running node that knows it and whose report `accept` takes. */
  const streamDetail = async (parkId: string, stream: string, consumers: boolean, accept: (d: StreamDetail) => boolean = () => true): Promise<{ node: string; detail: StreamDetail } | null> => {
    for (const x of nodes) {
      if (!x.running) continue;
      try {
        const res = await fetch(`http://127.0.0.1:${x.httpPort}/jsz?accounts=true&streams=true${consumers ? '&consumers=true' : ''}`);
        const body = (await res.json()) as { account_details?: { name: string; stream_detail?: (StreamDetail & { name: string })[] }[] };
        const detail = body.account_details?.find((a) => a.name === parkId)?.stream_detail?.find((d) => d.name === stream);
        if (detail && accept(detail)) return { node: x.name, detail };
      } catch {
        // that node is not answering: ask the next
      }
    }
    return null;
  };

  const cluster: NatsCluster = {
    dir: opts.dir,
    nodes,
    mqttUrls: nodes.map((x) => `mqtt://127.0.0.1:${x.mqttPort}`).join(','),
    configDir,
    get config() {
      return config;
    },
    async regenerate() {
      config = await buildClusterConfig(spec, secret, { scrypt: TEST_SCRYPT });
      writeClusterFiles(configDir, config.files);
      for (const x of nodes) if (x.running) process.kill(x.pid, 'SIGHUP');
      return config;
    },
    async streamLeader(parkId, stream) {
      // A node in the middle of an election knows the stream but no leader: ask the next.
      return (await streamDetail(parkId, stream, false, (d) => Boolean(d.cluster?.leader)))?.detail.cluster?.leader ?? null;
    },
    async consumers(parkId, stream) {
      const found = await streamDetail(parkId, stream, true);
      if (!found) return [];
      const pick = ({ name, config, delivered, ack_floor, num_ack_pending, num_redelivered, num_pending, cluster }: Record<string, unknown>) =>
        ({ name, filter: (config as { filter_subject?: string } | undefined)?.filter_subject, delivered, ack_floor, num_ack_pending, num_redelivered, num_pending, leader: (cluster as { leader?: string } | undefined)?.leader });
      return [{ node: found.node, stream: found.detail.state }, ...(found.detail.consumer_detail ?? []).map(pick)];
    },
    async mqttClients() {
      const out = new Map<string, string[]>();
      for (const x of nodes) {
        if (!x.running) continue;
        try {
          const res = await fetch(`http://127.0.0.1:${x.httpPort}/connz?limit=100000`);
          const body = (await res.json()) as { connections?: { mqtt_client?: string }[] };
          out.set(x.name, (body.connections ?? []).map((c) => c.mqtt_client ?? '').filter((id) => id !== ''));
        } catch {
          out.set(x.name, []);
        }
      }
      return out;
    },
    async nodeOf(clientId) {
      for (const [name, ids] of await cluster.mqttClients()) if (ids.includes(clientId)) return nodes.find((x) => x.name === name)!;
      return null;
    },
    async healthy(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(
          nodes.filter((x) => x.running).map(async (x) => {
            try {
              return (await fetch(`http://127.0.0.1:${x.httpPort}/healthz`)).ok;
            } catch {
              return false;
            }
          }),
        );
        if (states.every(Boolean)) return;
        if (Date.now() > deadline) throw new Error(`NATS cluster not healthy within ${timeoutMs} ms`);
        await sleep(250);
      }
    },
    cpuMs: () => nodes.reduce((sum, x) => sum + (cpuDone.get(x.name) ?? 0) + (x.running ? cpuOf(x.pid) : 0), 0),
    async stop() {
      await Promise.all(nodes.map((x) => x.kill()));
    },
  };
  await cluster.healthy();
  return cluster;
}
