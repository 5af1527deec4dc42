// Published content beside the live data: the economic KPI set (a file an operator may replace;
// the bundled seed figures until then) and the notices banner (多媒体信息发布). Reading is open to
// the wall; changing either needs a signed-in operator (and the origin check create-screen.ts runs
// for every state-changing request), and every change is logged with the operator's name.
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../../shared/logger.ts';
import { DEFAULT_KPI_PATH, loadKpiSet, parseKpiSet } from '../../shared/kpis.ts';
import type { KpiSet, Notice } from '../../shared/schema.ts';
import { HttpError } from './errors.ts';
import { json, readJsonBody, type Route } from './http-kit.ts';
import type { OperatorAuth } from './operator-auth.ts';
import { writeJsonFileAtomic } from '../../shared/json-file.ts';
import { formatIssues } from '../../shared/validation.ts';

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

/** Notices shown at once, at most: a wall banner is not a news feed. */
export const MAX_NOTICES = 20;

const newNoticeSchema = z.strictObject({
  text: z.string().trim().min(1).max(500),
  textEn: z.string().trim().max(500).nullable().optional(),
  level: z.enum(['info', 'important', 'urgent']).default('info'),
  /** ms since the epoch; default now. */
  from: z.number().int().positive().optional(),
  /** ms since the epoch, or `minutes` from `from`; neither: until withdrawn. */
  until: z.number().int().positive().nullable().optional(),
  minutes: z.number().int().min(1).max(60 * 24 * 31).optional(),
});

export interface ContentOptions {
  kpis: KpiSource;
  /** The notices as the wall shows them now. */
  notices: () => readonly Notice[];
  /** Publishes the whole list (retained, so every screen and a restarted one get it) and resolves once the broker has it. */
  publishNotices: (notices: Notice[]) => Promise<void>;
  auth: OperatorAuth;
  /** Where PUT /api/kpis writes; without it the KPI set cannot be changed over HTTP (409). */
  kpiFile?: string;
  logger: Logger;
  now?: () => number;
}

export function contentRoutes(opts: ContentOptions): Route[] {
  const log = opts.logger.child({ module: 'content' });
  const now = opts.now ?? Date.now;
  // One change at a time: each starts from the list the previous one published.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };
  let published: { at: number; notices: Notice[] } | null = null;
  const currentNotices = (): Notice[] => {
    // Ours until the subscription echoes it back (or another screen server publishes a newer list).
    const seen = opts.notices();
    const base = published && published.at >= now() - 5000 ? published.notices : [...seen];
    const t = now();
    return base.filter((n) => n.until === null || n.until > t);
  };
  const publish = async (list: Notice[]): Promise<void> => {
    await opts.publishNotices(list);
    published = { at: now(), notices: list };
  };

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
    {
      method: 'PUT',
      path: '/api/kpis',
      async handle({ req, res }) {
        const session = opts.auth.require(req, null);
        const file = opts.kpiFile;
        if (!file) throw new HttpError('kpi-file-not-configured', 'this screen server has no KPI file (KPI_FILE) to write');
        let set: KpiSet;
        try {
          set = parseKpiSet(await readJsonBody(req, 256 * 1024), 'request body');
        } catch (err) {
          if (err instanceof HttpError) throw err;
          throw new HttpError('bad-request', (err as Error).message);
        }
        // Write beside, then rename: the wall never reads half a file.
        writeJsonFileAtomic(file, set, { indent: 2 });
        log.info({ operator: session.operator, id: set.id, file }, 'KPI set replaced by an operator');
        json(res, 200, { id: set.id, by: session.operator });
      },
    },
    { method: 'GET', path: '/api/notices', handle: ({ res }) => json(res, 200, { notices: opts.notices() }) },
    {
      method: 'POST',
      path: '/api/notices',
      async handle({ req, res }) {
        const session = opts.auth.require(req, null);
        const body = newNoticeSchema.safeParse(await readJsonBody(req, 8 * 1024));
        if (!body.success) throw new HttpError('bad-request', formatIssues(body.error));
        const b = body.data;
        const at = now();
        const from = b.from ?? at;
        const until = b.until ?? (b.minutes !== undefined ? from + b.minutes * 60_000 : null);
        if (until !== null && until <= from) throw new HttpError('bad-request', 'until: must be after from');
        const notice: Notice = { id: `n-${at.toString(36)}-${randomBytes(3).toString('hex')}`, text: b.text, textEn: b.textEn ?? null, level: b.level, from, until, by: session.operator, at };
        await serialized(async () => {
          const list = currentNotices();
          if (list.length >= MAX_NOTICES) throw new HttpError('too-many-notices', `at most ${MAX_NOTICES} notices at once: withdraw one first`);
          await publish([...list, notice]);
        });
        log.info({ operator: session.operator, id: notice.id, level: notice.level, until }, 'notice published');
        json(res, 201, { notice });
      },
    },
    {
      method: 'DELETE',
      path: /^\/api\/notices\/(?<id>[\w-]{1,64})$/,
      async handle({ req, res, params }) {
        const session = opts.auth.require(req, null);
        const id = params.id!;
        const list = await serialized(async () => {
          const before = currentNotices();
          const after = before.filter((n) => n.id !== id);
          if (after.length === before.length) throw new HttpError('not-found', `no current notice ${id}`);
          await publish(after);
          return after;
        });
        log.info({ operator: session.operator, id }, 'notice withdrawn');
        json(res, 200, { notices: list });
      },
    },
  ];
}
