// Synthetic load devices: a valid model beside the real park, provisioned at a cheap scrypt cost
// while the real devices keep the default.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, LOAD_SCRYPT } from '../../shared/credentials.ts';
import { buildLoadModel, isLoadDeviceId, loadDevicesOf, LOAD_ENTERPRISE } from '../../shared/load-model.ts';
import { buildParkModel, loadParkModel } from '../../shared/park-model.ts';
import { provision } from '../../shared/registry.ts';

describe('load model', () => {
  it('adds n load meters ld-00001.. to the real park, each in the load zone and on the map', () => {
    const base = loadParkModel();
    const model = buildLoadModel(2500, base);
    const load = loadDevicesOf(model);
    expect(load).toHaveLength(2500);
    expect(load[0]!.id).toBe('ld-00001');
    expect(load.at(-1)!.id).toBe('ld-02500');
    expect(model.devices.length).toBe(base.devices.length + 2500);
    expect(new Set(load.map((d) => `${d.x},${d.y}`)).size).toBe(2500); // no two on one spot
    for (const d of load) {
      expect(d.kind).toBe('meter');
      expect(d.enterprise).toBe(LOAD_ENTERPRISE);
      expect(d.x).toBeGreaterThan(0);
      expect(d.x).toBeLessThan(model.map.width);
      expect(d.y).toBeLessThan(model.map.height);
    }
    // the real park is untouched
    for (const d of base.devices) expect(model.deviceById.get(d.id)).toEqual(d);
    expect(base.devices.some((d) => isLoadDeviceId(d.id))).toBe(false);
  });

  it('refuses bad counts and a base that already has load devices', () => {
    const base = loadParkModel();
    expect(() => buildLoadModel(0, base)).toThrow(RangeError);
    expect(() => buildLoadModel(60_000, base)).toThrow(/outside/);
    expect(() => buildLoadModel(2, buildLoadModel(2, base))).toThrow(/already/);
  });

  it('provisions load devices at the cheap documented cost and real devices at the default', async () => {
    const small = buildParkModel({
      id: 'mini', name: '小园区', nameEn: 'Mini', city: 'x', timezone: 'Asia/Shanghai', map: { width: 100, height: 100 },
      zones: [{ id: 'z', name: 'z', nameEn: 'z', polygon: [[0, 0], [50, 0], [50, 50]] }],
      enterprises: [{ id: 'e', name: '一区', short: '一区', nameEn: 'E', shortEn: 'E', zone: 'z', profile: 'office', contractKw: 100, stage: 'operating', source: 'neutral', plot: [0, 0, 10, 10] }],
      devices: [{ id: 'mtr-e-1', kind: 'meter', name: 'm', nameEn: 'm', zone: 'z', enterprise: 'e', x: 1, y: 1 }],
    });
    const dir = mkdtempSync(join(tmpdir(), 'parkpulse-load-'));
    try {
      const { registry } = await provision({ model: buildLoadModel(3, small), registryPath: join(dir, 'registry.json'), secretsDir: join(dir, 'secrets') });
      const cost = (id: string): number => registry.accounts.find((a) => a.id === id)!.secret.N;
      expect(cost('mtr-e-1')).toBe(DEFAULT_SCRYPT.N);
      expect(cost('svc-ingest')).toBe(DEFAULT_SCRYPT.N);
      for (const id of ['ld-00001', 'ld-00002', 'ld-00003']) expect(cost(id)).toBe(LOAD_SCRYPT.N);
      // every service role has an account, the recorder among them
      expect(registry.accounts.filter((a) => a.type === 'service').map((a) => a.id).sort()).toEqual(['svc-aggregator', 'svc-ingest', 'svc-recorder', 'svc-screen']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
