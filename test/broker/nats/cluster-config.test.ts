// The generator without a server: permissions are the park's ACL in NATS terms (broker/acl.ts is
// the one source), hashes are bcrypt of the derived secrets, the output is the same for the same
// registry, and a bad cluster file names what is wrong.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { publishFilters, subscribeFilters } from '../../../broker/acl.ts';
import { buildClusterConfig, shardMappings } from '../../../broker/nats/cluster-config.ts';
import { ClusterSpecError } from '../../../broker/errors.ts';
import { loadClusterSpec } from '../../../broker/nats/cluster-spec.ts';
import { mqttFilterToSubjects, natsPermissions } from '../../../broker/nats/nats-permissions.ts';
import { deriveDeviceSecret } from '../../../shared/credentials.ts';
import { DEFAULT_PARK_MODEL_PATH } from '../../../shared/park-model.ts';
import { revokeDevice } from '../../../shared/device-accounts.ts';
import { readFleetKey, readRegistry, readServiceSecret } from '../../../shared/registry.ts';
import { shardOf } from '../../../shared/shard-topics.ts';
import { TEST_SCRYPT } from '../../../testkit/park.ts';

const dirs: string[] = [];
function clusterFile(parks: object[], extra: object = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pp-cluster-cfg-'));
  dirs.push(dir);
  const path = join(dir, 'cluster.json');
  writeFileSync(path, JSON.stringify({ nodes: [{ name: 'nats-1', host: 'nats-1' }, { name: 'nats-2', host: 'nats-2' }, { name: 'nats-3', host: 'nats-3' }], parks, ...extra }));
  return path;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('cluster-config', () => {
  it('turns MQTT filters into NATS subjects as nats-server maps them', () => {
    expect(mqttFilterToSubjects('park/dantu/camera/cam-1/telemetry')).toEqual(['park.dantu.camera.cam-1.telemetry']);
    expect(mqttFilterToSubjects('park/dantu/+/+/status')).toEqual(['park.dantu.*.*.status']);
    expect(mqttFilterToSubjects('park/dantu/live/#')).toEqual(['park.dantu.live', 'park.dantu.live.>']);
    expect(mqttFilterToSubjects('#')).toEqual(['>']);
    expect(() => mqttFilterToSubjects('a/b.c')).toThrow();
  });

  it('gives every account its ACL, devices their own shard subject, and bcrypt hashes of the derived secrets', async () => {
    const spec = loadClusterFile([{ dataDir: 'p1', shards: 3 }]);
    const built = await buildClusterConfig(spec, 'route-secret', { scrypt: TEST_SCRYPT });
    const park = built.accounts[0]!;
    const registry = readRegistry(join(spec.parks[0]!.dataDir, 'registry.json'));
    const fleetKey = readFleetKey(join(spec.parks[0]!.dataDir, 'secrets'));
    expect(park.users).toHaveLength(registry.accounts.length);
    for (const a of registry.accounts) {
      const u = park.users.find((x) => x.user === (a.type === 'device' ? a.id : `${a.id}@dantu`))!;
      expect(u, a.id).toBeDefined();
      const expectedPub = publishFilters(a, 'dantu').flatMap(mqttFilterToSubjects);
      const expectedSub = subscribeFilters(a, 'dantu').filter((f) => !f.startsWith('$SYS')).flatMap(mqttFilterToSubjects);
      if (a.type === 'device') {
        const k = shardOf(a.id, 3);
        expect(u.permissions.publish.sort()).toEqual([...expectedPub, ...expectedPub.map((s) => `shard.${k}.${s}`)].sort());
        expect(bcrypt.compareSync(deriveDeviceSecret(fleetKey, 'dantu', a.id, a.generation), u.password)).toBe(true);
        expect(bcrypt.compareSync('wrong', u.password)).toBe(false);
      } else {
        expect(u.permissions.publish.sort()).toEqual([...new Set(expectedPub)].sort());
        expect(bcrypt.compareSync(readServiceSecret(join(spec.parks[0]!.dataDir, 'secrets'), a.role), u.password)).toBe(true);
      }
      expect(u.permissions.subscribe.sort()).toEqual([...new Set(expectedSub), '$MQTT.sub.>'].sort());
    }
    expect(Object.keys(park.mappings)).toHaveLength(9);
    expect(park.mappings['park.dantu.meter.*.telemetry']).toBe('shard.{{partition(3,1)}}.park.dantu.meter.{{wildcard(1)}}.telemetry');
    expect(built.files['nats-2.conf']).toMatch(/routes: \["nats-route:\/\/route:route-secret@nats-1:6222", "nats-route:\/\/route:route-secret@nats-3:6222"\]/);
    expect(built.files['nats-1.conf']).toMatch(/max_ack_pending: 8192/);
    expect(built.files['nats-1.conf']).not.toMatch(/sync_interval/);
    // Same registry, same files (salts derive from the fleet key): a regeneration diffs to nothing.
    const again = await buildClusterConfig(spec, 'route-secret', { scrypt: TEST_SCRYPT });
    expect(again.files).toEqual(built.files);
    // A revoked device is left out, nothing else changes.
    revokeDevice({ registryPath: join(spec.parks[0]!.dataDir, 'registry.json'), secretsDir: join(spec.parks[0]!.dataDir, 'secrets') }, 'cam-005');
    const after = await buildClusterConfig(spec, 'route-secret', { scrypt: TEST_SCRYPT });
    expect(after.accounts[0]!.revoked).toEqual(['cam-005']);
    expect(after.accounts[0]!.users.map((u) => u.user)).not.toContain('cam-005');
    expect(after.accounts[0]!.users).toHaveLength(park.users.length - 1);
  });

  it('serves several parks, one account each, and refuses a device id two parks share', async () => {
    expect(shardMappings('dantu', 1)).toEqual({});
    const twice = loadClusterFile([{ dataDir: 'a' }, { dataDir: 'b' }]);
    // Both data folders are provisioned from the same bundled model: same park id, listed twice.
    await expect(buildClusterConfig(twice, 's', { scrypt: TEST_SCRYPT })).rejects.toThrow(/listed twice/);
    // A second park with its own id but the Dantu device ids: user names would collide.
    const path = clusterFile([{ dataDir: 'a' }, { dataDir: 'b', parkModel: 'other.json' }]);
    const other = { ...JSON.parse(readFileSync(DEFAULT_PARK_MODEL_PATH, 'utf8')), id: 'other' };
    writeFileSync(join(path, '..', 'other.json'), JSON.stringify(other));
    await expect(buildClusterConfig(loadClusterSpec(path), 's', { scrypt: TEST_SCRYPT })).rejects.toThrow(/user cam-001 exists in parks dantu and other/);
    // With ids of its own it is a second account beside the first.
    other.devices = other.devices.map((d: { id: string }) => ({ ...d, id: `o-${d.id}` }));
    writeFileSync(join(path, '..', 'other.json'), JSON.stringify(other));
    rmSync(join(path, '..', 'b'), { recursive: true, force: true });
    const two = await buildClusterConfig(loadClusterSpec(path), 's', { scrypt: TEST_SCRYPT });
    expect(two.accounts.map((a) => a.parkId)).toEqual(['dantu', 'other']);
    expect(two.files['accounts.conf']).toMatch(/"other": \{/);
    expect(two.accounts[1]!.users.map((u) => u.user)).toContain('svc-ingest@other');
  });

  it('names what is wrong in a cluster file', () => {
    expect(() => loadClusterFile([{ dataDir: 'a', shards: 0 }])).toThrow(ClusterSpecError);
    expect(() => loadClusterFile([{ dataDir: 'a' }], { mqtt: { maxAckPending: 20000 } })).toThrow(/maxAckPending/);
    expect(() => loadClusterFile([{ dataDir: 'a' }], { jetstream: { syncInterval: 'sometimes' } })).toThrow(/syncInterval/);
    expect(() => loadClusterFile([], {})).toThrow(/parks/);
  });
});

function loadClusterFile(parks: object[], extra: object = {}) {
  return loadClusterSpec(clusterFile(parks, extra));
}
