// Read-only endpoints over the park model and the store: the map's model, history series for the
// charts (park-wide or one device's; the server picks the bucket when none is given), energy per
// enterprise today or over a range, and one device's recent events and status changes.
import { z } from 'zod';
import { HISTORY_SERIES, type HistorySeries, type TelemetryStore } from '../../ingest/store/types.ts';
import { publicParkModel, type ParkModel } from '../../shared/park-model.ts';
import { startOfDay } from '../../shared/time.ts';
import type { DeviceKind } from '../../shared/topics.ts';
import { pickBucket } from './buckets.ts';
import { json, type Route } from './http-kit.ts';
import { formatIssues } from '../../shared/validation.ts';

export type HistoryReader = Pick<TelemetryStore, 'history' | 'energySince' | 'deviceLog' | 'close'>;

const DAY = 86_400_000;
/** Which series a device of each kind has (a device view asks for its own). */
export const DEVICE_SERIES: Record<DeviceKind, readonly HistorySeries[]> = {
  meter: ['park.power'],
  node5g: ['node5g.rsrp', 'node5g.sinr', 'node5g.latency', 'node5g.dl', 'node5g.ul'],
  camera: ['camera.fps', 'camera.bitrate', 'camera.events'],
};
/** Camera telemetry has no time index: read per device only. */
const DEVICE_ONLY: readonly HistorySeries[] = ['camera.fps', 'camera.bitrate'];

const ms = z.coerce.number().int().positive();
const historyQuerySchema = z
  .object({
    series: z.enum(HISTORY_SERIES),
    from: ms,
    to: ms,
    /** Optional: without it the server picks a round bucket giving at most `maxPoints`. */
    bucketMs: z.coerce.number().int().min(1000).max(DAY).optional(),
    maxPoints: z.coerce.number().int().min(10).max(1000).optional(),
    device: z.string().max(64).optional(),
  })
  .refine((q) => q.to > q.from, 'to must be after from')
  .refine((q) => q.to - q.from <= 31 * DAY, 'range is 31 days at most')
  .refine((q) => q.bucketMs === undefined || (q.to - q.from) / q.bucketMs <= 5000, '5000 buckets at most');
const rangeSchema = z.object({ from: ms, to: ms }).refine((q) => q.to > q.from, 'to must be after from').refine((q) => q.to - q.from <= 31 * DAY, 'range is 31 days at most');
const DEVICE_PATH = /^\/api\/devices\/(?<id>[a-z0-9][a-z0-9-]{0,63})$/;
/** The device view: its last hour as a chart, its log over the last day. */
const DEVICE_CHART_MS = 3_600_000;
const DEVICE_LOG_MS = DAY;
const DEVICE_LOG_LIMIT = 20;


export function historyRoutes(opts: { model: ParkModel; history: HistoryReader; now: () => number }): Route[] {
  const parkJson = JSON.stringify(publicParkModel(opts.model));
  return [
    {
      method: 'GET',
      path: '/api/park',
      handle: ({ res }) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }).end(parkJson);
      },
    },
    {
      method: 'GET',
      path: '/api/history',
      async handle({ res, url }) {
        const q = historyQuerySchema.safeParse(Object.fromEntries(url.searchParams));
        if (!q.success) return json(res, 400, { error: 'bad-query', detail: formatIssues(q.error) });
        const { series, from, to, device } = q.data;
        if (device !== undefined) {
          const d = opts.model.deviceById.get(device);
          if (!d) return json(res, 404, { error: 'device-not-found' });
          if (!DEVICE_SERIES[d.kind].includes(series)) return json(res, 400, { error: 'bad-query', detail: `series: ${series} is not a ${d.kind} series` });
        } else if (DEVICE_ONLY.includes(series)) return json(res, 400, { error: 'bad-query', detail: `series: ${series} needs a device` });
        const bucketMs = q.data.bucketMs ?? pickBucket(from, to, q.data.maxPoints);
        json(res, 200, { series, from, to, bucketMs, ...(device ? { device } : {}), points: await opts.history.history({ series, from, to, bucketMs, ...(device ? { device } : {}) }) });
      },
    },
    {
      method: 'GET',
      path: '/api/energy',
      async handle({ res, url }) {
        const q = rangeSchema.safeParse(Object.fromEntries(url.searchParams));
        if (!q.success) return json(res, 400, { error: 'bad-query', detail: formatIssues(q.error) });
        json(res, 200, { ...q.data, enterprises: await opts.history.energySince(q.data.from, q.data.to) });
      },
    },
    {
      method: 'GET',
      path: DEVICE_PATH,
      async handle({ res, params }) {
        const d = opts.model.deviceById.get(params.id!);
        if (!d) return json(res, 404, { error: 'device-not-found' });
        const to = opts.now();
        const from = to - DEVICE_CHART_MS;
        const bucketMs = pickBucket(from, to, 120);
        const [log, ...series] = await Promise.all([
          opts.history.deviceLog({ device: d.id, from: to - DEVICE_LOG_MS, to: to + 1, limit: DEVICE_LOG_LIMIT }),
          ...DEVICE_SERIES[d.kind].map((s) => opts.history.history({ series: s, from, to, bucketMs, device: d.id })),
        ]);
        const enterprise = d.enterprise ? opts.model.enterpriseById.get(d.enterprise) : undefined;
        const zone = opts.model.zones.find((z) => z.id === d.zone);
        json(res, 200, {
          device: d,
          enterprise: enterprise ? { id: enterprise.id, name: enterprise.name, short: enterprise.short, nameEn: enterprise.nameEn, shortEn: enterprise.shortEn } : null,
          zone: zone ? { id: zone.id, name: zone.name, nameEn: zone.nameEn } : null,
          chart: { from, to, bucketMs, series: Object.fromEntries(DEVICE_SERIES[d.kind].map((s, i) => [s, series[i]!])) },
          log,
        });
      },
    },
    {
      method: 'GET',
      path: '/api/energy/today',
      async handle({ res }) {
        const since = startOfDay(opts.now(), opts.model.timezone);
        json(res, 200, { since, enterprises: await opts.history.energySince(since) });
      },
    },
  ];
}
