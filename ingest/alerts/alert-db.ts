// Alert state and the audit trail in their own SQLite file (<data-dir>/alerts.db), apart from the
// telemetry store: alert writes are rare and small, and must survive whichever telemetry store is
// configured. The ingest opens it read-write (one small transaction per change, on its own loop:
// a commit is about a millisecond, see README), the screen server read-only for history and export.
//
// Guarantees kept by the database itself, not only by the code: one open alert per key (a partial
// unique index), and an append-only trail (triggers refuse UPDATE and DELETE). The hash chain
// (audit-chain.ts) detects what goes around the triggers.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { alertSchema, type Alert, type AuditRecord } from '../../shared/schema.ts';
import { createChainVerifier, GENESIS_HASH, sealAudit, type AuditBody, type ChainVerdict } from './audit-chain.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  state TEXT NOT NULL,
  device TEXT NOT NULL,
  kind TEXT NOT NULL,
  zone TEXT NOT NULL,
  enterprise TEXT,
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  cleared_at INTEGER,
  search TEXT NOT NULL,
  body TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_open_per_key ON alerts(key) WHERE state <> 'cleared';
CREATE INDEX IF NOT EXISTS alerts_opened ON alerts(opened_at);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  alert_id TEXT,
  from_state TEXT,
  to_state TEXT,
  ok INTEGER NOT NULL,
  code TEXT,
  note TEXT,
  detail TEXT NOT NULL,
  request_id TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_alert ON audit(alert_id);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE INDEX IF NOT EXISTS audit_request ON audit(request_id) WHERE request_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
`;

/** An audit record before the database gives it its place in the chain. */
export type NewAudit = Omit<AuditBody, 'seq'>;

export interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  alert_id: string | null;
  from_state: string | null;
  to_state: string | null;
  ok: number;
  code: string | null;
  note: string | null;
  detail: string;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export function auditFromRow(r: AuditRow): AuditRecord {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action as AuditRecord['action'],
    alertId: r.alert_id,
    fromState: r.from_state as AuditRecord['fromState'],
    toState: r.to_state as AuditRecord['toState'],
    ok: r.ok === 1,
    code: r.code,
    note: r.note,
    detail: JSON.parse(r.detail) as AuditRecord['detail'],
    requestId: r.request_id,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Parses a stored alert body; older rows gain the fields added since (schema defaults). */
export function alertFromBody(body: string): Alert {
  return alertSchema.parse(JSON.parse(body));
}

function searchText(a: Alert): string {
  return [a.title, a.titleEn, a.device, a.rule, a.zone, a.enterprise ?? '', a.ack?.by ?? '', a.ack?.note ?? '', a.shelf?.by ?? '', a.shelf?.note ?? ''].join(' ').toLowerCase();
}

export interface AlertDb {
  readonly path: string;
  /** Every alert not cleared. */
  openAlerts(): Alert[];
  /** Upserts the alerts and appends the audit records in one transaction; returns the sealed records. */
  commit(alerts: readonly Alert[], audit: readonly NewAudit[]): AuditRecord[];
  /** The newest audit record's seq and hash (null for an empty trail). */
  head(): { seq: number; hash: string } | null;
  /** Audit records of one operator request (to answer a redelivered request without applying it twice). */
  auditByRequest(requestId: string): AuditRecord[];
  alert(id: string): Alert | null;
  /** Audit records in seq order after `afterSeq`, at most `limit` (chunked reads for verify and export). */
  auditChunk(afterSeq: number, limit: number): AuditRecord[];
  /** Small facts the engine keeps between runs (JSON values); null when absent. */
  getMeta(key: string): unknown;
  /** Sets (or with null removes) a fact. */
  setMeta(key: string, value: unknown): void;
  readonly db: Database.Database;
  close(): void;
}

export interface OpenAlertDbOptions {
  /** Screen server: read only, the file must exist (the ingest creates it). */
  readOnly?: boolean;
}

export function openAlertDb(path: string, opts: OpenAlertDbOptions = {}): AlertDb {
  let db: Database.Database;
  if (opts.readOnly) {
    // query_only rather than `readonly`: a read-only connection cannot create the WAL index file
    // (-shm) if the writer is not running, and would then fail to open.
    db = new Database(path, { fileMustExist: true });
    db.pragma('query_only = ON');
    db.pragma('busy_timeout = 2000');
  } else {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    // Every acknowledgement and state change is fsynced before it is published or answered.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  }

  const stmts = opts.readOnly
    ? null
    : {
        upsert: db.prepare(
          `INSERT INTO alerts (id, key, rule, severity, state, device, kind, zone, enterprise, opened_at, updated_at, cleared_at, search, body)
           VALUES (@id, @key, @rule, @severity, @state, @device, @kind, @zone, @enterprise, @openedAt, @updatedAt, @clearedAt, @search, @body)
           ON CONFLICT(id) DO UPDATE SET state = excluded.state, severity = excluded.severity, updated_at = excluded.updated_at,
             cleared_at = excluded.cleared_at, search = excluded.search, body = excluded.body`,
        ),
        append: db.prepare(
          `INSERT INTO audit (seq, at, actor, action, alert_id, from_state, to_state, ok, code, note, detail, request_id, prev_hash, hash)
           VALUES (@seq, @at, @actor, @action, @alertId, @fromState, @toState, @ok, @code, @note, @detail, @requestId, @prevHash, @hash)`,
        ),
      };
  const headStmt = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
  const chunkStmt = db.prepare<[number, number], AuditRow>('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?');
  const byRequestStmt = db.prepare<[string], AuditRow>('SELECT * FROM audit WHERE request_id = ? ORDER BY seq');
  const openStmt = db.prepare<[], { body: string }>(`SELECT body FROM alerts WHERE state <> 'cleared' ORDER BY opened_at`);
  const alertStmt = db.prepare<[string], { body: string }>('SELECT body FROM alerts WHERE id = ?');

  const commitTx = db.transaction((alerts: readonly Alert[], audit: readonly NewAudit[]): AuditRecord[] => {
    for (const a of alerts) {
      stmts!.upsert.run({
        id: a.id, key: a.key, rule: a.rule, severity: a.severity, state: a.state, device: a.device, kind: a.kind, zone: a.zone,
        enterprise: a.enterprise, openedAt: a.openedAt, updatedAt: a.updatedAt, clearedAt: a.clearedAt, search: searchText(a), body: JSON.stringify(a),
      });
    }
    const sealed: AuditRecord[] = [];
    // Read inside the (IMMEDIATE) transaction: the shards and the aggregator of a sharded park
    // append to one trail, so the head may have moved since this process last wrote.
    let prev = headStmt.get() ?? null;
    for (const body of audit) {
      const rec = sealAudit(prev?.hash ?? GENESIS_HASH, { ...body, seq: (prev?.seq ?? 0) + 1 });
      stmts!.append.run({ ...rec, ok: rec.ok ? 1 : 0, detail: JSON.stringify(rec.detail) });
      sealed.push(rec);
      prev = { seq: rec.seq, hash: rec.hash };
    }
    return sealed;
  });

  return {
    path,
    db,
    openAlerts: () => openStmt.all().map((r) => alertFromBody(r.body)),
    commit(alerts, audit) {
      if (!stmts) throw new Error('alert database opened read-only');
      if (alerts.length === 0 && audit.length === 0) return [];
      return commitTx.immediate(alerts, audit);
    },
    // Read from the file: in a sharded park other processes append to the same trail.
    head: () => headStmt.get() ?? null,
    auditByRequest: (requestId) => byRequestStmt.all(requestId).map(auditFromRow),
    alert(id) {
      const row = alertStmt.get(id);
      return row ? alertFromBody(row.body) : null;
    },
    auditChunk: (afterSeq, limit) => chunkStmt.all(afterSeq, limit).map(auditFromRow),
    getMeta(key) {
      const row = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key);
      return row ? (JSON.parse(row.value) as unknown) : null;
    },
    setMeta(key, value) {
      if (!stmts) throw new Error('alert database opened read-only');
      if (value === null) db.prepare('DELETE FROM meta WHERE key = ?').run(key);
      else db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
    },
    close() {
      if (!opts.readOnly) db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}

/** Checks the whole trail's hash chain, a chunk at a time. */
export function verifyTrail(db: AlertDb, chunk = 2000): ChainVerdict {
  const v = createChainVerifier();
  let after = 0;
  for (;;) {
    const rows = db.auditChunk(after, chunk);
    for (const r of rows) if (!v.push(r)) return v.result();
    if (rows.length < chunk) return v.result();
    after = rows.at(-1)!.seq;
  }
}
