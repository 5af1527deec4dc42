// What the alert board shows, in which order: pure, so the rules are one readable place.
//
// - Order: unacknowledged first (active, flapping; one whose condition is already back to normal
//   after them), then acknowledged, then shelved; within each, by severity, then newest first
//   (by when it opened, the time each row shows).
// - New: an unacknowledged critical or major alert that appeared while the wall was watching is
//   pinned at the top, newest first, for its first NEW_MS (or until acknowledged or shelved), so
//   it is visible at once however many alerts are open; the rest fill the remaining rows a page at
//   a time, and the board says how many more are open, by severity.
import type { Alert, AlertSeverity } from '../../../../shared/schema.ts';

export const SEVERITY_RANK: Record<AlertSeverity, number> = { critical: 0, major: 1, minor: 2, warning: 3 };
/** ms a new critical or major alert stays pinned at the top of the board. */
export const NEW_MS = 60_000;

export function isUnacknowledged(a: Alert): boolean {
  return a.state === 'active' || a.state === 'flapping';
}

/** Acknowledged, shelved, or its condition already back to normal: shown without urgency. */
export function isSettled(a: Alert): boolean {
  return !isUnacknowledged(a) || a.normalSince !== null;
}

function stateRank(a: Alert): number {
  if (isUnacknowledged(a)) return a.normalSince === null ? 0 : 1;
  return a.state === 'acknowledged' ? 2 : 3;
}

export function compareAlerts(a: Alert, b: Alert): number {
  return stateRank(a) - stateRank(b) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.openedAt - a.openedAt || (a.id < b.id ? -1 : 1);
}

export interface BoardLayout {
  /** Rows on screen, top to bottom. */
  rows: { alert: Alert; pinned: boolean }[];
  /** Open alerts not on screen now, by severity. */
  more: Record<AlertSeverity, number>;
  moreTotal: number;
  /** Page of the unpinned rows (1-based) and how many there are. */
  page: number;
  pages: number;
}

/**
 * `firstSeen`: browser time each alert was first seen (0 for those already open when the wall
 * started: history, not news). `page`: the page of unpinned rows to show (wraps).
 */
export function layoutBoard(open: readonly Alert[], firstSeen: ReadonlyMap<string, number>, now: number, slots: number, page: number): BoardLayout {
  const isNew = (a: Alert): boolean => isUnacknowledged(a) && a.normalSince === null && (a.severity === 'critical' || a.severity === 'major') && now - (firstSeen.get(a.id) ?? 0) < NEW_MS;
  const pinned = open.filter(isNew).sort((a, b) => b.openedAt - a.openedAt || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  const rest = open.filter((a) => !isNew(a)).sort(compareAlerts);
  const lead = pinned.slice(0, slots);
  const free = slots - lead.length;
  const pages = free > 0 ? Math.max(1, Math.ceil(rest.length / free)) : rest.length > 0 ? 1 : 0;
  const p = pages > 0 ? ((page % pages) + pages) % pages : 0;
  const paged = free > 0 ? rest.slice(p * free, p * free + free) : [];
  const rows = [...lead.map((alert) => ({ alert, pinned: true })), ...paged.map((alert) => ({ alert, pinned: false }))];
  const shown = new Set(rows.map((r) => r.alert.id));
  const more: Record<AlertSeverity, number> = { critical: 0, major: 0, minor: 0, warning: 0 };
  for (const a of open) if (!shown.has(a.id)) more[a.severity]++;
  return { rows, more, moreTotal: open.length - shown.size, page: p + 1, pages };
}
