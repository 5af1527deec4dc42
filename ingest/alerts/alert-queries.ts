// The read side of alerts.db, for the console: alert history search and audit trail pages. Every
// query is bounded (a page of at most 500 rows, keyset-paged), so no request holds the loop long.
import type { Alert, AuditRecord } from '../../shared/schema.ts';
import { alertFromBody, auditFromRow, type AlertDb, type AuditRow } from './alert-db.ts';

export const MAX_PAGE = 500;

export interface AlertSearch {
  /** Text in the title, device, enterprise, rule, zone, or an operator's name or note. */
  q?: string;
  /** Opened within [from, to), ms. */
  from?: number;
  to?: number;
  severity?: readonly string[];
  state?: readonly string[];
  kind?: readonly string[];
  zone?: readonly string[];
  rule?: readonly string[];
  device?: string;
  /** Keyset paging: alerts opened before this (ms), or at it with a smaller id. */
  before?: { openedAt: number; id: string };
  limit?: number;
}

export interface AuditSearch {
  from?: number;
  to?: number;
  actor?: string;
  alertId?: string;
  action?: readonly string[];
  /** Refused attempts only (false), or only what succeeded (true). */
  ok?: boolean;
  /** Keyset paging, newest first: records with seq below this. */
  beforeSeq?: number;
  limit?: number;
}

type Where = { sql: string[]; args: (string | number)[] };

function inList(w: Where, column: string, values: readonly string[] | undefined): void {
  if (!values || values.length === 0) return;
  w.sql.push(`${column} IN (${values.map(() => '?').join(',')})`);
  w.args.push(...values);
}

const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function searchAlerts(db: AlertDb, s: AlertSearch): Alert[] {
  const w: Where = { sql: [], args: [] };
  if (s.q) {
    w.sql.push("search LIKE ? ESCAPE '\\'");
    w.args.push(`%${likeEscape(s.q.toLowerCase())}%`);
  }
  if (s.from !== undefined) (w.sql.push('opened_at >= ?'), w.args.push(s.from));
  if (s.to !== undefined) (w.sql.push('opened_at < ?'), w.args.push(s.to));
  inList(w, 'severity', s.severity);
  inList(w, 'state', s.state);
  inList(w, 'kind', s.kind);
  inList(w, 'zone', s.zone);
  inList(w, 'rule', s.rule);
  if (s.device) (w.sql.push('device = ?'), w.args.push(s.device));
  if (s.before) (w.sql.push('(opened_at < ? OR (opened_at = ? AND id < ?))'), w.args.push(s.before.openedAt, s.before.openedAt, s.before.id));
  const limit = Math.min(Math.max(1, s.limit ?? 100), MAX_PAGE);
  const sql = `SELECT body FROM alerts ${w.sql.length ? `WHERE ${w.sql.join(' AND ')}` : ''} ORDER BY opened_at DESC, id DESC LIMIT ${limit}`;
  return (db.db.prepare(sql).all(...w.args) as { body: string }[]).map((r) => alertFromBody(r.body));
}

export function searchAudit(db: AlertDb, s: AuditSearch): AuditRecord[] {
  const w: Where = { sql: [], args: [] };
  if (s.from !== undefined) (w.sql.push('at >= ?'), w.args.push(s.from));
  if (s.to !== undefined) (w.sql.push('at < ?'), w.args.push(s.to));
  if (s.actor) (w.sql.push('actor = ?'), w.args.push(s.actor));
  if (s.alertId) (w.sql.push('alert_id = ?'), w.args.push(s.alertId));
  inList(w, 'action', s.action);
  if (s.ok !== undefined) (w.sql.push('ok = ?'), w.args.push(s.ok ? 1 : 0));
  if (s.beforeSeq !== undefined) (w.sql.push('seq < ?'), w.args.push(s.beforeSeq));
  const limit = Math.min(Math.max(1, s.limit ?? 100), MAX_PAGE);
  const sql = `SELECT * FROM audit ${w.sql.length ? `WHERE ${w.sql.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit}`;
  return (db.db.prepare(sql).all(...w.args) as AuditRow[]).map(auditFromRow);
}

/** The trail in seq order from `afterSeq`, filtered by time: one chunk of an export. */
export function auditRange(db: AlertDb, afterSeq: number, limit: number, range: { from?: number; to?: number } = {}): AuditRecord[] {
  const w: Where = { sql: ['seq > ?'], args: [afterSeq] };
  if (range.from !== undefined) (w.sql.push('at >= ?'), w.args.push(range.from));
  if (range.to !== undefined) (w.sql.push('at < ?'), w.args.push(range.to));
  const sql = `SELECT * FROM audit WHERE ${w.sql.join(' AND ')} ORDER BY seq LIMIT ${Math.min(Math.max(1, limit), 5000)}`;
  return (db.db.prepare(sql).all(...w.args) as AuditRow[]).map(auditFromRow);
}

export interface AlertCount {
  /** Bucket start, ms. */
  t: number;
  severity: string;
  n: number;
}

/** Alerts opened per bucket and severity in [from, to) (the console's alert counts over time). */
export function alertCounts(db: AlertDb, q: { from: number; to: number; bucketMs: number }): AlertCount[] {
  const b = Math.max(1, Math.round(q.bucketMs));
  return db.db
    .prepare(`SELECT (opened_at / ${b}) * ${b} AS t, severity, COUNT(*) AS n FROM alerts WHERE opened_at >= ? AND opened_at < ? GROUP BY 1, 2 ORDER BY 1`)
    .all(Math.floor(q.from), Math.ceil(q.to)) as AlertCount[];
}
