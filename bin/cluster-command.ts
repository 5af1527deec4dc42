// `parkpulse cluster-config FILE`: writes the NATS cluster's configuration (accounts.conf and one
// file per node) to --nats-config-dir from the cluster file, each park's model and registry. Run it
// again after `device add|rotate|revoke`, then reload every node (it prints how).
import { ClusterConfigError, ClusterSpecError } from '../broker/errors.ts';
import { buildClusterConfig, routeSecret, writeClusterFiles } from '../broker/nats/cluster-config.ts';
import { loadClusterSpec } from '../broker/nats/cluster-spec.ts';
import type { AppConfig } from './config/load-config.ts';
import type { Logger } from '../shared/logger.ts';

export async function clusterConfigCommand(config: AppConfig, logger: Logger): Promise<number> {
  const file = config.files[0]!;
  try {
    const spec = loadClusterSpec(file);
    if (spec.nodes.length < 3) logger.warn({ nodes: spec.nodes.length }, 'fewer than 3 nodes: JetStream needs 3 for its streams to survive the loss of one');
    const out = config.natsConfigDir;
    const started = Date.now();
    const built = await buildClusterConfig(spec, routeSecret(out));
    const written = writeClusterFiles(out, built.files);
    const lines = [`NATS configuration for cluster ${spec.name} written to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s:`];
    for (const a of built.accounts) {
      lines.push(`  park ${a.parkId}: ${a.users.length} users, ${a.shards > 1 ? `${a.shards} ingest shards (${Object.keys(a.mappings).length} device-shard mappings)` : 'one ingest'}${a.revoked.length > 0 ? `, ${a.revoked.length} revoked left out` : ''}`);
    }
    for (const p of written) lines.push(`  ${p}`);
    lines.push('start each node with `nats-server -c <node>.conf`; after a change reload every node:');
    lines.push('  nats-server --signal reload=<pid>   (or: docker compose --profile cluster kill -s HUP nats-1 nats-2 nats-3)');
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ClusterSpecError || err instanceof ClusterConfigError) {
      process.stderr.write(`parkpulse cluster-config: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
