// Read-only endpoints over the park model and the store: the map's model, history series for the
// charts, today's energy per enterprise.
import { z } from 'zod';
import { HISTORY_SERIES, type TelemetryStore } from '../../ingest/store/types.ts';
import { publicParkModel, type ParkModel } from '../../shared/park-model.ts';
import { startOfDay } from '../../shared/time.ts';
import { json, type Route } from './http-kit.ts';
import { formatIssues } from '../../shared/validation.ts';

export type HistoryReader = Pick<TelemetryStore, 'history' | 'energySince' | 'close'>;

const DAY = 86_400_000;
const historyQuerySchema = z
  .object({
    series: z.enum(HISTORY_SERIES),
    from: z.coerce.number().int().positive(),
    to: z.coerce.number().int().positive(),
    bucketMs: z.coerce.number().int().min(1000).max(DAY),
  })
  .refine((q) => q.to > q.from, 'to must be after from')
  .refine((q) => q.to - q.from <= 31 * DAY, 'range is 31 days at most')
  .refine((q) => (q.to - q.from) / q.bucketMs <= 5000, '5000 buckets at most');

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
        json(res, 200, { ...q.data, points: await opts.history.history(q.data) });
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
