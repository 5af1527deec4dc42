// The NATS cluster's configuration, generated from the cluster file (cluster-spec.ts), each park's
// model and account registry: one account per park (JetStream on, its own MQTT sessions, retained
// messages and QoS 1 streams), a user per active device and service with the permissions of the
// park's ACL (nats-permissions.ts), the device-shard mappings of sharded parks, and one file per
// node with its JetStream, MQTT listener and routes.
//
// Passwords. The registry holds scrypt hashes, which nats-server cannot check; it checks bcrypt.
// Device secrets derive from the park's fleet key (shared/credentials.ts), and service secrets are
// files in the park's secrets folder, so the generator computes every secret of the current
// generation and writes its bcrypt hash. A rotation (generation + 1) or a revocation (the user is
// left out) takes effect when the files are written again and the nodes reload
// (`nats-server --signal reload=<pid>`, or SIGHUP): nats-server then re-checks every connected
// client and closes those whose password no longer matches or whose user is gone.
//
// The salt of each hash derives from the fleet key and the account's generation, so the same
// registry gives byte-identical files (a diff shows what changed) and nothing secret is revealed
// by a salt. The cost is low on purpose: the secrets are 256-bit random values, which no cost
// protects better, while nats-server pays the cost at every connect and for every connected
// client at every reload.
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { DEFAULT_PARK_MODEL_PATH, loadParkModel, type ParkModel } from '../../shared/park-model.ts';
import { provision, readServiceSecret, serviceUsername, type RegistryData } from '../../shared/registry.ts';
import { CHANNELS, DEVICE_KINDS } from '../../shared/topics.ts';
import { ClusterConfigError } from '../errors.ts';
import type { ClusterNode, ClusterSpec } from './cluster-spec.ts';
import { natsPermissions, type NatsPermissions } from './nats-permissions.ts';
import { writeFileAtomic } from '../../shared/json-file.ts';

export interface NatsUser {
  user: string;
  /** bcrypt */
  password: string;
  permissions: NatsPermissions;
}

export interface ParkAccount {
  parkId: string;
  shards: number;
  users: NatsUser[];
  /** Source subject -> destination (the 9 device subjects of a sharded park). */
  mappings: Record<string, string>;
  /** Accounts left out because they are revoked. */
  revoked: string[];
}

export interface ClusterConfig {
  accounts: ParkAccount[];
  /** File name -> contents: accounts.conf and one <node>.conf per node. */
  files: Record<string, string>;
}

/** The device-shard mappings of a park with `shards` ingest shards (none for 1). */
export function shardMappings(parkId: string, shards: number): Record<string, string> {
  if (shards < 2) return {};
  const out: Record<string, string> = {};
  for (const kind of DEVICE_KINDS) {
    for (const ch of CHANNELS) out[`park.${parkId}.${kind}.*.${ch}`] = `shard.{{partition(${shards},1)}}.park.${parkId}.${kind}.{{wildcard(1)}}.${ch}`;
  }
  return out;
}

/** bcrypt with a salt derived from `saltKey` and `label` (deterministic, reveals nothing of the secret). */
export function bcryptHash(secret: string, cost: number, saltKey: string, label: string): string {
  const salt = createHmac('sha256', saltKey).update(`nats-bcrypt-salt:${label}`).digest().subarray(0, 16);
  return bcrypt.hashSync(secret, `$2b$${String(cost).padStart(2, '0')}$${bcrypt.encodeBase64(salt, 16)}`);
}

/** Users of one park's account, from its registry (revoked accounts are left out). */
export function parkAccount(registry: RegistryData, secrets: { fleetKey: string; service(role: string): string }, shards: number, cost: number): ParkAccount {
  const parkId = registry.parkId;
  const users: NatsUser[] = [];
  const revoked: string[] = [];
  for (const a of registry.accounts) {
    if (a.status !== 'active') {
      revoked.push(a.id);
      continue;
    }
    const label = `${parkId}:${a.id}:${a.generation}`;
    if (a.type === 'device') {
      const secret = deriveDeviceSecret(secrets.fleetKey, parkId, a.id, a.generation);
      users.push({ user: a.id, password: bcryptHash(secret, cost, secrets.fleetKey, label), permissions: natsPermissions(a, parkId, shards) });
    } else {
      const secret = secrets.service(a.role);
      users.push({ user: serviceUsername(a.role, parkId), password: bcryptHash(secret, cost, secrets.fleetKey, label), permissions: natsPermissions(a, parkId, shards) });
    }
  }
  return { parkId, shards, users, mappings: shardMappings(parkId, shards), revoked };
}

const q = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.map(q).join(', ')}]`;

/** accounts.conf: every park's account with its users and mappings (NATS config syntax, JSON-quoted). */
export function accountsConf(accounts: readonly ParkAccount[]): string {
  const lines = ['# Generated by `parkpulse cluster-config`: do not edit; regenerate and reload instead.', 'accounts {'];
  for (const acc of accounts) {
    lines.push(`  ${q(acc.parkId)}: {`, '    jetstream: enabled', '    users: [');
    for (const u of acc.users) {
      const pub = u.permissions.publish.length > 0 ? `publish: { allow: ${list(u.permissions.publish)} }` : 'publish: { deny: [">"] }';
      const sub = u.permissions.subscribe.length > 0 ? `subscribe: { allow: ${list(u.permissions.subscribe)} }` : 'subscribe: { deny: [">"] }';
      lines.push(`      { user: ${q(u.user)}, password: ${q(u.password)}, allowed_connection_types: ["MQTT"], permissions: { ${pub}, ${sub} } }`);
    }
    lines.push('    ]');
    const maps = Object.entries(acc.mappings);
    if (maps.length > 0) {
      lines.push('    mappings: {');
      for (const [from, to] of maps) lines.push(`      ${q(from)}: ${q(to)}`);
      lines.push('    }');
    }
    lines.push('  }');
  }
  lines.push('}', '');
  return lines.join('\n');
}

/** One node's file: identity, listeners, JetStream, the cluster routes, the MQTT listener. */
export function nodeConf(spec: ClusterSpec, node: ClusterNode, routeSecret: string): string {
  const others = spec.nodes.filter((n) => n.name !== node.name);
  const js = [`store_dir: ${q(node.storeDir)}`];
  if (spec.jetstream.maxMemory) js.push(`max_memory_store: ${spec.jetstream.maxMemory}`);
  if (spec.jetstream.maxFile) js.push(`max_file_store: ${spec.jetstream.maxFile}`);
  if (spec.jetstream.syncInterval) js.push(`sync_interval: ${q(spec.jetstream.syncInterval)}`);
  const replicas = Math.min(3, spec.nodes.length);
  return [
    '# Generated by `parkpulse cluster-config`: do not edit; regenerate and reload instead.',
    `server_name: ${q(node.name)}`,
    `listen: ${q(`${node.listen}:${node.clientPort}`)}`,
    `http: ${q(`${node.listen}:${node.httpPort}`)}`,
    `jetstream { ${js.join(', ')} }`,
    // One node is a trial, not a cluster: no routes (and no replicas to lose).
    ...(spec.nodes.length === 1
      ? []
      : [
          'cluster {',
          `  name: ${q(spec.name)}`,
          `  listen: ${q(`${node.listen}:${node.clusterPort}`)}`,
          `  authorization { user: "route", password: ${q(routeSecret)} }`,
          `  routes: ${list(others.map((n) => `nats-route://route:${routeSecret}@${n.host}:${n.clusterPort}`))}`,
          '}',
        ]),
    // Sessions, retained messages and QoS 1 queues in streams of `replicas` copies; a QoS 1
    // PUBACK is sent only after the replicated store (server/mqtt.go mqttProcessPub).
    `mqtt { listen: ${q(`${node.listen}:${node.mqttPort}`)}, max_ack_pending: ${spec.mqtt.maxAckPending}, ack_wait: ${q(spec.mqtt.ackWait)}, stream_replicas: ${replicas} }`,
    'include "accounts.conf"',
    '',
  ].join('\n');
}

/** Reads every park (provisioning it first: idempotent) and builds the cluster's files. */
export async function buildClusterConfig(spec: ClusterSpec, routeSecret: string, opts: { scrypt?: { N: number; r: number; p: number } } = {}): Promise<ClusterConfig> {
  const accounts: ParkAccount[] = [];
  const seenUsers = new Map<string, string>();
  for (const park of spec.parks) {
    const model: ParkModel = loadParkModel(park.parkModel ?? DEFAULT_PARK_MODEL_PATH);
    const registryPath = join(park.dataDir, 'registry.json');
    const secretsDir = join(park.dataDir, 'secrets');
    const { registry, fleetKey } = await provision({ model, registryPath, secretsDir, ...(opts.scrypt ? { scrypt: opts.scrypt } : {}) });
    if (accounts.some((a) => a.parkId === registry.parkId)) throw new ClusterConfigError('cluster-parks-conflict', `park ${registry.parkId} is listed twice (${park.dataDir})`);
    const account = parkAccount(registry, { fleetKey, service: (role) => readServiceSecret(secretsDir, role as never) }, park.shards, spec.bcryptCost);
    // User names are cluster-wide: a device id used by two parks would let one park's device log in to the other's account.
    for (const u of account.users) {
      const other = seenUsers.get(u.user);
      if (other) throw new ClusterConfigError('cluster-parks-conflict', `user ${u.user} exists in parks ${other} and ${registry.parkId}: device ids must be unique across the cluster's parks`);
      seenUsers.set(u.user, registry.parkId);
    }
    accounts.push(account);
  }
  const files: Record<string, string> = { 'accounts.conf': accountsConf(accounts) };
  for (const node of spec.nodes) files[`${node.name}.conf`] = nodeConf(spec, node, routeSecret);
  return { accounts, files };
}

/** The route secret of the cluster (created once in the output folder, mode 0600). */
export function routeSecret(outDir: string): string {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const path = join(outDir, 'route.secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(24).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** Writes the files atomically (temp + rename, mode 0600): a node reloading meanwhile reads old or new, never half. */
export function writeClusterFiles(outDir: string, files: Record<string, string>): string[] {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const path = join(outDir, name);
    writeFileAtomic(path, text, { mode: 0o600 });
    written.push(path);
  }
  return written;
}
