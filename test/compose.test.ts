// docker-compose cannot run here (no Docker engine), so check that it is true to the code: every
// ParkPulse service runs a command the CLI has and sets only variables the config reads; the
// InfluxDB service is initialised with the very org, bucket and token the services use.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadClusterSpec } from '../broker/nats/cluster-spec.ts';
import { COMMANDS } from '../bin/config/commands.ts';
import { flatten } from '../bin/config/setting.ts';
import { SETTINGS } from '../bin/config/settings.ts';

interface Service {
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  image?: string;
  build?: unknown;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
}

const APP_SERVICES = ['broker', 'ingest', 'screen', 'sim'];
const CLUSTER_APP_SERVICES = ['nats-config', 'ingest-dantu-0', 'ingest-dantu-1', 'aggregator-dantu', 'screen-cluster', 'sim-cluster'];

describe('docker-compose.yml', () => {
  const text = readFileSync('docker-compose.yml', 'utf8');
  const compose = parse(text, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const configEnv = new Set(flatten(SETTINGS).map((o) => o.setting.env));
  const svc = (name: string): Service => compose.services[name]!;

  it('runs broker, ingest, screen and sim from the one image, and InfluxDB 2.7', () => {
    for (const name of [...APP_SERVICES, ...CLUSTER_APP_SERVICES]) expect(svc(name).image, name).toBe('parkpulse:latest');
    expect(svc('influxdb').image).toMatch(/^influxdb:2\.7/);
  });

  it.each([...APP_SERVICES, ...CLUSTER_APP_SERVICES])('%s: command exists in the CLI, env names exist in the config', (name) => {
    const cmd = svc(name).command?.[0];
    expect(cmd && cmd in COMMANDS, `${name} command ${cmd}`).toBe(true);
    for (const key of Object.keys(svc(name).environment ?? {})) expect(configEnv.has(key), `${name}: ${key}`).toBe(true);
  });

  it('runs the compiled CLI', () => {
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(JSON.parse(entry ?? 'null')).toEqual(['node', 'dist/bin/parkpulse.js']);
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(/RUN npm run build/);
    // No service replaces the image's entry (its command picks the process).
    for (const name of [...APP_SERVICES, ...CLUSTER_APP_SERVICES]) expect(svc(name).entrypoint, name).toBeUndefined();
  });

  it('initialises InfluxDB with the org, bucket and token that ingest and screen use', () => {
    // The image's own variables (DOCKER_INFLUXDB_INIT_*) are not ours; they must only agree with ours.
    const init = svc('influxdb').environment!;
    for (const key of Object.keys(init)) expect(key, 'influxdb env').toMatch(/^DOCKER_INFLUXDB_INIT_/);
    expect(init.DOCKER_INFLUXDB_INIT_MODE).toBe('setup');
    for (const [name, db] of [['ingest', 'influxdb'], ['screen', 'influxdb'], ['ingest-dantu-0', 'influxdb-cluster'], ['ingest-dantu-1', 'influxdb-cluster'], ['screen-cluster', 'influxdb-cluster']] as const) {
      const env = svc(name).environment!;
      expect(env.INFLUX_URL, name).toBe(`http://${db}:8086`);
      expect(env.INFLUX_ORG, name).toBe(init.DOCKER_INFLUXDB_INIT_ORG);
      expect(env.INFLUX_BUCKET, name).toBe(init.DOCKER_INFLUXDB_INIT_BUCKET);
      expect(env.INFLUX_TOKEN, name).toBe(init.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
      if (db === 'influxdb') expect(svc(name).depends_on?.influxdb?.condition, name).toBe('service_healthy');
    }
  });

  it('keeps data, broker queues, the spool and InfluxDB on named volumes', () => {
    const mounts = (name: string): Record<string, string> => Object.fromEntries((svc(name).volumes ?? []).map((v) => v.split(':')).map(([vol, path]) => [path!, vol!]));
    expect(mounts('ingest')['/spool']).toBe('spool');
    expect(svc('ingest').environment!.INFLUX_SPOOL_DIR).toBe('/spool');
    expect(mounts('broker')['/queue']).toBe('brokerqueue');
    expect(svc('broker').environment!.BROKER_PERSISTENCE).toBe('disk');
    expect(svc('broker').environment!.BROKER_PERSISTENCE_DIR).toBe('/queue');
    expect(mounts('influxdb')['/var/lib/influxdb2']).toBe('influxdata');
    for (const name of Object.keys(compose.services)) {
      for (const vol of Object.values(mounts(name))) expect(Object.keys(compose.volumes), `${name} volume ${vol}`).toContain(vol);
    }
    // The Dockerfile creates the mount points owned by the unprivileged user.
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(/mkdir -p \/data \/spool \/queue \/parks\/dantu \/nats-config && chown node:node/);
  });

  it('has health checks, and documents every published port', () => {
    for (const name of ['influxdb', 'broker', 'screen']) expect(svc(name).healthcheck?.test.length, name).toBeGreaterThan(0);
    const published = Object.values(compose.services).flatMap((s) => s.ports ?? []).map((p) => p.split(':')[0]!);
    expect(published.sort()).toEqual(['1883', '1884', '1885', '1886', '8080', '8081', '8083', '8086']);
    for (const port of published) expect(text.split('\n').filter((l) => l.startsWith('#')).join('\n'), `port ${port} in the header`).toContain(port);
  });

  it('runs the cluster profile from the cluster file: its nodes, its park\'s shards and aggregator', () => {
    const cmd = svc('nats-config').command!;
    expect(cmd[0]).toBe('cluster-config');
    const spec = loadClusterSpec(cmd[1]!);
    const configDir = svc('nats-config').environment!.NATS_CONFIG_DIR!;
    expect(svc('nats-config').volumes).toContain(`natsconfig:${configDir}`);
    const cluster = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('cluster')).map(([n]) => n);
    for (const node of spec.nodes) {
      const s = svc(node.name);
      expect(s.image, node.name).toMatch(/^nats:2\.(1[2-9]|[2-9]\d)/);
      expect(s.command, node.name).toEqual(['-c', `${configDir}/${node.name}.conf`]);
      expect(s.volumes, node.name).toContain(`natsconfig:${configDir}:ro`);
      expect(s.volumes!.some((v) => v.endsWith(`:${node.storeDir}`)), `${node.name} JetStream on a volume`).toBe(true);
      expect(s.depends_on?.['nats-config']?.condition).toBe('service_completed_successfully');
      expect(cluster).toContain(node.name);
    }
    const urls = spec.nodes.map((n) => `mqtt://${n.host}:${n.mqttPort}`).join(',');
    const park = spec.parks[0]!;
    for (const name of CLUSTER_APP_SERVICES.filter((n) => n !== 'nats-config')) {
      expect(cluster, name).toContain(name);
      expect(svc(name).environment!.MQTT_URL, name).toBe(urls);
      expect(svc(name).environment!.DATA_DIR, name).toBe(park.dataDir);
      expect(svc(name).volumes, name).toContain(`clusterpark:${park.dataDir}`);
    }
    // One ingest per shard, each with its own spool; the aggregator when there are shards.
    const shards = Object.entries(compose.services).filter(([, s]) => s.command?.[0] === 'ingest' && s.profiles?.includes('cluster'));
    expect(shards.map(([, s]) => s.environment!.INGEST_SHARD).sort()).toEqual(Array.from({ length: park.shards }, (_, k) => `${k}/${park.shards}`));
    expect(new Set(shards.map(([, s]) => s.volumes!.find((v) => v.endsWith(':/spool')))).size).toBe(park.shards);
    expect(Object.values(compose.services).filter((s) => s.command?.[0] === 'aggregator' && s.profiles?.includes('cluster'))).toHaveLength(park.shards > 1 ? 1 : 0);
    // The single-machine services stay outside the profile: `docker compose up` is unchanged.
    for (const name of ['influxdb', ...APP_SERVICES]) expect(svc(name).profiles, name).toBeUndefined();
  });
});
