// The audit trail as CSV (RFC 4180): one line per record, with both hashes so an export can be
// checked against the chain. Text an operator typed is guarded against spreadsheet formula
// injection: a cell starting with = + - @ (or a tab/CR) gets a leading apostrophe.
import type { AuditRecord } from '../../shared/schema.ts';
import { zonedParts } from '../../shared/time.ts';

const COLUMNS = ['seq', 'time_local', 'at_ms', 'actor', 'action', 'alert_id', 'from_state', 'to_state', 'ok', 'code', 'note', 'detail', 'request_id', 'prev_hash', 'hash'];

function cell(v: string | number | boolean | null, guard = false): string {
  if (v === null) return '';
  let s = String(v);
  if (guard && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function localTime(ms: number, timeZone: string): string {
  const p = zonedParts(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${pad(ms % 1000, 3)}`;
}

export function auditCsvHeader(): string {
  return `${COLUMNS.join(',')}\r\n`;
}

export function auditCsvLine(r: AuditRecord, timeZone: string): string {
  return `${[
    cell(r.seq), cell(localTime(r.at, timeZone)), cell(r.at), cell(r.actor, true), cell(r.action), cell(r.alertId), cell(r.fromState), cell(r.toState),
    cell(r.ok), cell(r.code), cell(r.note, true), cell(JSON.stringify(r.detail), true), cell(r.requestId), cell(r.prevHash), cell(r.hash),
  ].join(',')}\r\n`;
}
