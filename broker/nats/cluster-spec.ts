// The description of a NATS cluster for ParkPulse (a JSON file, validated here): its nodes, the
// parks it serves (each park's data folder holds its registry and secrets), and the few settings
// the cluster's MQTT and JetStream need. `parkpulse cluster-config FILE` turns it into nats-server
// configuration (broker/nats/cluster-config.ts).
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { MAX_SHARDS } from '../../shared/shard-topics.ts';
import { ClusterSpecError } from '../errors.ts';
import { readJsonFile } from '../../shared/json-file.ts';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and -');
const port = z.number().int().min(1).max(65535);
/** A NATS duration ("30s", "2m") or size ("1G"). */
const natsValue = z.string().regex(/^[0-9]+(\.[0-9]+)?[A-Za-z]{0,3}$/, 'a NATS value such as 30s, 2m, 512M or 1G');

/** Per subscription: 7 of them (an ingest shard's) must stay within nats-server's 65535 per session. */
export const MAX_ACK_PENDING_LIMIT = 9362;

export const clusterSpecSchema = z.strictObject({
  /** The NATS cluster name (routes only join a cluster of the same name). */
  name: name.default('parkpulse'),
  nodes: z
    .array(
      z.strictObject({
        name,
        /** Address the other nodes reach this one at (routes). */
        host: z.string().min(1),
        /** Address the node listens on. */
        listen: z.string().min(1).default('0.0.0.0'),
        clientPort: port.default(4222),
        clusterPort: port.default(6222),
        mqttPort: port.default(1883),
        /** Monitoring (/healthz, /jsz): keep it on the operators' network. */
        httpPort: port.default(8222),
        /** JetStream's folder on this node (sessions, retained messages, QoS 1 queues). */
        storeDir: z.string().min(1).default('/data/jetstream'),
      }),
    )
    .min(1)
    .refine((nodes) => new Set(nodes.map((n) => n.name)).size === nodes.length, 'node names must be unique'),
  parks: z
    .array(
      z.strictObject({
        /** The park's data folder (registry.json, secrets/), relative to this file. */
        dataDir: z.string().min(1),
        /** The park model JSON, relative to this file (default: the bundled Dantu model). */
        parkModel: z.string().optional(),
        /** Ingest shards of the park: 1 = one ingest (no mappings); N >= 2 adds the device-shard mappings. */
        shards: z.number().int().min(1).max(MAX_SHARDS).default(1),
      }),
    )
    .min(1),
  mqtt: z
    .strictObject({
      /**
       * QoS 1 messages in flight per subscription before nats-server waits for PUBACKs (its default
       * 1024 caps an ingest's deferred acknowledgements near 20k msg/s at 50 ms commits).
       */
      maxAckPending: z.number().int().min(1).max(MAX_ACK_PENDING_LIMIT).default(8192),
      /** Redelivery of an unacknowledged QoS 1 message after this long. */
      ackWait: natsValue.default('30s'),
    })
    .prefault({}),
  jetstream: z
    .strictObject({
      maxMemory: natsValue.optional(),
      maxFile: natsValue.optional(),
      /**
       * fsync of the stream files: a duration, or "always" (every write). nats-server 2.10+ only
       * (2.9 refuses the field): unset, nats-server syncs on its own timer (2.9: 60 s, 2.12: 2 min)
       * and the 3 replicas are the protection against a lost node.
       */
      syncInterval: z.union([z.literal('always'), natsValue]).optional(),
    })
    .prefault({}),
  /** bcrypt cost of the generated password hashes (4..14); see docs/cluster.md for why it is low. */
  bcryptCost: z.number().int().min(4).max(14).default(4),
});

export type ClusterSpec = z.infer<typeof clusterSpecSchema>;
export type ClusterNode = ClusterSpec['nodes'][number];

/** Reads and validates a cluster file; the parks' paths are resolved against its folder. */
export function loadClusterSpec(path: string): ClusterSpec {
  const spec = readJsonFile(path, clusterSpecSchema, 'cluster file', (detail) => new ClusterSpecError('cluster-file-invalid', detail));
  const base = dirname(resolve(path));
  return {
    ...spec,
    parks: spec.parks.map((p) => ({ ...p, dataDir: resolve(base, p.dataDir), ...(p.parkModel ? { parkModel: resolve(base, p.parkModel) } : {}) })),
  };
}
