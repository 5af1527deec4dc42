import { describe, expect, it } from 'vitest';
import { buildParkModel, loadParkModel } from '../../shared/park-model.ts';

describe('the Dantu park model', () => {
  const model = loadParkModel();

  it('has the devices the screen and simulators need', () => {
    expect(model.devicesOfKind('camera').length).toBeGreaterThanOrEqual(40);
    expect(model.devicesOfKind('node5g').length).toBe(12);
    for (const e of model.enterprises) {
      expect(model.devices.some((d) => d.kind === 'meter' && d.enterprise === e.id), e.id).toBe(true);
    }
  });

  it('names only the enterprises the seed article names; the rest are neutral labels', () => {
    const seed = model.enterprises.filter((e) => e.source === 'seed').map((e) => e.short).sort();
    expect(seed).toEqual(['中海桥梁', '帝高力', '恒欣生物', '杜拓跨境电商', '联东U谷', '远海包装', '龙源铝业'].sort());
    for (const e of model.enterprises.filter((x) => x.source === 'neutral')) {
      expect(e.name).toMatch(/区|中心|配套/); // descriptive labels, no company names
      expect(e.name).not.toMatch(/公司|有限/);
    }
  });

  it('places every device inside the map, in a known zone', () => {
    const zones = new Set(model.zones.map((z) => z.id));
    for (const d of model.devices) {
      expect(zones.has(d.zone), d.id).toBe(true);
      expect(d.x).toBeGreaterThanOrEqual(0);
      expect(d.x).toBeLessThanOrEqual(model.map.width);
      expect(d.y).toBeGreaterThanOrEqual(0);
      expect(d.y).toBeLessThanOrEqual(model.map.height);
    }
  });

  it('refuses a model with dangling references or duplicate ids', () => {
    const raw = JSON.parse(JSON.stringify({ ...model, deviceById: undefined, enterpriseById: undefined, devicesOfKind: undefined }));
    raw.devices.push({ ...raw.devices[0] });
    expect(() => buildParkModel(raw)).toThrow(/duplicate device id/);
    const raw2 = JSON.parse(JSON.stringify({ ...model, deviceById: undefined, enterpriseById: undefined, devicesOfKind: undefined }));
    raw2.devices[0].zone = 'nowhere';
    expect(() => buildParkModel(raw2)).toThrow(/unknown zone/);
  });
});
