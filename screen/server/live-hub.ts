// The screen server's live state and its WebSocket fan-out. It holds the latest park state (from
// the ingest's retained snapshot and deltas), and every `coalesceMs` sends each browser one delta
// with what changed. A browser gets a full snapshot on connect, on request (it saw a gap), and
// after it fell behind: a slow browser is skipped, never waited for, so it cannot hold back others.
//
// Liveness: every message carries what the server knows of the pipeline behind it (its broker
// connection, and whether the ingest's heartbeat arrives), and when nothing changes the server
// still sends a delta every `heartbeatMs`. A browser that hears nothing for a few seconds knows the
// server (or the way to it) is gone, not that the park is quiet.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../shared/logger.ts';
import { wsClientMessageSchema, type Alert, type DeviceLive, type LiveMessage, type LiveSummary, type Notice, type PipelineState } from '../../shared/schema.ts';

export interface LiveHubOptions {
  logger: Logger;
  /** ms between deltas to browsers; default 250. */
  coalesceMs?: number;
  /** Bytes queued on one socket above which it is skipped until it drains; default 512 KiB. */
  maxBufferedBytes?: number;
  /** Largest message a browser may send, bytes; default 4 KiB (ws defaults to 100 MiB). */
  maxClientMessageBytes?: number;
  /** ms between WebSocket pings; a browser that missed one is dropped; default 15 000. */
  pingIntervalMs?: number;
  /** ms between messages to browsers when nothing changes (the server's heartbeat); default 1000. */
  heartbeatMs?: number;
  /**
   * ms without a message from the ingest after which it counts as lost; default the larger of
   * 2500 and 8 of its heartbeats (its deltas say how often they come).
   */
  ingestTimeoutMs?: number;
  now?: () => number;
}

export interface LiveHubStats {
  clients: number;
  /** Deltas and snapshots sent, in all. */
  sent: number;
  /** Times a slow browser was skipped. */
  skipped: number;
  /** Ingest deltas that did not follow the previous seq. */
  upstreamGaps: number;
  /** The ingest stream's newest seq. */
  seq: number;
  pipeline: PipelineState;
}

export interface LiveHub {
  /** `retained`: the stored snapshot handed over on subscribing (the state, but no sign of life). */
  applySnapshot(s: LiveMessage, opts?: { retained?: boolean }): void;
  applyDelta(d: LiveMessage): void;
  /** The screen server's own broker connection went up or down. */
  setBrokerConnected(up: boolean): void;
  /** The full list of open alerts (from the ingest's retained alerts/active). */
  applyAlerts(alerts: readonly Alert[]): void;
  applyNotices(notices: readonly Notice[]): void;
  /** The notices as last received. */
  notices(): readonly Notice[];
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  stats(): LiveHubStats;
  close(): Promise<void>;
}

interface Peer {
  ws: WebSocket;
  seq: number;
  needsSnapshot: boolean;
  alive: boolean;
}

export function createLiveHub(opts: LiveHubOptions): LiveHub {
  const log = opts.logger.child({ module: 'live-hub' });
  const now = opts.now ?? Date.now;
  const maxBuffered = opts.maxBufferedBytes ?? 512 * 1024;
  const heartbeatMs = opts.heartbeatMs ?? 1000;
  let summary: LiveSummary | null = null;
  const devices = new Map<string, DeviceLive>();
  const changed = new Set<string>();
  let summaryChanged = false;
  let alerts: readonly Alert[] = [];
  let alertsChanged = false;
  let notices: readonly Notice[] = [];
  let noticesChanged = false;
  let seq = 0;
  const peers = new Set<Peer>();
  const stats = { sent: 0, skipped: 0, upstreamGaps: 0 };
  // The pipeline as seen from here.
  let brokerUp = false;
  let ingestSeenAt: number | null = null;
  let ingestHeartbeatMs = 250;
  let lastPipeline = '';
  let lastSentAt = 0;

  const ingestTimeout = (): number => opts.ingestTimeoutMs ?? Math.max(2500, 8 * ingestHeartbeatMs);
  function pipeline(): PipelineState {
    const timeout = ingestTimeout();
    const ingest = brokerUp && ingestSeenAt !== null && now() - ingestSeenAt <= timeout;
    return { broker: brokerUp, ingest, ingestSeenAt };
  }

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: opts.maxClientMessageBytes ?? 4096,
  });

  function snapshotBody(p: string): string {
    return `"pipeline":${p},"summary":${JSON.stringify(summary)},"devices":${JSON.stringify([...devices.values()])},"alerts":${JSON.stringify(alerts)},"notices":${JSON.stringify(notices)}}`;
  }

  function send(peer: Peer, text: string): void {
    stats.sent++;
    peer.ws.send(text);
  }

  function sendSnapshot(peer: Peer, body = snapshotBody(JSON.stringify(pipeline()))): void {
    peer.seq++;
    peer.needsSnapshot = false;
    send(peer, `{"type":"snapshot","seq":${peer.seq},"at":${now()},${body}`);
  }

  function flush(): void {
    const p = JSON.stringify(pipeline());
    const pipelineChanged = p !== lastPipeline;
    lastPipeline = p;
    const dirty = summaryChanged || changed.size > 0 || alertsChanged || noticesChanged;
    // A heartbeat when nothing changed for a while, so browsers know the server is there.
    const due = dirty || pipelineChanged || now() - lastSentAt >= heartbeatMs;
    // Built once for every browser; only the sequence number differs.
    const rest = due
      ? `,"at":${now()},"pipeline":${p},"devices":${JSON.stringify([...changed].map((id) => devices.get(id)))}` +
        `${summaryChanged ? `,"summary":${JSON.stringify(summary)}` : ''}` +
        `${alertsChanged ? `,"alerts":${JSON.stringify(alerts)}` : ''}${noticesChanged ? `,"notices":${JSON.stringify(notices)}` : ''}}`
      : '';
    changed.clear();
    summaryChanged = false;
    alertsChanged = false;
    noticesChanged = false;
    if (due) lastSentAt = now();
    let snapshot: string | undefined;
    for (const peer of peers) {
      if (peer.ws.readyState !== peer.ws.OPEN) continue;
      if (peer.ws.bufferedAmount > maxBuffered) {
        // Skip it; once drained it gets a full snapshot instead of the deltas it missed.
        if (dirty) stats.skipped++;
        peer.needsSnapshot = true;
        continue;
      }
      // A browser that was skipped catches up as soon as it drains, changes or not.
      if (peer.needsSnapshot) sendSnapshot(peer, (snapshot ??= snapshotBody(p)));
      else if (due) {
        peer.seq++;
        send(peer, `{"type":"delta","seq":${peer.seq}${rest}`);
      }
    }
  }
  function applyLive(m: LiveMessage, heard = true): void {
    if (heard) ingestSeenAt = now();
    ingestHeartbeatMs = m.heartbeatMs;
    seq = m.seq;
    summary = m.summary;
    summaryChanged = true;
  }

  const flushTimer = setInterval(flush, opts.coalesceMs ?? 250);
  // A change of the open alerts goes out at once, not at the next tick: a new critical alert is
  // on the wall in the time the messages take. 30 ms later, so the statuses the ingest sends right
  // behind the alerts go in the same message (and at most one extra flush per 50 ms in a storm).
  let soon: NodeJS.Timeout | null = null;
  let lastSoonAt = 0;
  function flushSoon(): void {
    if (soon) return;
    soon = setTimeout(() => {
      soon = null;
      lastSoonAt = now();
      flush();
    }, Math.max(30, 50 - (now() - lastSoonAt)));
  }
  const pingTimer = setInterval(() => {
    for (const peer of peers) {
      if (!peer.alive) {
        peer.ws.terminate();
        continue;
      }
      peer.alive = false;
      peer.ws.ping();
    }
  }, opts.pingIntervalMs ?? 15_000);

  wss.on('connection', (ws, req) => {
    const peer: Peer = { ws, seq: 0, needsSnapshot: false, alive: true };
    peers.add(peer);
    log.info({ remote: req.socket.remoteAddress, clients: peers.size }, 'browser connected');
    ws.on('pong', () => (peer.alive = true));
    ws.on('message', (data, isBinary) => {
      let parsed: unknown;
      try {
        parsed = isBinary ? undefined : JSON.parse(data.toString());
      } catch {
        parsed = undefined;
      }
      const msg = wsClientMessageSchema.safeParse(parsed);
      if (!msg.success) {
        log.warn({ remote: req.socket.remoteAddress }, 'browser sent an invalid message; closing');
        ws.close(1008, 'invalid message');
        return;
      }
      if (msg.data.type === 'resync') sendSnapshot(peer);
    });
    ws.on('error', (err) => log.debug({ err: err.message }, 'browser socket error'));
    ws.on('close', () => {
      peers.delete(peer);
      log.info({ clients: peers.size }, 'browser disconnected');
    });
    sendSnapshot(peer);
  });

  return {
    applySnapshot(s, o = {}) {
      // A retained snapshot may be all that is left of an ingest that stopped: a sign of life only
      // when it is recent (the ingest publishes one as it subscribes, and every few seconds).
      applyLive(s, o.retained !== true || now() - s.summary.at <= ingestTimeout());
      // The retained snapshot repeats every few seconds: forward only devices that differ.
      const ids = new Set<string>();
      for (const d of s.devices) {
        ids.add(d.id);
        const old = devices.get(d.id);
        if (!old || old.seenAt !== d.seenAt || old.status !== d.status || old.cause !== d.cause) changed.add(d.id);
        devices.set(d.id, d);
      }
      for (const id of devices.keys()) if (!ids.has(id)) devices.delete(id);
    },
    applyDelta(d) {
      if (d.seq !== seq + 1) stats.upstreamGaps++;
      applyLive(d);
      for (const dev of d.devices) {
        devices.set(dev.id, dev);
        changed.add(dev.id);
      }
    },
    setBrokerConnected(up) {
      brokerUp = up;
    },
    applyAlerts(list) {
      alerts = list;
      alertsChanged = true;
      flushSoon();
    },
    applyNotices(list) {
      notices = list;
      noticesChanged = true;
    },
    notices: () => notices,
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    stats: () => ({ clients: peers.size, ...stats, seq, pipeline: pipeline() }),
    async close() {
      clearInterval(flushTimer);
      if (soon) clearTimeout(soon);
      clearInterval(pingTimer);
      for (const peer of peers) peer.ws.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const peer of peers) peer.ws.terminate();
    },
  };
}
