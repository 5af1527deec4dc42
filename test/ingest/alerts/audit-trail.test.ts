// The audit trail in its real SQLite file: append-only at the database, and a hash chain that
// gives away an edited, removed or re-hashed record even when someone goes around the database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openAlertDb, verifyTrail, type NewAudit } from '../../../ingest/alerts/alert-db.ts';
import { chainHash, GENESIS_HASH } from '../../../ingest/alerts/audit-chain.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function trailFile(records = 6): string {
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-audit-'));
  dirs.push(dir);
  const path = join(dir, 'alerts.db');
  const db = openAlertDb(path);
  const rec = (i: number): NewAudit => ({
    at: 1_700_000_000_000 + i, actor: i % 2 ? '张三' : 'system', action: i % 2 ? 'ack' : 'raise', alertId: `a-${i}`, fromState: i % 2 ? 'active' : null,
    toState: i % 2 ? 'acknowledged' : 'active', ok: true, code: null, note: i % 2 ? `note ${i}` : null, detail: { n: i, device: 'cam-001' }, requestId: null,
  });
  // two commits: the chain continues across transactions (and across opens)
  db.commit([], [rec(1), rec(2), rec(3)]);
  db.close();
  const again = openAlertDb(path);
  again.commit([], Array.from({ length: records - 3 }, (_, i) => rec(i + 4)));
  again.close();
  return path;
}

/** A trail file edited behind the database's back: its append-only `triggers` dropped, then `sql` run. */
function tamperedTrail(triggers: string[], sql: string): string {
  const path = trailFile();
  const raw = new Database(path);
  raw.exec(triggers.map((t) => `DROP TRIGGER ${t}`).join('; '));
  raw.prepare(sql).run();
  raw.close();
  return path;
}

describe('audit trail', () => {
  it('chains every record to the previous one, across transactions and reopenings', () => {
    const db = openAlertDb(trailFile(), { readOnly: true });
    const rows = db.auditChunk(0, 100);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    expect(verifyTrail(db, 2)).toEqual({ ok: true, records: 6, head: { seq: 6, hash: rows[5]!.hash } });
    db.close();
  });

  it('refuses UPDATE and DELETE at the database', () => {
    const db = new Database(trailFile());
    expect(() => db.prepare("UPDATE audit SET note = 'x' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit WHERE seq = 6').run()).toThrow(/append-only/);
    db.close();
  });

  it('detects a record edited behind the database’s back', () => {
    const db = openAlertDb(tamperedTrail(['audit_no_update'], "UPDATE audit SET note = '无异常' WHERE seq = 4"), { readOnly: true });
    expect(verifyTrail(db)).toMatchObject({ ok: false, brokenAt: 4, reason: 'hash-mismatch' });
    db.close();
  });

  it('detects a removed record, and a re-hashed edit from the next record on', () => {
    let db = openAlertDb(tamperedTrail(['audit_no_delete', 'audit_no_update'], 'DELETE FROM audit WHERE seq = 3'), { readOnly: true });
    expect(verifyTrail(db)).toMatchObject({ ok: false, brokenAt: 4, reason: 'seq-gap' });
    db.close();

    // A cleverer forger fixes the edited record's own hash; the next record still points at the old one.
    const path2 = trailFile();
    const rw = new Database(path2);
    rw.exec('DROP TRIGGER audit_no_update');
    rw.prepare("UPDATE audit SET actor = 'someone-else' WHERE seq = 2").run();
    db = openAlertDb(path2, { readOnly: true });
    const forged = db.auditChunk(1, 1)[0]!;
    rw.prepare('UPDATE audit SET hash = ? WHERE seq = 2').run(chainHash(forged.prevHash, forged));
    rw.close();
    expect(verifyTrail(db)).toMatchObject({ ok: false, brokenAt: 3, reason: 'prev-hash-mismatch' });
    db.close();
  });

  it('keeps one open alert per key in the database itself', () => {
    const db = openAlertDb(trailFile());
    const a = { id: 'x-1', key: 'camera-offline:cam-001', rule: 'camera-offline', severity: 'major', state: 'active', device: 'cam-001', kind: 'camera', zone: 'mfg', enterprise: null, title: 't', titleEn: 't', detail: {}, openedAt: 1, updatedAt: 1, lastSeenAt: 1, count: 1, ack: null, shelvedUntil: null, shelf: null, clearedAt: null, clearReason: null, escalations: 0, escalatedAt: null, recoveredAt: null, flips: 0, normalSince: null } as const;
    db.commit([a], []);
    expect(() => db.commit([{ ...a, id: 'x-2' }], [])).toThrow(/UNIQUE/);
    db.commit([{ ...a, state: 'cleared', clearedAt: 2 }, { ...a, id: 'x-2' }], []);
    expect(db.openAlerts().map((x) => x.id)).toEqual(['x-2']);
    db.close();
  });
});
