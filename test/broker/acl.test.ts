import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe, clientIdAllowed, filterCovers } from '../../broker/acl.ts';
import type { Account } from '../../shared/registry.ts';

const secret = { alg: 'scrypt' as const, N: 1024, r: 8, p: 1, salt: 'x'.repeat(24), hash: 'y'.repeat(44) };
const base = { secret, status: 'active' as const, generation: 0, updatedAt: '2024-07-01T00:00:00Z' };
const cam: Account = { ...base, id: 'cam-001', type: 'device', kind: 'camera' };
const ingest: Account = { ...base, id: 'svc-ingest', type: 'service', role: 'ingest' };
const screen: Account = { ...base, id: 'svc-screen', type: 'service', role: 'screen' };
const recorder: Account = { ...base, id: 'svc-recorder', type: 'service', role: 'recorder' };

describe('filterCovers', () => {
  it.each([
    ['a/#', 'a/b/c', true],
    ['a/#', 'a/+/c', true],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/+/c', true],
    ['a/+/c', 'a/#', false],
    ['a/+/c', 'a/b/d', false],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
    ['a/b/c', 'a/+/c', false],
  ])('%s covers %s: %s', (allowed, requested, expected) => {
    expect(filterCovers(allowed, requested)).toBe(expected);
  });
});

describe('device ACL', () => {
  it('publishes only its own telemetry, event and status', () => {
    for (const ch of ['telemetry', 'event', 'status']) expect(canPublish(cam, 'dantu', `park/dantu/camera/cam-001/${ch}`)).toBe(true);
    expect(canPublish(cam, 'dantu', 'park/dantu/camera/cam-002/telemetry')).toBe(false);
    expect(canPublish(cam, 'dantu', 'park/dantu/meter/cam-001/telemetry')).toBe(false);
    expect(canPublish(cam, 'dantu', 'park/dantu/camera/cam-001/command')).toBe(false);
    expect(canPublish(cam, 'other', 'park/dantu/camera/cam-001/telemetry')).toBe(false);
    expect(canPublish(cam, 'dantu', 'park/dantu/live/snapshot')).toBe(false);
    expect(canPublish(cam, 'dantu', '$SYS/broker/x')).toBe(false);
  });
  it('subscribes only to its own command topic, never with wildcards', () => {
    expect(canSubscribe(cam, 'dantu', 'park/dantu/camera/cam-001/command')).toBe(true);
    expect(canSubscribe(cam, 'dantu', 'park/dantu/camera/cam-001/+')).toBe(false);
    expect(canSubscribe(cam, 'dantu', 'park/dantu/camera/cam-002/command')).toBe(false);
    expect(canSubscribe(cam, 'dantu', '#')).toBe(false);
    expect(canSubscribe(cam, 'dantu', '$SYS/#')).toBe(false);
  });
  it('uses its own id as client id', () => {
    expect(clientIdAllowed(cam, 'cam-001')).toBe(true);
    expect(clientIdAllowed(cam, 'cam-002')).toBe(false);
    expect(clientIdAllowed(cam, 'cam-001-x')).toBe(false);
  });
});

describe('service ACL', () => {
  it('gives the ingest device topics to read and derived topics to write', () => {
    expect(canSubscribe(ingest, 'dantu', 'park/dantu/camera/+/+')).toBe(true);
    expect(canSubscribe(ingest, 'dantu', 'park/dantu/#')).toBe(false);
    expect(canPublish(ingest, 'dantu', 'park/dantu/live/snapshot')).toBe(true);
    expect(canPublish(ingest, 'dantu', 'park/dantu/camera/cam-001/telemetry')).toBe(false);
  });
  it('gives the screen the derived topics only', () => {
    expect(canSubscribe(screen, 'dantu', 'park/dantu/live/#')).toBe(true);
    expect(canSubscribe(screen, 'dantu', 'park/dantu/camera/+/+')).toBe(false);
    expect(canPublish(screen, 'dantu', 'park/dantu/live/snapshot')).toBe(false);
    expect(canPublish(screen, 'dantu', 'park/dantu/notices/banner')).toBe(true);
  });
  it('lets the recorder read device topics and nothing else, and write nothing', () => {
    for (const kind of ['camera', 'node5g', 'meter']) {
      expect(canSubscribe(recorder, 'dantu', `park/dantu/${kind}/+/+`)).toBe(true);
      expect(canSubscribe(recorder, 'dantu', `park/dantu/${kind}/+/telemetry`)).toBe(true);
      expect(canSubscribe(recorder, 'dantu', `park/dantu/${kind}/x-1/status`)).toBe(true);
      expect(canPublish(recorder, 'dantu', `park/dantu/${kind}/x-1/telemetry`)).toBe(false);
      expect(canPublish(recorder, 'dantu', `park/dantu/${kind}/x-1/status`)).toBe(false);
    }
    for (const filter of ['park/dantu/#', 'park/dantu/+/+/+', '#', 'park/dantu/live/#', 'park/dantu/alerts/#', 'park/dantu/ops/#', 'park/dantu/notices/#', '$SYS/#', 'park/other/meter/+/+']) {
      expect(canSubscribe(recorder, 'dantu', filter), filter).toBe(false);
    }
    for (const topic of ['park/dantu/live/snapshot', 'park/dantu/ops/alerts', 'park/dantu/notices/current', 'park/dantu/alerts/active']) {
      expect(canPublish(recorder, 'dantu', topic), topic).toBe(false);
    }
    expect(clientIdAllowed(recorder, 'svc-recorder-7f3a')).toBe(true);
    expect(clientIdAllowed(recorder, 'svc-ingest')).toBe(false);
  });
  it('lets services, and only services, read $SYS', () => {
    expect(canSubscribe(ingest, 'dantu', '$SYS/#')).toBe(true);
    expect(canSubscribe(cam, 'dantu', '$SYS/+/uptime')).toBe(false);
  });
  it('accepts suffixed client ids for services', () => {
    expect(clientIdAllowed(screen, 'svc-screen-1a2b')).toBe(true);
    expect(clientIdAllowed(screen, 'svc-ingest')).toBe(false);
    expect(clientIdAllowed(screen, 'svc-screen-\u0000')).toBe(false);
  });
});
