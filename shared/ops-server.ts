// The operations endpoints of a process: /healthz (the process is alive), /readyz (every service
// in it can do its job: 503 with the failing ones otherwise) and /metrics (Prometheus text).
// The broker and the ingest listen on their own small HTTP port for these (BROKER_HTTP_PORT,
// INGEST_HTTP_PORT); the screen serves them on its own port. Nothing here is secret, but nothing
// here is for browsers either: plain text and JSON, no caching.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsRegistry } from './metrics.ts';
import { listenHttp } from './http-listen.ts';

export interface ReadinessCheck {
  /** Service name in the /readyz answer (`broker`, `ingest`, `screen`). */
  name: string;
  ready(): boolean;
}

export interface OpsOptions {
  metrics: MetricsRegistry;
  /** Read on every /readyz, so services started later still count. */
  checks: () => readonly ReadinessCheck[];
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Prometheus text exposition of the registry. */
export async function sendMetrics(res: ServerResponse, metrics: MetricsRegistry): Promise<void> {
  send(res, 200, metrics.contentType, await metrics.metrics());
}

/** Answers /healthz, /readyz and /metrics; returns false for any other path. */
export function handleOps(req: IncomingMessage, res: ServerResponse, opts: OpsOptions): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'application/json', '{"error":"method-not-allowed"}');
    return true;
  }
  if (path === '/healthz') send(res, 200, 'application/json', '{"ok":true}');
  else if (path === '/readyz') {
    const services = Object.fromEntries(opts.checks().map((c) => [c.name, c.ready()]));
    const ok = Object.values(services).every(Boolean);
    send(res, ok ? 200 : 503, 'application/json', JSON.stringify({ ok, services }));
  } else {
    sendMetrics(res, opts.metrics).catch((err: Error) => send(res, 500, 'text/plain', `metrics failed: ${err.message}\n`));
  }
  return true;
}

export interface OpsListener {
  readonly port: number;
  close(): Promise<void>;
}

export async function listenOps(opts: OpsOptions & { host?: string; port: number }): Promise<OpsListener> {
  const { server, port } = await listenHttp((req, res) => {
    if (!handleOps(req, res, opts)) send(res, 404, 'application/json', '{"error":"not-found"}');
  }, opts);
  return {
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
