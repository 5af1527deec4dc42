// Small HTTP helpers for the screen server: a route table, JSON replies, bounded JSON bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './errors.ts';


export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Named groups of the route's path pattern. */
  params: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path, or a pattern with named groups (`/api/alerts/(?<id>[a-z0-9-]+)/ack`). */
  path: string | RegExp;
  handle(ctx: RouteContext): void | Promise<void>;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Finds the route for a request: the route, or 405 when the path exists with another method. */
export function matchRoute(routes: readonly Route[], method: string, pathname: string): { route: Route; params: Record<string, string> } | 'method-not-allowed' | null {
  let pathMatched = false;
  for (const route of routes) {
    let params: Record<string, string> | null = null;
    if (typeof route.path === 'string') params = route.path === pathname ? {} : null;
    else {
      const m = route.path.exec(pathname);
      params = m && m[0] === pathname ? { ...(m.groups ?? {}) } : null;
    }
    if (!params) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return pathMatched ? 'method-not-allowed' : null;
}

/** Reads a JSON body of at most `maxBytes`; 413 above it, 415 for another content type, 400 for bad JSON. */
export async function readJsonBody(req: IncomingMessage, maxBytes = 16 * 1024): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) throw new HttpError('unsupported-media-type', 'send application/json');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new HttpError('body-too-large', `at most ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError('body-too-large', `at most ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError('bad-json', 'body is not valid JSON');
  }
}

/** A request URL fit for a log line: the path only; a query (which may carry a token) is redacted. */
export function safeUrlForLog(rawUrl: string | undefined): string {
  const url = rawUrl ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}
