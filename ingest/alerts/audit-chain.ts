// The audit trail's hash chain. Each record's hash is sha256 over the previous record's hash and
// the record's canonical form, so editing, removing, inserting or reordering any record breaks
// every hash from there on. (Cutting off the newest records leaves a valid shorter chain: the head
// is logged at every start and stop so it can be compared with an outside copy.)
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../shared/schema.ts';

/** prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditBody = Omit<AuditRecord, 'prevHash' | 'hash'>;

/**
 * The canonical form: the fields in a fixed order as a JSON array, detail with sorted keys. JSON
 * escapes every string, so no two different records share a form.
 */
export function canonicalAudit(r: AuditBody): string {
  const detail = Object.keys(r.detail)
    .sort()
    .map((k) => [k, r.detail[k] ?? null]);
  return JSON.stringify([r.seq, r.at, r.actor, r.action, r.alertId, r.fromState, r.toState, r.ok, r.code, r.note, detail, r.requestId]);
}

export function chainHash(prevHash: string, r: AuditBody): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalAudit(r)).digest('hex');
}

export function sealAudit(prevHash: string, r: AuditBody): AuditRecord {
  return { ...r, prevHash, hash: chainHash(prevHash, r) };
}

export type ChainVerdict =
  | { ok: true; records: number; head: { seq: number; hash: string } | null }
  | { ok: false; records: number; brokenAt: number; reason: 'hash-mismatch' | 'prev-hash-mismatch' | 'seq-gap' };

/**
 * Checks a trail in seq order, chunk by chunk (so a long trail never needs to sit in memory):
 * feed records with `push`, read the verdict with `result`. Stops at the first broken record.
 */
export function createChainVerifier(): { push(r: AuditRecord): boolean; result(): ChainVerdict } {
  let prev = GENESIS_HASH;
  let lastSeq = 0;
  let count = 0;
  let broken: ChainVerdict | null = null;
  return {
    push(r) {
      if (broken) return false;
      count++;
      if (r.seq !== lastSeq + 1) broken = { ok: false, records: count, brokenAt: r.seq, reason: 'seq-gap' };
      else if (r.prevHash !== prev) broken = { ok: false, records: count, brokenAt: r.seq, reason: 'prev-hash-mismatch' };
      else if (chainHash(prev, r) !== r.hash) broken = { ok: false, records: count, brokenAt: r.seq, reason: 'hash-mismatch' };
      prev = r.hash;
      lastSeq = r.seq;
      return broken === null;
    },
    result() {
      return broken ?? { ok: true, records: count, head: count > 0 ? { seq: lastSeq, hash: prev } : null };
    },
  };
}

export function verifyChain(records: Iterable<AuditRecord>): ChainVerdict {
  const v = createChainVerifier();
  for (const r of records) if (!v.push(r)) break;
  return v.result();
}
