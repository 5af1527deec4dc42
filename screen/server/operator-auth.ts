// Operator sign-in for the console. Sessions live on the server only: the browser holds a random
// id in an HttpOnly, SameSite=Strict cookie. A session ends after `idleMs` without a request, after
// `maxAgeMs` regardless, at sign-out, or when the operator is removed from the operators file.
// Sign-in is limited per client address (attempts) and per operator name (failures), and every
// refusal goes to the audit trail (through the ingest, see alert-actions.ts).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import type { Logger } from '../../shared/logger.ts';
import { createOperatorDirectory, nameKey, type OperatorDirectory } from '../../shared/operators.ts';
import type { Refusal, RefusedAttempt } from './alert-actions.ts';
import { HttpError } from './errors.ts';
import { json, readJsonBody, type Route } from './http-kit.ts';
import { createRateLimiter } from './rate-limit.ts';

export const SESSION_COOKIE = 'pp_session';

export interface Session {
  id: string;
  operator: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface OperatorAuthOptions {
  /** operators.json; without it nobody can sign in (503). */
  operatorsPath?: string;
  logger: Logger;
  reportRefusal(r: Refusal): void;
  /** ms without a request before a session ends; default 30 min. */
  idleMs?: number;
  /** ms after sign-in when a session ends regardless; default 12 h. */
  maxAgeMs?: number;
  /** Sign-in attempts per client address per window; default 10 per 5 min. */
  attemptsPerAddress?: number;
  /** Failed sign-ins per operator name per window; default 5 per 5 min. */
  failuresPerName?: number;
  limitWindowMs?: number;
  now?: () => number;
}

export interface OperatorAuth {
  routes: Route[];
  /** The signed-in operator's session (touching it), or null. */
  sessionOf(req: IncomingMessage): Session | null;
  /**
   * The session, or HttpError 401. An attempted action is recorded in the audit trail as refused;
   * a read (`null`) is not.
   */
  require(req: IncomingMessage, attempt: { attempted: RefusedAttempt; alertId: string | null } | null): Session;
  sessions(): number;
}

const signInSchema = z.strictObject({ name: z.string().min(1).max(64), password: z.string().min(1).max(256) });

export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function createOperatorAuth(opts: OperatorAuthOptions): OperatorAuth {
  const log = opts.logger.child({ module: 'operator-auth' });
  const now = opts.now ?? Date.now;
  const idleMs = opts.idleMs ?? 30 * 60_000;
  const maxAgeMs = opts.maxAgeMs ?? 12 * 3_600_000;
  const windowMs = opts.limitWindowMs ?? 5 * 60_000;
  const directory: OperatorDirectory | null = opts.operatorsPath ? createOperatorDirectory(opts.operatorsPath) : null;
  const byAddress = createRateLimiter({ limit: opts.attemptsPerAddress ?? 10, windowMs, now });
  const byName = createRateLimiter({ limit: opts.failuresPerName ?? 5, windowMs, now });
  const sessions = new Map<string, Session>();

  function cookie(req: IncomingMessage, value: string, maxAgeS: number): string {
    const secure = (req.socket as TLSSocket).encrypted ? '; Secure' : '';
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
  }

  function sessionOf(req: IncomingMessage): Session | null {
    const id = cookieValue(req, SESSION_COOKIE);
    if (!id) return null;
    const s = sessions.get(id);
    if (!s) return null;
    const t = now();
    if (t - s.lastSeenAt > idleMs || t - s.createdAt > maxAgeMs || !directory?.exists(s.operator)) {
      sessions.delete(id);
      return null;
    }
    s.lastSeenAt = t;
    return s;
  }

  // Expired sessions are also swept every minute, so an abandoned one does not linger in memory.
  const sweep = setInterval(() => {
    const t = now();
    for (const [id, s] of sessions) if (t - s.lastSeenAt > idleMs || t - s.createdAt > maxAgeMs) sessions.delete(id);
  }, 60_000);
  sweep.unref();

  function refuseSignIn(res: ServerResponse, ip: string, name: string, status: number, code: string, extra: Record<string, unknown> = {}): void {
    opts.reportRefusal({ attempted: 'sign-in', alertId: null, by: name || 'anonymous', code, ip });
    log.warn({ ip, name, code }, 'sign-in refused');
    json(res, status, { error: code, ...extra });
  }

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ip = clientAddress(req);
    const body = signInSchema.safeParse(await readJsonBody(req, 2048));
    const name = body.success ? body.data.name.normalize('NFC') : '';
    if (!directory || directory.count() === 0) {
      return json(res, 503, { error: 'no-operators', detail: 'no operator is registered: run `npm start -- operator add <name>`' });
    }
    for (const [limiter, key] of [[byAddress, ip], [byName, nameKey(name)]] as const) {
      const v = limiter.check(key);
      if (!v.ok) {
        res.setHeader('retry-after', String(Math.ceil(v.retryAfterMs / 1000)));
        return refuseSignIn(res, ip, name, 429, 'rate-limited', { retryAfterS: Math.ceil(v.retryAfterMs / 1000) });
      }
    }
    byAddress.hit(ip);
    if (!body.success) return refuseSignIn(res, ip, name, 400, 'bad-request');
    const operator = await directory.verify(name, body.data.password);
    if (!operator) {
      byName.hit(nameKey(name));
      return refuseSignIn(res, ip, name, 401, 'bad-credentials');
    }
    byName.reset(nameKey(name));
    // A new id at every sign-in (a planted cookie never becomes a session), the old one ends.
    const old = cookieValue(req, SESSION_COOKIE);
    if (old) sessions.delete(old);
    const id = randomBytes(32).toString('base64url');
    const t = now();
    sessions.set(id, { id, operator, createdAt: t, lastSeenAt: t });
    log.info({ operator, ip }, 'operator signed in');
    res.setHeader('set-cookie', cookie(req, id, Math.floor(maxAgeMs / 1000)));
    json(res, 200, { operator, idleMs, expiresAt: t + maxAgeMs });
  }

  return {
    routes: [
      { method: 'POST', path: '/api/session', handle: ({ req, res }) => signIn(req, res) },
      {
        method: 'GET',
        path: '/api/session',
        handle({ req, res }) {
          const s = sessionOf(req);
          if (!s) return json(res, 401, { error: 'not-signed-in' });
          json(res, 200, { operator: s.operator, idleMs, expiresAt: s.createdAt + maxAgeMs });
        },
      },
      {
        method: 'DELETE',
        path: '/api/session',
        handle({ req, res }) {
          const s = sessionOf(req);
          if (s) {
            sessions.delete(s.id);
            log.info({ operator: s.operator }, 'operator signed out');
          }
          res.setHeader('set-cookie', cookie(req, '', 0));
          json(res, 200, { ok: true });
        },
      },
    ],
    sessionOf,
    require(req, attempt) {
      const s = sessionOf(req);
      if (s) return s;
      if (attempt) opts.reportRefusal({ ...attempt, by: 'anonymous', code: 'not-signed-in', ip: clientAddress(req) });
      throw new HttpError('not-signed-in', 'sign in to the console first');
    },
    sessions: () => sessions.size,
  };
}
