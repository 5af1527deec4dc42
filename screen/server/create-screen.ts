// The screen server core: a gateway between the broker's derived topics and browsers. It subscribes
// to the ingest's live state, keeps the latest snapshot, fans it out over WebSocket, serves the
// built app and the history endpoints (read from whichever store is configured). It never parses
// raw device payloads. The entry file makes it listen (listen.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import type { TelemetryStore } from '../../ingest/store/types.ts';
import { HISTORY_SERIES } from '../../ingest/store/types.ts';
import type { Logger } from '../../shared/logger.ts';
import { publicParkModel, type ParkModel } from '../../shared/park-model.ts';
import { liveDeltaSchema, liveSnapshotSchema, WS_PATH } from '../../shared/schema.ts';
import { startOfDay } from '../../shared/time.ts';
import { liveFilter, liveTopic } from '../../shared/topics.ts';
import { createLiveHub, type LiveHubStats } from './live-hub.ts';
import { createStaticFiles } from './static-files.ts';

export type HistoryReader = Pick<TelemetryStore, 'history' | 'energySince' | 'close'>;

export interface ScreenOptions {
  model: ParkModel;
  logger: Logger;
  mqtt: { url: string; username: string; password: string; clientId?: string };
  /** Store reader for the history endpoints; the screen closes it on close. */
  history: HistoryReader;
  /** Folder of the built web app (screen/web/dist). */
  staticDir: string;
  /** ms between WebSocket deltas; default 250. */
  coalesceMs?: number;
  now?: () => number;
}

export interface Screen {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Resolves once subscribed to the live topics. */
  ready(): Promise<void>;
  stats(): LiveHubStats & { mqttConnected: boolean };
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; media-src 'self' data:; frame-ancestors 'none'",
};

const DAY = 86_400_000;
const historyQuerySchema = z
  .object({
    series: z.enum(HISTORY_SERIES),
    from: z.coerce.number().int().positive(),
    to: z.coerce.number().int().positive(),
    bucketMs: z.coerce.number().int().min(1000).max(DAY),
  })
  .refine((q) => q.to > q.from, 'to must be after from')
  .refine((q) => q.to - q.from <= 31 * DAY, 'range is 31 days at most')
  .refine((q) => (q.to - q.from) / q.bucketMs <= 5000, '5000 buckets at most');

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function createScreen(opts: ScreenOptions): Promise<Screen> {
  const log = opts.logger.child({ module: 'screen' });
  const now = opts.now ?? Date.now;
  const { model } = opts;
  const hub = createLiveHub({ logger: opts.logger, coalesceMs: opts.coalesceMs ?? 250, now });
  const files = createStaticFiles(opts.staticDir);
  const parkJson = JSON.stringify(publicParkModel(model));
  if (!files.available) log.warn({ staticDir: opts.staticDir }, 'web app not built: run `npm run build`');

  // A random suffix lets several screen servers share one service account (ACL: svc-screen-*).
  const client: MqttClient = mqtt.connect(opts.mqtt.url, {
    clientId: opts.mqtt.clientId ?? `${opts.mqtt.username}-${randomBytes(4).toString('hex')}`,
    username: opts.mqtt.username,
    password: opts.mqtt.password,
    clean: true, // the retained snapshot rebuilds the state on every connect
    protocolVersion: 4,
    reconnectPeriod: 1000,
    keepalive: 30,
  });
  const snapshotTopic = liveTopic(model.id, 'snapshot');
  const deltaTopic = liveTopic(model.id, 'delta');
  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  client.on('connect', () => {
    client.subscribe(liveFilter(model.id), { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) log.error({ err, granted }, 'live subscription refused');
      else readyResolve();
    });
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  client.on('message', (topic, payload) => {
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      log.warn({ topic }, 'live message is not JSON; ignored');
      return;
    }
    if (topic === snapshotTopic) {
      const s = liveSnapshotSchema.safeParse(raw);
      if (s.success) hub.applySnapshot(s.data);
      else log.warn({ topic, issue: s.error.issues[0]?.message }, 'invalid live snapshot; ignored');
    } else if (topic === deltaTopic) {
      const d = liveDeltaSchema.safeParse(raw);
      if (d.success) hub.applyDelta(d.data);
      else log.warn({ topic, issue: d.error.issues[0]?.message }, 'invalid live delta; ignored');
    }
  });

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/api/park') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }).end(parkJson);
      return;
    }
    if (url.pathname === '/api/history') {
      const q = historyQuerySchema.safeParse(Object.fromEntries(url.searchParams));
      if (!q.success) return json(res, 400, { error: 'bad-query', detail: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      const points = await opts.history.history(q.data);
      return json(res, 200, { ...q.data, points });
    }
    if (url.pathname === '/api/energy/today') {
      const since = startOfDay(now(), model.timezone);
      return json(res, 200, { since, enterprises: await opts.history.energySince(since) });
    }
    json(res, 404, { error: 'not-found' });
  }

  return {
    handleRequest(req, res) {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://screen.local');
      } catch {
        return json(res, 400, { error: 'bad-url' });
      }
      if (url.pathname === '/healthz') return json(res, 200, { ok: true });
      if (url.pathname === '/readyz') {
        const ok = client.connected;
        return json(res, ok ? 200 : 503, { ok, mqtt: client.connected });
      }
      if (url.pathname.startsWith('/api/')) {
        if (req.method !== 'GET') return json(res, 405, { error: 'method-not-allowed' });
        api(req, res, url).catch((err: Error) => {
          log.error({ err, path: url.pathname }, 'api request failed');
          if (!res.headersSent) json(res, 503, { error: 'store-unavailable', detail: err.message });
        });
        return;
      }
      if (files.serve(req, res, url.pathname)) return;
      if (!files.available) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('The screen app is not built yet: run `npm run build`.\n');
        return;
      }
      json(res, 404, { error: 'not-found' });
    },
    handleUpgrade(req, socket, head) {
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      hub.handleUpgrade(req, socket, head);
    },
    ready: () => readyPromise,
    stats: () => ({ ...hub.stats(), mqttConnected: client.connected }),
    async close() {
      await hub.close();
      await client.endAsync();
      await opts.history.close();
      log.info('screen stopped');
    },
  };
}
