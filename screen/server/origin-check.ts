// Cross-site request refusal for every state-changing request (POST, PUT, PATCH, DELETE): the
// browser's Origin header (or, failing that, the origin of its Referer) must be on the screen's
// allow-list, the same one the live socket uses (SCREEN_ALLOWED_ORIGINS; `self` = the page came
// from this server's Host). Browsers send Origin on every cross-site and same-site POST; unlike the
// live socket, a state-changing request with neither header is refused, so a form on another site
// can never act with an operator's cookie.
import type { IncomingMessage } from 'node:http';
import { originAllowed } from './upgrade-guard.ts';

export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type OriginVerdict = { ok: true; origin: string } | { ok: false; code: 'origin-required' | 'cross-origin'; origin: string | null };

/** The origin a browser claims for a request: Origin, else Referer's origin; null when neither parses. */
export function requestOrigin(req: IncomingMessage): string | null {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') return origin.replace(/\/$/, '');
  const referer = req.headers.referer;
  if (typeof referer === 'string') {
    try {
      return new URL(referer).origin;
    } catch {
      return null;
    }
  }
  return null;
}

export function createOriginCheck(allowed: readonly string[] = ['self']): (req: IncomingMessage) => OriginVerdict {
  return (req) => {
    const origin = requestOrigin(req);
    if (origin === null) return { ok: false, code: 'origin-required', origin: null };
    return originAllowed(origin, req.headers.host, allowed) ? { ok: true, origin } : { ok: false, code: 'cross-origin', origin };
  };
}
