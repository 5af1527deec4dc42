// Cross-site request refusal for every state-changing request (POST, PUT, PATCH, DELETE): the
// browser's Origin header (or, failing that, the origin of its Referer) must be the screen's own
// origin (scheme of this connection + Host header) or one of the configured allowed origins.
// Browsers send Origin on every cross-site and same-site POST; a request with neither header is
// refused, so a form on another site can never act with an operator's cookie.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export const STATE_CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type OriginVerdict = { ok: true; origin: string } | { ok: false; code: 'origin-required' | 'cross-origin'; origin: string | null };

/** The origin a browser claims for a request: Origin, else Referer's origin; null when neither parses. */
export function requestOrigin(req: IncomingMessage): string | null {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') return origin.replace(/\/$/, '').toLowerCase();
  const referer = req.headers.referer;
  if (typeof referer === 'string') {
    try {
      return new URL(referer).origin.toLowerCase();
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * `allowed`: extra origins (`https://wall.example.com`), e.g. when a TLS proxy in front of the
 * screen makes the browser's origin https while this server sees plain http.
 */
export function createOriginCheck(allowed: readonly string[] = []): (req: IncomingMessage) => OriginVerdict {
  const extra = new Set(allowed.map((o) => o.replace(/\/$/, '').toLowerCase()));
  return (req) => {
    const origin = requestOrigin(req);
    if (origin === null) return { ok: false, code: 'origin-required', origin: null };
    const host = req.headers.host?.toLowerCase();
    const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
    if ((host && origin === `${scheme}://${host}`) || extra.has(origin)) return { ok: true, origin };
    return { ok: false, code: 'cross-origin', origin };
  };
}
