// What the alert board shows, in which order: pure, so the rules are one readable place.
//
// - Order: unacknowledged first (active, flapping; one whose condition is already back to normal
//   after them), then acknowledged, then shelved; within each, by severity, then newest first
//   (by when it opened, the time each row shows).
// - New: an unacknowledged critical or major alert that appeared while the wall was watching is
//   pinned at the top, newest first, for its first NEW_MS (or until acknowledged or shelved), so
//   it is visible at once however many alerts are open.
// - The other unacknowledged alerts take the remaining rows, a page at a time when they do not
//   fit; settled alerts (acknowledged, shelved, recovered) get only the rows they leave. The board
//   says how many more are open, by severity.
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
 * started: history, never pinned). `page`: the page of unpinned rows to show (wraps).
 */
export function layoutBoard(open: readonly Alert[], firstSeen: ReadonlyMap<string, number>, now: number, slots: number, page: number): BoardLayout {
  const isNew = (a: Alert): boolean => {
    const seen = firstSeen.get(a.id) ?? 0; // 0: open before the wall started watching
    return seen > 0 && !isSettled(a) && (a.severity === 'critical' || a.severity === 'major') && now - seen < NEW_MS;
  };
  const pinned = open.filter(isNew).sort((a, b) => b.openedAt - a.openedAt || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  const rest = open.filter((a) => !isNew(a)).sort(compareAlerts);
  // Unacknowledged alerts take the rows before any settled one: if they do not fit, they page
  // (every one is seen in turn) and the settled are only counted; if they fit, the settled page
  // through the rows left.
  const urgent = rest.filter((a) => !isSettled(a));
  const settled = rest.filter(isSettled);
  const lead = pinned.slice(0, slots);
  let free = slots - lead.length;
  let fixed: Alert[] = [];
  let paging: Alert[] = settled;
  if (urgent.length > free) paging = urgent;
  else {
    fixed = urgent;
    free -= urgent.length;
  }
  const pages = free > 0 && paging.length > 0 ? Math.ceil(paging.length / free) : 0;
  const p = pages > 0 ? ((page % pages) + pages) % pages : 0;
  const paged = free > 0 ? paging.slice(p * free, p * free + free) : [];
  const rows = [...lead.map((alert) => ({ alert, pinned: true })), ...[...fixed, ...paged].map((alert) => ({ alert, pinned: false }))];
  const shown = new Set(rows.map((r) => r.alert.id));
  const more: Record<AlertSeverity, number> = { critical: 0, major: 0, minor: 0, warning: 0 };
  for (const a of open) if (!shown.has(a.id)) more[a.severity]++;
  return { rows, more, moreTotal: open.length - shown.size, page: p + 1, pages };
}
