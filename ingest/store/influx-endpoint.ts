// Where and how to reach InfluxDB: URL, credentials, bucket (2.x/3.x) or database/retention policy
// (1.x), and the start-up probe of the write endpoint.
import { StoreError } from './errors.ts';

export interface InfluxEndpoint {
  /** Base URL without a trailing slash. */
  url: string;
  /** 2.x/3.x API token, or `username:password` for 1.x with authentication. Never logged. */
  token?: string;
  org: string;
  bucket: string;
  /** 1.x: database (and retention policy) instead of a bucket. */
  database?: string;
  retentionPolicy?: string;
  /** ms per request before it counts as failed. */
  timeoutMs: number;
}

/** Defaults of the endpoint settings (the CLI's settings read them). */
export const DEFAULT_INFLUX_ENDPOINT: Readonly<Pick<InfluxEndpoint, 'timeoutMs'>> = Object.freeze({ timeoutMs: 10_000 });

/** The URL without any user:password in it, for logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '[unparsable url]';
  }
}

/** The v2 write API's bucket: 1.8+ reads `database/retention-policy` from it. */
export function writeBucket(e: InfluxEndpoint): string {
  if (!e.database) return e.bucket;
  return e.retentionPolicy ? `${e.database}/${e.retentionPolicy}` : e.database;
}

/**
 * 2.x/3.x take `Token <token>`; 1.x with authentication wants Basic (it refuses `Token` with 401,
 * docs/testing-external-servers.md), and its v2-compatible token is `username:password`.
 */
export function authorizationHeader(token: string | undefined): Record<string, string> {
  if (!token) return {};
  if (token.includes(':')) return { authorization: `Basic ${Buffer.from(token).toString('base64')}` };
  return { authorization: `Token ${token}` };
}

/** The URL and parameters the WriteApi posts to (precision µs, see influx-schema.ts). */
export function writeUrl(e: InfluxEndpoint): URL {
  const url = new URL(`${e.url}/api/v2/write`);
  url.searchParams.set('org', e.org);
  url.searchParams.set('bucket', writeBucket(e));
  url.searchParams.set('precision', 'us');
  return url;
}

export type ProbeResult = { ok: true } | { ok: false; error: StoreError };

/**
 * Posts an empty body to /api/v2/write. A server without that endpoint (InfluxDB before 1.8
 * answers 404 in plain text) would otherwise show up only as points that never arrive, so this
 * and a missing bucket (404 with a JSON `code`) or refused credentials (401/403) are fatal
 * configuration errors; a server that does not answer yet is not (`ok: false`, retriable).
 */
export async function probeWriteEndpoint(e: InfluxEndpoint): Promise<ProbeResult> {
  let res: Response;
  try {
    res = await fetch(writeUrl(e), {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', ...authorizationHeader(e.token) },
      body: '',
      signal: AbortSignal.timeout(e.timeoutMs),
    });
  } catch (err) {
    return { ok: false, error: new StoreError('influx-unavailable', `InfluxDB at ${safeUrl(e.url)} did not answer: ${(err as Error).message}`, { cause: err }) };
  }
  const text = await res.text();
  // 2xx: fine. 400: the endpoint exists and only disliked the empty body (some versions do).
  if (res.ok || res.status === 400) return { ok: true };
  if (res.status === 401 || res.status === 403) throw new StoreError('influx-auth', `InfluxDB at ${safeUrl(e.url)} refused the credentials (HTTP ${res.status}): check INFLUX_TOKEN`, { status: res.status });
  if (res.status === 404) {
    type ErrorBody = { code?: string; message?: string; error?: string };
    let json: ErrorBody | null = null;
    try {
      json = JSON.parse(text) as ErrorBody;
    } catch {
      // plain "404 page not found": no such endpoint
    }
    // A JSON answer comes from the write handler itself: the bucket/database or org is missing.
    if (json && typeof json === 'object') {
      throw new StoreError('influx-not-found', `InfluxDB at ${safeUrl(e.url)}: ${json.message ?? json.error ?? json.code} (org ${JSON.stringify(e.org)}, bucket ${JSON.stringify(writeBucket(e))})`, { status: 404 });
    }
    throw new StoreError('influx-no-v2-write', `InfluxDB at ${safeUrl(e.url)}: no /api/v2/write (HTTP 404 ${JSON.stringify(text.trim().slice(0, 60))}). InfluxDB before 1.8 answers so: use InfluxDB 1.8+, 2.x or 3.x, or put the /api/v2/write -> /write rewrite of the README in front of it`, { status: 404 });
  }
  return { ok: false, error: new StoreError('influx-unavailable', `InfluxDB at ${safeUrl(e.url)} answered HTTP ${res.status}: ${text.slice(0, 200)}`, { status: res.status }) };
}
