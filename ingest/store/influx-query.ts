// InfluxQL over HTTP `/query`, which InfluxDB 1.x, 2.4+ (virtual DBRP mappings: database = bucket)
// and 3.x all answer. Flux is not used (maintenance mode upstream). Times come back as epoch ms.
//
// Errors come in three shapes, all turned into a StoreError: an HTTP error status; HTTP 200 with
// a top-level `{"error": ...}` (e.g. a parse error); HTTP 200 with a per-statement `error` inside
// `results` (e.g. "database not found"). A result cut short (`partial`, a server row limit) is an
// error too: a silently truncated answer would look like missing data.
import { StoreError } from './errors.ts';
import { authorizationHeader, type InfluxEndpoint } from './influx-endpoint.ts';

export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

interface StatementResult {
  statement_id?: number;
  series?: Series[];
  error?: string;
  partial?: boolean;
}

export interface InfluxQl {
  /** Runs one or more `;`-separated statements; one array of series per statement. */
  query(q: string): Promise<Series[][]>;
}

/** A double-quoted identifier. */
export function ident(name: string): string {
  return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A single-quoted string literal. */
export function literal(value: string): string {
  return `'${value.replace(/['\\]/g, (c) => `\\${c}`)}'`;
}

/** A time literal for epoch ms (InfluxQL duration since the epoch). */
export function msTime(ms: number): string {
  return `${Math.floor(ms)}ms`;
}

export function createInfluxQl(endpoint: InfluxEndpoint): InfluxQl {
  const db = endpoint.database ?? endpoint.bucket;
  return {
    async query(q) {
      const url = new URL(`${endpoint.url}/query`);
      url.searchParams.set('db', db);
      if (endpoint.retentionPolicy) url.searchParams.set('rp', endpoint.retentionPolicy);
      url.searchParams.set('epoch', 'ms');
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...authorizationHeader(endpoint.token) },
          body: new URLSearchParams({ q }),
          signal: AbortSignal.timeout(endpoint.timeoutMs),
        });
      } catch (err) {
        throw new StoreError('influx-unavailable', `InfluxDB query failed: ${(err as Error).message}`, { cause: err });
      }
      const text = await res.text();
      type Body = { results?: StatementResult[]; error?: string; message?: string };
      let body: Body | null = null;
      try {
        body = JSON.parse(text) as Body;
      } catch {
        // not JSON: reported with the status below
      }
      if (!res.ok) {
        const detail = body?.error ?? body?.message ?? text.slice(0, 200);
        const code = res.status === 401 || res.status === 403 ? 'influx-auth' : res.status >= 500 || res.status === 429 ? 'influx-unavailable' : 'influx-query';
        throw new StoreError(code, `InfluxQL query failed (HTTP ${res.status}): ${detail}`, { status: res.status });
      }
      if (!body) throw new StoreError('influx-query', `InfluxQL answer is not JSON: ${text.slice(0, 200)}`, { status: res.status });
      if (typeof body.error === 'string') throw new StoreError('influx-query', `InfluxQL error: ${body.error}`, { status: res.status });
      const results = body.results ?? [];
      // After a failing statement the rest report "not executed": name the real cause.
      const failed = results.filter((r) => typeof r.error === 'string');
      if (failed.length > 0) {
        const cause = failed.find((r) => !/not executed/.test(r.error!));
        if (!cause) throw new StoreError('influx-query', `InfluxQL statements not executed, no cause given (InfluxDB 1.x answers so when database ${JSON.stringify(db)} does not exist)`, { status: res.status });
        throw new StoreError('influx-query', `InfluxQL error in statement ${cause.statement_id ?? results.indexOf(cause)}: ${cause.error}`, { status: res.status });
      }
      return results.map((r, i) => {
        if (r.partial) throw new StoreError('influx-query', `InfluxQL answer to statement ${r.statement_id ?? i} was truncated (server row limit): refusing a partial result`);
        return r.series ?? [];
      });
    },
  };
}

/** Column index by name, for reading `values` rows. */
export function columnsOf(series: Series): Record<string, number> {
  const out: Record<string, number> = {};
  series.columns.forEach((c, i) => (out[c] = i));
  return out;
}
