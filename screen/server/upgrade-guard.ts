// Who may open the live WebSocket (/ws). Checked on the HTTP upgrade request, before any
// WebSocket exists:
//   1. Origin: a browser always sends it; it must be on the allow-list (`self` = the page came from
//      this server's Host). Refused with 403, so a page elsewhere cannot even probe for the token.
//      Clients that are not browsers send no Origin and go on to the token check.
//   2. Viewer token: `?token=` on the URL (all a browser's WebSocket can carry) or
//      `Authorization: Bearer`. Refused with 401. Compared in constant time.
// The token never reaches a log: refusals log the path only (see safeUrlForLog).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../shared/logger.ts';
import { createThrottledLog } from '../../shared/throttled-log.ts';
import { safeUrlForLog } from './http-kit.ts';

export interface ViewerAccess {
  /** The viewer token (from the secrets folder; see SCREEN_VIEWER_TOKEN_FILE). */
  token: string;
  /** Origins allowed to open /ws, as browsers send them (`https://wall.example:8443`), or `self`; default ['self']. */
  allowedOrigins?: readonly string[];
}

export type UpgradeRefusal = 'origin' | 'token';

export interface UpgradeGuard {
  /** null when the upgrade may proceed, else the HTTP status and reason to refuse with. */
  check(req: IncomingMessage): { status: 401 | 403; reason: UpgradeRefusal } | null;
  stats(): Record<UpgradeRefusal, number>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function presentedToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = (req.url ?? '').indexOf('?');
  return q === -1 ? null : new URLSearchParams((req.url ?? '').slice(q + 1)).get('token');
}

/** Whether a browser's Origin is on the allow-list (`self` = the request's own Host); no Origin (not a browser) passes. */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  if (!allowed.includes('self') || !host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // `null` (sandboxed frames, file://) or garbage
  }
}

export function createUpgradeGuard(access: ViewerAccess, logger: Logger): UpgradeGuard {
  if (access.token.length < 16) throw new Error('viewer token must be at least 16 characters');
  const log = logger.child({ module: 'upgrade-guard' });
  const warn = createThrottledLog(log);
  const expected = digest(access.token);
  const allowed = access.allowedOrigins ?? ['self'];
  const refused: Record<UpgradeRefusal, number> = { origin: 0, token: 0 };
  function refuse(reason: UpgradeRefusal, status: 401 | 403, req: IncomingMessage): { status: 401 | 403; reason: UpgradeRefusal } {
    refused[reason]++;
    warn(reason, { reason, origin: req.headers.origin, url: safeUrlForLog(req.url), remote: req.socket.remoteAddress }, 'live socket refused');
    return { status, reason };
  }
  return {
    check(req) {
      if (!originAllowed(req.headers.origin, req.headers.host, allowed)) return refuse('origin', 403, req);
      const token = presentedToken(req);
      if (token === null || !timingSafeEqual(digest(token), expected)) return refuse('token', 401, req);
      return null;
    },
    stats: () => ({ ...refused }),
  };
}
