// Synthetic load devices: the real park plus `n` meters `ld-00001` .. in a strip of their own, so
// a load test runs against devices that exist (in the registry and in the ingest's model) without
// touching the real park's devices. Only processes started with `--load-devices n` know them.
import { publicParkModel, buildParkModel, type Device, type ParkModel } from './park-model.ts';

export const LOAD_ZONE = 'load';
export const LOAD_ENTERPRISE = 'load-test';
/** Most load devices one model holds (5-digit ids). */
export const MAX_LOAD_DEVICES = 50_000;
/** Contracted capacity per load meter, kW (they run the continuous profile well below it). */
const KW_PER_LOAD_METER = 50;

const LOAD_ID = /^ld-\d{5}$/;

export function loadDeviceId(i: number): string {
  return `ld-${String(i).padStart(5, '0')}`;
}

export function isLoadDeviceId(id: string): boolean {
  return LOAD_ID.test(id);
}

/** The load devices of a model, in id order. */
export function loadDevicesOf(model: ParkModel): Device[] {
  return model.devices.filter((d) => isLoadDeviceId(d.id));
}

/** `base` (default: nothing else) plus `n` synthetic load meters. */
export function buildLoadModel(n: number, base: ParkModel): ParkModel {
  if (!Number.isInteger(n) || n < 1 || n > MAX_LOAD_DEVICES) throw new RangeError(`load devices: ${n} is outside 1..${MAX_LOAD_DEVICES}`);
  if (base.devices.some((d) => isLoadDeviceId(d.id))) throw new Error('the base model already has load devices');
  const data = publicParkModel(base);
  const { width, height } = data.map;
  // A thin strip along the bottom edge of the map, below the real zones.
  const x0 = width * 0.04;
  const x1 = width * 0.96;
  const y0 = height * 0.95;
  const y1 = height * 0.995;
  const cols = Math.ceil(Math.sqrt(n * ((x1 - x0) / (y1 - y0))));
  const rows = Math.ceil(n / cols);
  const devices: Device[] = [];
  for (let i = 0; i < n; i++) {
    const col = i % cols;
    const row = Math.floor(i / cols);
    devices.push({
      id: loadDeviceId(i + 1),
      kind: 'meter',
      name: `负载测试·电表${i + 1}`,
      nameEn: `Load test meter ${i + 1}`,
      zone: LOAD_ZONE,
      enterprise: LOAD_ENTERPRISE,
      x: Math.round((x0 + ((col + 0.5) / cols) * (x1 - x0)) * 10) / 10,
      y: Math.round((y0 + ((row + 0.5) / rows) * (y1 - y0)) * 10) / 10,
    });
  }
  return buildParkModel({
    ...data,
    note: `${base.note ?? ''} Synthetic load devices (${n}) in zone "${LOAD_ZONE}".`.trim(),
    zones: [...data.zones, { id: LOAD_ZONE, name: '负载测试区', nameEn: 'Load test (synthetic)', polygon: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]] }],
    enterprises: [
      ...data.enterprises,
      {
        id: LOAD_ENTERPRISE, name: '负载测试区', short: '负载测试区', nameEn: 'Load test (synthetic)', shortEn: 'Load test', zone: LOAD_ZONE,
        profile: 'continuous', contractKw: n * KW_PER_LOAD_METER, stage: 'operating', source: 'neutral', plot: [x0, y0, x1 - x0, y1 - y0],
      },
    ],
    devices: [...data.devices, ...devices],
  });
}
