// The browser side of the live stream: connects, applies the snapshot then deltas, asks for a new
// snapshot when it sees a gap, and reconnects so a server restart never needs a page reload.
// Retry waits grow from 250 ms and are capped at 5 s, with jitter (a wall of screens does not
// reconnect in step); the page retries at once when the browser comes back online or visible. A
// socket that stays open but silent (the server sends at least one message a second) is closed
// and opened again, as a half-open connection after a network change would otherwise hang on.
import type { Alert, DeviceLive, LiveSummary, Notice, PipelineState, WsServerMessage } from '../../../shared/schema.ts';
import { liveSocketUrl } from './ws-url.ts';

export type ConnectionState = 'connecting' | 'open' | 'lost';

/** The browser's copy of the live state (the ingest's own is ingest/live-state.ts). */
export interface LiveMirror {
  summary: LiveSummary | null;
  devices: Map<string, DeviceLive>;
  alerts: Alert[];
  notices: Notice[];
  /** The pipeline behind the server, as of its last message (null before the first). */
  pipeline: PipelineState | null;
  /** Browser clock when the last message arrived (0: never). */
  receivedAt: number;
  /** Server clock of the last message. */
  serverAt: number;
}

export interface LiveUpdate {
  kind: 'snapshot' | 'delta';
  devices: DeviceLive[];
  summaryChanged: boolean;
  alertsChanged: boolean;
  noticesChanged: boolean;
}

export interface LiveClientOptions {
  /** ws(s):// URL of the live endpoint, asked at every (re)connect; default: this host's /ws with
   *  the viewer token (ws-url.ts). */
  url?: () => string;
  onState(state: LiveMirror, update: LiveUpdate): void;
  onConnection(state: ConnectionState, detail: { attempt: number; retryInMs?: number }): void;
  /** Backoff bounds, ms; default 250 and 5000. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** ms of silence on an open socket before it is given up and reopened; default 10 000. */
  silentSocketMs?: number;
}

export interface LiveClient {
  state: LiveMirror;
  /** Reconnects now if not connected (what `online` and `visibilitychange` do). */
  retryNow(): void;
  /** Browser clock of the next scheduled retry (0: none pending). */
  readonly nextRetryAt: number;
  /** Every retry wait so far, ms (diagnostics: capped, jittered). */
  readonly waits: readonly number[];
  close(): void;
}

export function connectLive(opts: LiveClientOptions): LiveClient {
  const state: LiveMirror = { summary: null, devices: new Map(), alerts: [], notices: [], pipeline: null, receivedAt: 0, serverAt: 0 };
  const url = opts.url ?? liveSocketUrl;
  const minDelay = opts.minDelayMs ?? 250;
  const maxDelay = opts.maxDelayMs ?? 5000;
  const silentMs = opts.silentSocketMs ?? 10_000;
  let ws: WebSocket | null = null;
  let attempt = 0;
  let lastSeq = 0;
  let closed = false;
  let timer: number | undefined;
  let nextRetryAt = 0;
  const waits: number[] = [];

  function schedule(): void {
    if (closed) return;
    // Capped exponential backoff; the jitter stays under the cap.
    const delay = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() * 0.5);
    attempt++;
    waits.push(Math.round(delay));
    if (waits.length > 100) waits.shift();
    nextRetryAt = Date.now() + delay;
    opts.onConnection('lost', { attempt, retryInMs: Math.round(delay) });
    timer = window.setTimeout(open, delay);
  }

  function open(): void {
    window.clearTimeout(timer);
    timer = undefined;
    nextRetryAt = 0;
    opts.onConnection('connecting', { attempt });
    const socket = new WebSocket(url());
    ws = socket;
    let openedAt = 0;
    socket.onopen = () => {
      attempt = 0;
      lastSeq = 0;
      openedAt = Date.now();
      opts.onConnection('open', { attempt });
    };
    socket.onmessage = (ev) => {
      let msg: WsServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as WsServerMessage;
      } catch {
        return;
      }
      state.receivedAt = Date.now();
      state.serverAt = msg.at;
      state.pipeline = msg.pipeline;
      if (msg.type === 'snapshot') {
        lastSeq = msg.seq;
        state.summary = msg.summary;
        state.devices = new Map(msg.devices.map((d) => [d.id, d]));
        state.alerts = msg.alerts;
        state.notices = msg.notices;
        opts.onState(state, { kind: 'snapshot', devices: msg.devices, summaryChanged: true, alertsChanged: true, noticesChanged: true });
        return;
      }
      if (msg.seq !== lastSeq + 1) {
        // A gap: what we hold may be stale; ask for the whole state instead of guessing.
        socket.send(JSON.stringify({ type: 'resync' }));
        return;
      }
      lastSeq = msg.seq;
      if (msg.summary) state.summary = msg.summary;
      for (const d of msg.devices) state.devices.set(d.id, d);
      if (msg.alerts) state.alerts = msg.alerts;
      if (msg.notices) state.notices = msg.notices;
      opts.onState(state, { kind: 'delta', devices: msg.devices, summaryChanged: msg.summary !== undefined, alertsChanged: msg.alerts !== undefined, noticesChanged: msg.notices !== undefined });
    };
    socket.onclose = () => {
      if (ws === socket) {
        ws = null;
        schedule();
      }
    };
    socket.onerror = () => socket.close();
    // An open socket that says nothing is as good as a closed one.
    const watchdog = window.setInterval(() => {
      if (ws !== socket) return window.clearInterval(watchdog);
      const heard = Math.max(openedAt, state.receivedAt);
      if (openedAt > 0 && Date.now() - heard > silentMs) {
        window.clearInterval(watchdog);
        ws = null;
        socket.close();
        schedule();
      }
    }, 1000);
  }

  function retryNow(): void {
    if (closed || ws !== null) return; // connected or connecting already
    attempt = 0;
    open();
  }

  addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') retryNow();
  });

  // Start on the next microtask, so callers can wire state before the first callback.
  queueMicrotask(open);
  return {
    state,
    retryNow,
    get nextRetryAt() {
      return nextRetryAt;
    },
    waits,
    close() {
      closed = true;
      window.clearTimeout(timer);
      ws?.close();
    },
  };
}
