// The console's HTTP calls. Same-origin fetches: the browser sends the session cookie and the
// Origin header the server checks. A 401 anywhere means the session ended.
import type { Alert, AuditRecord } from '../../../../shared/schema.ts';
import type { ParkModelData } from '../../../../shared/park-model.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly alert: Alert | null = null,
  ) {
    super(code);
  }
}

let onUnauthorized: () => void = () => {};
export function whenSignedOut(fn: () => void): void {
  onUnauthorized = fn;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as { error?: string; alert?: Alert | null };
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/session') onUnauthorized();
    throw new ApiError(res.status, data.error ?? `http-${res.status}`, data.alert ?? null);
  }
  return data as T;
}

export const api = {
  session: () => call<{ operator: string }>('GET', '/api/session'),
  signIn: (name: string, password: string) => call<{ operator: string }>('POST', '/api/session', { name, password }),
  signOut: () => call<{ ok: true }>('DELETE', '/api/session'),
  park: () => call<ParkModelData>('GET', '/api/park'),
  ack: (id: string, note: string) => call<{ alert: Alert }>('POST', `/api/alerts/${encodeURIComponent(id)}/ack`, { note }),
  shelve: (id: string, note: string, minutes: number) => call<{ alert: Alert }>('POST', `/api/alerts/${encodeURIComponent(id)}/shelve`, { note, minutes }),
  unshelve: (id: string, note: string) => call<{ alert: Alert }>('POST', `/api/alerts/${encodeURIComponent(id)}/unshelve`, { note }),
  /** One action on many alerts with one note: each alert its own outcome. */
  batch: (verb: 'ack' | 'shelve' | 'unshelve', ids: string[], note: string, minutes?: number) =>
    call<{ batch: string; done: number; refused: number; results: { id: string; ok: boolean; code: string | null; alert: Alert | null }[] }>('POST', `/api/alerts/batch/${verb}`, verb === 'shelve' ? { ids, note, minutes } : { ids, note }),
  history: (q: URLSearchParams) => call<{ alerts: Alert[] }>('GET', `/api/alerts/history?${q}`),
  alert: (id: string) => call<{ alert: Alert; audit: AuditRecord[] }>('GET', `/api/alerts/${encodeURIComponent(id)}`),
  audit: (q: URLSearchParams) => call<{ records: AuditRecord[]; alerts: Record<string, { title: string; titleEn: string; device: string }> }>('GET', `/api/audit?${q}`),
  verify: () => call<{ ok: boolean; records: number; brokenAt?: number; reason?: string }>('GET', '/api/audit/verify'),
};
