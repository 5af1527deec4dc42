// Published content beside the live data: the economic KPI set (a file an operator may replace;
// the bundled seed figures until then) and the notices banner (多媒体信息发布).
import { existsSync, statSync } from 'node:fs';
import type { Logger } from '../../shared/logger.ts';
import { DEFAULT_KPI_PATH, loadKpiSet } from '../../shared/kpis.ts';
import type { KpiSet, Notice } from '../../shared/schema.ts';
import { json, type Route } from './http-kit.ts';

export interface KpiSource {
  /** The current set: the operator's file when present and valid, else the bundled default. */
  current(): { set: KpiSet; path: string; mtimeMs: number };
}

/** Re-reads the operator's file when its mtime changes; a broken file is logged and the last good set kept. */
export function createKpiSource(operatorFile: string | undefined, logger: Logger): KpiSource {
  const log = logger.child({ module: 'kpis' });
  let cached: { set: KpiSet; path: string; mtimeMs: number } = { set: loadKpiSet(DEFAULT_KPI_PATH), path: DEFAULT_KPI_PATH, mtimeMs: 0 };
  let badMtime = -1;
  return {
    current() {
      if (!operatorFile || !existsSync(operatorFile)) {
        if (cached.path !== DEFAULT_KPI_PATH) cached = { set: loadKpiSet(DEFAULT_KPI_PATH), path: DEFAULT_KPI_PATH, mtimeMs: 0 };
        return cached;
      }
      const mtimeMs = statSync(operatorFile).mtimeMs;
      if ((cached.path === operatorFile && cached.mtimeMs === mtimeMs) || badMtime === mtimeMs) return cached;
      try {
        cached = { set: loadKpiSet(operatorFile), path: operatorFile, mtimeMs };
        log.info({ path: operatorFile, id: cached.set.id }, 'KPI set loaded');
      } catch (err) {
        badMtime = mtimeMs;
        log.error({ err: (err as Error).message, path: operatorFile }, 'KPI file invalid; keeping the previous set');
      }
      return cached;
    },
  };
}

export function contentRoutes(opts: { kpis: KpiSource; notices: () => readonly Notice[] }): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/kpis',
      handle: ({ req, res }) => {
        const { set, mtimeMs } = opts.kpis.current();
        const etag = `"${set.id}-${Math.round(mtimeMs)}"`;
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, { etag }).end();
          return;
        }
        res.setHeader('etag', etag);
        json(res, 200, set);
      },
    },
    { method: 'GET', path: '/api/notices', handle: ({ res }) => json(res, 200, { notices: opts.notices() }) },
  ];
}
