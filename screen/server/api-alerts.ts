// The console's alert API. Reading: the open alerts (from the ingest's retained list), history
// search, one alert with its trail, audit pages, a CSV export and a chain check of the trail (from
// alerts.db opened read-only; the screen shares the ingest's data folder or volume). Acting:
// acknowledge, shelve, unshelve, each by a signed-in operator, forwarded to the ingest (which owns
// alert state) and answered with its verdict: 200, 404, 409, or 504 when it did not answer in time.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { z } from 'zod';
import { openAlertDb, type AlertDb } from '../../ingest/alerts/alert-db.ts';
import { alertCounts, auditRange, MAX_PAGE, searchAlerts, searchAudit } from '../../ingest/alerts/alert-queries.ts';
import { pickBucket } from './buckets.ts';
import { createChainVerifier } from '../../ingest/alerts/audit-chain.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ParkModel } from '../../shared/park-model.ts';
import { ALERT_RULE_IDS, ALERT_SEVERITIES, ALERT_STATES, AUDIT_ACTIONS, type Alert, type AlertReply } from '../../shared/schema.ts';
import { DEVICE_KINDS } from '../../shared/topics.ts';
import type { AlertActions, RefusedAttempt } from './alert-actions.ts';
import { BATCH_PATH } from './api-alert-batch.ts';
import { auditCsvHeader, auditCsvLine } from './audit-csv.ts';
import { HttpError } from './errors.ts';
import { json, readJsonBody, type Route, type RouteContext } from './http-kit.ts';
import type { OperatorAuth } from './operator-auth.ts';
import { formatIssues } from '../../shared/validation.ts';

export interface AlertsApiOptions {
  model: ParkModel;
  logger: Logger;
  /** alerts.db of the ingest; opened read-only on first use. Without it history answers 503. */
  alertsDbPath?: string;
  auth: OperatorAuth;
  actions: AlertActions;
}

export interface AlertsApi {
  routes: Route[];
  /** The ingest's newest list of open alerts. */
  setActive(alerts: readonly Alert[]): void;
  /** Which refused attempt a state-changing path is (for the audit trail), or null. */
  attemptOf(method: string, pathname: string): { attempted: RefusedAttempt; alertId: string | null } | null;
  close(): void;
}

const ID = '(?<id>[a-z0-9][a-z0-9-]{0,127})';
const ACTION_PATH = new RegExp(`^/api/alerts/${ID}/(?<verb>ack|shelve|unshelve)$`);
const list = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((s) => s.split(',').filter(Boolean)).pipe(z.array(z.enum(values)).max(values.length)).optional();
const ms = z.coerce.number().int().min(0).max(1e14).optional();

const alertSearchSchema = z.strictObject({
  q: z.string().max(100).optional(),
  from: ms,
  to: ms,
  severity: list(ALERT_SEVERITIES),
  state: list(ALERT_STATES),
  kind: list(DEVICE_KINDS),
  zone: z.string().max(200).transform((s) => s.split(',').filter(Boolean)).optional(),
  rule: list(ALERT_RULE_IDS),
  device: z.string().max(64).optional(),
  beforeOpenedAt: ms,
  beforeId: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
});
const auditSearchSchema = z.strictObject({
  from: ms,
  to: ms,
  actor: z.string().max(64).optional(),
  alertId: z.string().max(128).optional(),
  action: list(AUDIT_ACTIONS),
  ok: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  beforeSeq: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
});
const exportSchema = z.strictObject({ from: ms, to: ms });
const countsSchema = z.strictObject({ from: z.coerce.number().int().min(0).max(1e14), to: z.coerce.number().int().min(0).max(1e14), maxPoints: z.coerce.number().int().min(10).max(1000).optional() })
  .refine((q) => q.to > q.from, 'to must be after from')
  .refine((q) => q.to - q.from <= 366 * 86_400_000, 'range is a year at most');
const DEVICE_ALERTS_PATH = /^\/api\/devices\/(?<id>[a-z0-9][a-z0-9-]{0,63})\/alerts$/;

/** What the wall's device view shows of an alert: no operator notes (the wall is not signed in). */
function wallAlert(a: Alert): Record<string, unknown> {
  return {
    id: a.id, rule: a.rule, severity: a.severity, state: a.state, title: a.title, titleEn: a.titleEn, openedAt: a.openedAt, clearedAt: a.clearedAt, count: a.count,
    ack: a.ack ? { by: a.ack.by, at: a.ack.at } : null, shelvedUntil: a.shelvedUntil, shelf: a.shelf ? { by: a.shelf.by, at: a.shelf.at } : null,
  };
}
const note = z.string().trim().min(1, 'a note is required').max(500);
const ackBody = z.strictObject({ note });
const shelveBody = z.strictObject({ note, minutes: z.number().int().min(1).max(7 * 24 * 60) });
const unshelveBody = z.strictObject({ note: z.string().trim().max(500).default('') });

/** Refusal codes that are not a conflict with the alert's state. */
const REPLY_STATUS: Record<string, number> = { 'alert-not-found': 404, 'invalid-action': 400, 'store-unavailable': 503, 'screen-shutting-down': 503 };

function query<S extends z.ZodType>(schema: S, url: URL): z.output<S> {
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) throw new HttpError('bad-query', formatIssues(parsed.error));
  return parsed.data;
}

export function createAlertsApi(opts: AlertsApiOptions): AlertsApi {
  const log = opts.logger.child({ module: 'api-alerts' });
  const { auth, actions, model } = opts;
  let active: readonly Alert[] = [];
  let db: AlertDb | null = null;

  function store(): AlertDb {
    if (db) return db;
    if (!opts.alertsDbPath) throw new HttpError('alerts-store-unavailable', 'no alert database is configured');
    try {
      db = openAlertDb(opts.alertsDbPath, { readOnly: true });
      return db;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'alert database not readable (yet)');
      throw new HttpError('alerts-store-unavailable', 'the alert database is not available yet; is the ingest running?');
    }
  }

  async function act({ req, res, params }: RouteContext, verb: 'ack' | 'shelve' | 'unshelve'): Promise<void> {
    const alertId = params.id!;
    const session = auth.require(req, { attempted: verb, alertId });
    const raw = await readJsonBody(req, 4096);
    const schema = verb === 'ack' ? ackBody : verb === 'shelve' ? shelveBody : unshelveBody;
    const body = schema.safeParse(raw);
    if (!body.success) throw new HttpError('bad-request', formatIssues(body.error));
    const by = session.operator;
    let reply: AlertReply;
    if (verb === 'ack') reply = await actions.send({ action: 'ack', alertId, by, note: (body.data as z.output<typeof ackBody>).note });
    else if (verb === 'shelve') {
      const b = body.data as z.output<typeof shelveBody>;
      reply = await actions.send({ action: 'shelve', alertId, by, note: b.note, until: Date.now() + b.minutes * 60_000 });
    } else reply = await actions.send({ action: 'unshelve', alertId, by, note: (body.data as z.output<typeof unshelveBody>).note });
    if (reply.ok) return json(res, 200, { alert: reply.alert });
    json(res, REPLY_STATUS[reply.code ?? ''] ?? 409, { error: reply.code, alert: reply.alert });
  }

  async function writeOrClose(res: ServerResponse, chunk: string): Promise<boolean> {
    if (res.destroyed) return false;
    if (res.write(chunk)) return true;
    await Promise.race([once(res, 'drain'), once(res, 'close')]);
    return !res.destroyed;
  }

  const routes: Route[] = [
    {
      method: 'GET',
      path: '/api/alerts',
      handle({ res, url }) {
        const q = query(alertSearchSchema, url);
        const match = (v: string, set?: readonly string[]): boolean => !set || set.length === 0 || set.includes(v);
        const alerts = active.filter((a) => match(a.severity, q.severity) && match(a.state, q.state) && match(a.kind, q.kind) && match(a.zone, q.zone) && match(a.rule, q.rule));
        json(res, 200, { alerts });
      },
    },
    {
      method: 'GET',
      path: '/api/alerts/history',
      handle({ req, res, url }) {
        auth.require(req, null);
        const q = query(alertSearchSchema, url);
        const before = q.beforeOpenedAt !== undefined ? { openedAt: q.beforeOpenedAt, id: q.beforeId ?? '\uffff' } : undefined;
        json(res, 200, { alerts: searchAlerts(store(), { ...q, before }) });
      },
    },
    {
      // The device view (wall and console): the device's open alerts, then its latest closed ones.
      method: 'GET',
      path: DEVICE_ALERTS_PATH,
      handle({ res, params }) {
        const id = params.id!;
        if (!model.deviceById.has(id)) return json(res, 404, { error: 'device-not-found' });
        const open = active.filter((a) => a.device === id);
        let past: Alert[] = [];
        try {
          past = searchAlerts(store(), { device: id, limit: 10 }).filter((a) => !open.some((o) => o.id === a.id));
        } catch (err) {
          if (!(err instanceof HttpError)) throw err; // no alert database yet: the open ones still show
        }
        json(res, 200, { alerts: [...open, ...past].slice(0, 10).map(wallAlert) });
      },
    },
    {
      method: 'GET',
      path: '/api/alerts/counts',
      handle({ req, res, url }) {
        auth.require(req, null);
        const q = query(countsSchema, url);
        const bucketMs = pickBucket(q.from, q.to, q.maxPoints);
        json(res, 200, { from: q.from, to: q.to, bucketMs, counts: alertCounts(store(), { from: q.from, to: q.to, bucketMs }) });
      },
    },
    {
      method: 'GET',
      path: '/api/audit',
      handle({ req, res, url }) {
        auth.require(req, null);
        const s = store();
        const records = searchAudit(s, query(auditSearchSchema, url));
        // Each record's alert by title and device (an operator reads those, not ids).
        const alerts: Record<string, { title: string; titleEn: string; device: string }> = {};
        for (const r of records) {
          if (!r.alertId || alerts[r.alertId]) continue;
          const a = active.find((x) => x.id === r.alertId) ?? s.alert(r.alertId);
          if (a) alerts[a.id] = { title: a.title, titleEn: a.titleEn, device: a.device };
        }
        json(res, 200, { records, alerts });
      },
    },
    {
      method: 'GET',
      path: '/api/audit.csv',
      async handle({ req, res, url }) {
        const session = auth.require(req, null);
        const range = query(exportSchema, url);
        const s = store();
        log.info({ operator: session.operator, ...range }, 'audit trail exported');
        res.writeHead(200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="parkpulse-audit-${new Date().toISOString().slice(0, 10)}.csv"`,
          'cache-control': 'no-store',
        });
        // A BOM so spreadsheet programs read the Chinese text as UTF-8.
        if (!(await writeOrClose(res, `\uFEFF${auditCsvHeader()}`))) return;
        for (let after = 0; ; ) {
          const rows = auditRange(s, after, 1000, range);
          if (rows.length > 0 && !(await writeOrClose(res, rows.map((r) => auditCsvLine(r, model.timezone)).join('')))) return;
          if (rows.length < 1000) break;
          after = rows.at(-1)!.seq;
          await yieldLoop(); // a long trail never holds the loop that serves the wall
        }
        res.end();
      },
    },
    {
      method: 'GET',
      path: '/api/audit/verify',
      async handle({ req, res }) {
        auth.require(req, null);
        const s = store();
        const v = createChainVerifier();
        for (let after = 0; ; ) {
          const rows = s.auditChunk(after, 2000);
          let intact = true;
          for (const r of rows) if (!(intact = v.push(r))) break;
          if (!intact || rows.length < 2000) break;
          after = rows.at(-1)!.seq;
          await yieldLoop();
        }
        json(res, 200, v.result());
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^/api/alerts/${ID}$`),
      handle({ req, res, params }) {
        auth.require(req, null);
        const s = store();
        const alert = active.find((a) => a.id === params.id) ?? s.alert(params.id!);
        if (!alert) return json(res, 404, { error: 'alert-not-found' });
        json(res, 200, { alert, audit: searchAudit(s, { alertId: alert.id, limit: MAX_PAGE }).reverse() });
      },
    },
    { method: 'POST', path: ACTION_PATH, handle: (ctx) => act(ctx, ctx.params.verb as 'ack' | 'shelve' | 'unshelve') },
  ];

  return {
    routes,
    setActive(alerts) {
      active = alerts;
    },
    attemptOf(method, pathname) {
      if (method === 'POST' && pathname === '/api/session') return { attempted: 'sign-in', alertId: null };
      const b = BATCH_PATH.exec(pathname); // first: its path also fits ACTION_PATH
      if (b) return { attempted: b.groups!.verb as RefusedAttempt, alertId: null };
      const m = ACTION_PATH.exec(pathname);
      return m ? { attempted: m.groups!.verb as RefusedAttempt, alertId: m.groups!.id! } : null;
    },
    close() {
      db?.close();
      db = null;
    },
  };
}
