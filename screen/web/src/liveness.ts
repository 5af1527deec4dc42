// Is what the wall shows live? One answer for every panel, from three witnesses:
// - the page's own socket to the screen server (closed or never opened: no data);
// - the server itself: it sends at least one message a second, so a page that hears nothing for
//   SILENT_MS has lost it even if the socket looks open;
// - the server's word on the pipeline behind it (every message): its broker connection and the
//   ingest's heartbeat.
// When any says no, the header shows 数据中断 / No data with the time since the last data, the
// rate shows "—" and every tile and the alert board show their age as stale (freshness.ts).
import type { App } from './app.ts';

/** ms without any message from the server after which the wall says it has no data. */
export const SILENT_MS = 3500;

export type NoDataReason = 'connecting' | 'socket' | 'server-silent' | 'broker' | 'ingest';

export interface Liveness {
  live: boolean;
  reason: NoDataReason | null;
  /** Ingest clock of the newest data the wall holds (its summary), null before any. */
  dataAt: number | null;
  /** ms since that data, on the server's clock (continues while the connection is down). */
  ageMs: number | null;
}

export function liveness(app: App, nowMs = Date.now()): Liveness {
  const dataAt = app.live.summary?.at ?? null;
  const ageMs = dataAt === null ? null : Math.max(0, app.serverNow() - dataAt);
  const no = (reason: NoDataReason): Liveness => ({ live: false, reason, dataAt, ageMs });
  if (app.connection !== 'open') return no(app.lastOpenAt === 0 ? 'connecting' : 'socket');
  if (app.live.receivedAt === 0 || nowMs - app.live.receivedAt > SILENT_MS) return no('server-silent');
  const p = app.live.pipeline;
  if (p && !p.broker) return no('broker');
  if (p && !p.ingest) return no('ingest');
  if (dataAt === null) return no('ingest');
  return { live: true, reason: null, dataAt, ageMs };
}
