// The screen server core: a gateway between the broker's derived topics and browsers. It subscribes
// to the ingest's live state and alerts and to the notices, keeps the latest of each, fans them out
// over WebSocket, serves the built app and the HTTP API (routes from small modules). It never
// parses raw device payloads. The entry file makes it listen (listen.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { connectBroker, leaveBroker, subscribeAll } from '../../shared/broker-client.ts';
import type { z } from 'zod';
import type { Logger } from '../../shared/logger.ts';
import type { ParkModel } from '../../shared/park-model.ts';
import { alertsActiveSchema, liveMessageSchema, noticesSchema, WS_PATH } from '../../shared/schema.ts';
import { alertsActiveTopic, alertsFilter, liveFilter, liveTopic, noticesFilter, noticesTopic } from '../../shared/topics.ts';
import { createAlertActions } from './alert-actions.ts';
import { batchRoutes } from './api-alert-batch.ts';
import { createAlertsApi, type AlertsApi } from './api-alerts.ts';
import { contentRoutes, createKpiSource } from './api-content.ts';
import { historyRoutes, type HistoryReader } from './api-history.ts';
import type { MetricsRegistry } from '../../shared/metrics.ts';
import { sendMetrics } from '../../shared/ops-server.ts';
import { HttpError } from './errors.ts';
import { json, matchRoute, type Route } from './http-kit.ts';
import { createLiveHub, type LiveHub, type LiveHubStats } from './live-hub.ts';
import { createOperatorAuth } from './operator-auth.ts';
import { createOriginCheck, STATE_CHANGING_METHODS } from './origin-check.ts';
import { registerScreenMetrics } from './metrics.ts';
import { createStaticFiles } from './static-files.ts';
import { DEFAULT_CHIME_REMINDER_MS, wallRoutes } from './api-wall.ts';
import { createUpgradeGuard, type UpgradeRefusal, type ViewerAccess } from './upgrade-guard.ts';
import { withDefaults } from '../../shared/options.ts';
import { formatIssue } from '../../shared/validation.ts';

export type { HistoryReader } from './api-history.ts';

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
  /** Operator's KPI file (JSON, shared/schema.ts kpiSetSchema); the bundled seed figures when absent. */
  kpiFile?: string;
  /** Who may open /ws: the viewer token and the allowed origins (upgrade-guard.ts). */
  viewer: ViewerAccess;
  /** Largest WebSocket message a browser may send, bytes; default 4096. */
  wsMaxMessageBytes?: number;
  /** Registry for Prometheus metrics; with it, the screen registers its own and serves /metrics. */
  metrics?: MetricsRegistry;
  /** The ingest's alert database (read-only here: history, trail, export). */
  alertsDbPath?: string;
  /** Console operators (scrypt hashes); without it nobody can sign in. */
  operatorsPath?: string;
  /** ms of inactivity that ends an operator session; default 30 min. */
  sessionIdleMs?: number;
  /** ms to wait for the ingest's answer to an operator action; default 5000. */
  actionTimeoutMs?: number;
  /** ms between the wall's chime reminders while a critical alert is unacknowledged; default 60 000. */
  chimeReminderMs?: number;
  now?: () => number;
}

/** The screen's defaults (the CLI's settings read them). */
export const DEFAULT_SCREEN: Readonly<Required<Pick<ScreenOptions, 'coalesceMs' | 'wsMaxMessageBytes' | 'sessionIdleMs' | 'chimeReminderMs'>>> = Object.freeze({ coalesceMs: 250, wsMaxMessageBytes: 4096, sessionIdleMs: 30 * 60_000, chimeReminderMs: DEFAULT_CHIME_REMINDER_MS });

export interface Screen {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Resolves once subscribed to the live topics. */
  ready(): Promise<void>;
  stats(): LiveHubStats & { mqttConnected: boolean; upgradesRefused: Record<UpgradeRefusal, number> };
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

/** What to do with each subscribed topic: its schema and where the parsed value goes. */
interface TopicHandler<S extends z.ZodType> {
  schema: S;
  /** `retained`: a stored message the broker handed over on subscribing, not news. */
  apply(value: z.infer<S>, retained: boolean): void;
}
function handler<S extends z.ZodType>(schema: S, apply: (value: z.infer<S>, retained: boolean) => void): TopicHandler<S> {
  return { schema, apply };
}

function topicHandlers(parkId: string, hub: LiveHub, alertsApi: AlertsApi): Map<string, TopicHandler<z.ZodType>> {
  return new Map<string, TopicHandler<z.ZodType>>([
    [liveTopic(parkId, 'snapshot'), handler(liveMessageSchema, (s, retained) => hub.applySnapshot(s, { retained }))],
    [liveTopic(parkId, 'delta'), handler(liveMessageSchema, (d) => hub.applyDelta(d))],
    [
      alertsActiveTopic(parkId),
      handler(alertsActiveSchema, (a) => {
        hub.applyAlerts(a.alerts);
        alertsApi.setActive(a.alerts);
      }),
    ],
    [noticesTopic(parkId, 'current'), handler(noticesSchema, (n) => hub.applyNotices(n.notices))],
  ]);
}

export async function createScreen(opts: ScreenOptions): Promise<Screen> {
  const log = opts.logger.child({ module: 'screen' });
  const now = opts.now ?? Date.now;
  const settings = withDefaults(DEFAULT_SCREEN, { coalesceMs: opts.coalesceMs, wsMaxMessageBytes: opts.wsMaxMessageBytes, sessionIdleMs: opts.sessionIdleMs, chimeReminderMs: opts.chimeReminderMs });
  const { model } = opts;
  const hub = createLiveHub({ logger: opts.logger, coalesceMs: settings.coalesceMs, now, maxClientMessageBytes: settings.wsMaxMessageBytes });
  const upgrades = createUpgradeGuard(opts.viewer, opts.logger);
  const files = createStaticFiles(opts.staticDir);
  if (!files.available) log.warn({ staticDir: opts.staticDir }, 'web app not built: run `npm run build`');

  // A random suffix lets several screen servers share one service account (ACL: svc-screen-*).
  const client: MqttClient = connectBroker(opts.mqtt.url, {
    clientId: opts.mqtt.clientId ?? `${opts.mqtt.username.split('@')[0]}-${randomBytes(4).toString('hex')}`,
    username: opts.mqtt.username,
    password: opts.mqtt.password,
    clean: true, // the retained topics rebuild the state on every connect
    protocolVersion: 4,
    // Back soon after the broker is: the wall is dark until then (one client, a cheap retry).
    reconnectPeriod: 500,
    keepalive: 30,
  });
  const actions = createAlertActions({ client, parkId: model.id, logger: opts.logger, timeoutMs: opts.actionTimeoutMs, now });
  const auth = createOperatorAuth({ operatorsPath: opts.operatorsPath, logger: opts.logger, reportRefusal: actions.reportRefusal, idleMs: settings.sessionIdleMs, now });
  const alertsApi = createAlertsApi({ model, logger: opts.logger, alertsDbPath: opts.alertsDbPath, auth, actions });
  const originOk = createOriginCheck(opts.viewer.allowedOrigins);
  const handlers = topicHandlers(model.id, hub, alertsApi);
  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  client.on('connect', () => {
    subscribeAll(client, [liveFilter(model.id), alertsFilter(model.id), noticesFilter(model.id)], log, readyResolve);
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  // The wall says "no data" when the broker is gone: not only when its own socket drops.
  client.on('connect', () => hub.setBrokerConnected(true));
  client.on('close', () => hub.setBrokerConnected(false));
  client.on('offline', () => {
    hub.setBrokerConnected(false);
    log.warn('broker unreachable; reconnecting');
  });
  client.on('message', (topic, payload, packet) => {
    if (actions.handleMessage(topic, payload)) return;
    const h = handlers.get(topic);
    if (!h) return; // replies and topics other modules listen to
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      log.warn({ topic }, 'message is not JSON; ignored');
      return;
    }
    const parsed = h.schema.safeParse(raw);
    if (parsed.success) h.apply(parsed.data, packet.retain);
    else log.warn({ topic, issue: formatIssue(parsed.error.issues[0]) }, 'message does not match its schema; ignored');
  });

  const routes: Route[] = [
    { method: 'GET', path: '/healthz', handle: ({ res }) => json(res, 200, { ok: true }) },
    {
      method: 'GET',
      path: '/readyz',
      handle: ({ res }) => json(res, client.connected ? 200 : 503, { ok: client.connected, mqtt: client.connected }),
    },
    ...historyRoutes({ model, history: opts.history, now }),
    ...wallRoutes({ chimeReminderMs: settings.chimeReminderMs }),
    ...contentRoutes({
      kpis: createKpiSource(opts.kpiFile, opts.logger),
      notices: () => hub.notices(),
      async publishNotices(notices) {
        if (!client.connected) throw new HttpError('broker-unavailable', 'the screen server is not connected to the broker');
        await client.publishAsync(noticesTopic(model.id, 'current'), JSON.stringify({ at: now(), notices }), { qos: 1, retain: true });
        hub.applyNotices(notices);
      },
      auth,
      kpiFile: opts.kpiFile,
      logger: opts.logger,
      now,
    }),
    ...auth.routes,
    // Before the single-alert routes: `/api/alerts/batch/ack` would read as alert "batch".
    ...batchRoutes({ auth, actions, logger: opts.logger }),
    ...alertsApi.routes,
  ];
  const metrics = opts.metrics;
  if (metrics) routes.push({ method: 'GET', path: '/metrics', handle: ({ res }) => sendMetrics(res, metrics) });

  function fail(res: ServerResponse, err: unknown, path: string): void {
    if (res.headersSent) return;
    if (err instanceof HttpError) return json(res, err.status, { error: err.code, detail: err.message });
    log.error({ err, path }, 'request failed');
    json(res, 503, { error: 'unavailable', detail: (err as Error).message });
  }

  const screen: Screen = {
    handleRequest(req, res) {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://screen.local');
      } catch {
        return json(res, 400, { error: 'bad-url' });
      }
      const method = req.method ?? 'GET';
      const found = matchRoute(routes, method, url.pathname);
      if (found === 'method-not-allowed') return json(res, 405, { error: 'method-not-allowed' });
      // Every handler that changes state runs only for a request from an allowed origin.
      if (found && STATE_CHANGING_METHODS.has(method)) {
        const origin = originOk(req);
        if (!origin.ok) {
          const attempt = alertsApi.attemptOf(method, url.pathname);
          if (attempt) actions.reportRefusal({ ...attempt, by: auth.sessionOf(req)?.operator ?? 'anonymous', code: origin.code, ip: req.socket.remoteAddress ?? null });
          log.warn({ path: url.pathname, origin: origin.origin, code: origin.code }, 'state-changing request from another origin refused');
          return json(res, 403, { error: origin.code, detail: 'this request must come from the screen’s own pages' });
        }
      }
      if (found) {
        try {
          const done = found.route.handle({ req, res, url, params: found.params });
          if (done) done.catch((err: unknown) => fail(res, err, url.pathname));
        } catch (err) {
          fail(res, err, url.pathname);
        }
        return;
      }
      if (url.pathname.startsWith('/api/')) return json(res, 404, { error: 'not-found' });
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
      const refusal = upgrades.check(req);
      // A signed-in operator's console may watch without the wall's viewer token (never without
      // passing the origin check).
      if (refusal && !(refusal.reason === 'token' && auth.sessionOf(req))) {
        const text = refusal.status === 401 ? '401 Unauthorized' : '403 Forbidden';
        socket.end(`HTTP/1.1 ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      hub.handleUpgrade(req, socket, head);
    },
    ready: () => readyPromise,
    stats: () => ({ ...hub.stats(), mqttConnected: client.connected, upgradesRefused: upgrades.stats() }),
    async close() {
      await hub.close();
      actions.close();
      alertsApi.close();
      await leaveBroker(client, log);
      await opts.history.close();
      log.info('screen stopped');
    },
  };
  if (metrics) registerScreenMetrics(metrics, screen.stats);
  return screen;
}
