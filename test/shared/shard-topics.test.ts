// Device shards: the hash must be nats-server's (FNV-1a 32 over the id's bytes, mod N), or an
// ingest shard would own devices the broker sends elsewhere. The vectors are FNV-1a's published
// test values; test/broker/nats/cluster-acl.test.ts checks the same function against a real mapping.
import { describe, expect, it } from 'vitest';
import { fnv1a32, parseShardDeviceTopic, parseShardPartTopic, shardDeviceFilters, shardOf, shardPartTopic } from '../../shared/shard-topics.ts';
import { routeShardTopic } from '../../ingest/shard/shard-routing.ts';

describe('device shards', () => {
  it('hashes with FNV-1a 32 (the reference vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('gives a stable shard per device, spread over the shards', () => {
    expect(shardOf('cam-001', 4)).toBe(fnv1a32('cam-001') % 4);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(`ld-${String(i).padStart(5, '0')}`, 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(() => shardOf('x', 0)).toThrow(RangeError);
  });

  it('parses shard topics and parts, and refuses hostile ones', () => {
    expect(shardDeviceFilters('dantu', 2)).toEqual(['shard/2/park/dantu/camera/+/+', 'shard/2/park/dantu/node5g/+/+', 'shard/2/park/dantu/meter/+/+']);
    const t = parseShardDeviceTopic('shard/3/park/dantu/meter/mtr-1/telemetry', 'dantu');
    expect(t).toMatchObject({ ok: true, shard: 3, topic: { deviceId: 'mtr-1', channel: 'telemetry' } });
    expect(parseShardDeviceTopic('park/dantu/meter/mtr-1/status', 'dantu')).toMatchObject({ ok: true, shard: null });
    expect(parseShardDeviceTopic('shard/x/park/dantu/meter/mtr-1/status').ok).toBe(false);
    expect(parseShardDeviceTopic('shard/99999/park/dantu/meter/mtr-1/status').ok).toBe(false);
    expect(parseShardPartTopic(shardPartTopic('dantu', 1, 'delta'), 'dantu')).toEqual({ shard: 1, part: 'delta' });
    expect(parseShardPartTopic('park/other/shards/1/delta', 'dantu')).toBeNull();
    expect(parseShardPartTopic('park/dantu/shards/1/evil', 'dantu')).toBeNull();
  });

  it('routes a shard its own devices, another shard\'s wills to nobody, mismatches to a rejection', () => {
    const id = 'cam-001';
    const k = shardOf(id, 4);
    const spec = { index: k, count: 4 };
    expect(routeShardTopic(`shard/${k}/park/dantu/camera/${id}/telemetry`, spec, 'dantu')).toEqual({ take: true, topic: `park/dantu/camera/${id}/telemetry` });
    expect(routeShardTopic(`park/dantu/camera/${id}/status`, spec, 'dantu')).toEqual({ take: true, topic: `park/dantu/camera/${id}/status` });
    expect(routeShardTopic(`park/dantu/camera/${id}/status`, { index: (k + 1) % 4, count: 4 }, 'dantu')).toEqual({ take: false, reason: 'other-shard' });
    expect(routeShardTopic(`shard/${(k + 1) % 4}/park/dantu/camera/${id}/telemetry`, spec, 'dantu')).toMatchObject({ take: false, reason: 'shard-mismatch' });
    // Mapped with another N: the device's hash is not this shard's.
    expect(routeShardTopic(`shard/${k}/park/dantu/camera/${id}/telemetry`, { index: k, count: 5 }, 'dantu').take).toBe(shardOf(id, 5) === k);
  });
});
