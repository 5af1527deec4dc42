// The browser side of the live stream: connects, applies the snapshot then deltas, asks for a new
// snapshot when it sees a gap, and reconnects with capped exponential backoff (with jitter) so a
// server restart never needs a page reload.
import type { Alert, DeviceLive, LiveSummary, Notice, WsServerMessage } from '../../../shared/schema.ts';
import { liveSocketUrl } from './ws-url.ts';

export type ConnectionState = 'connecting' | 'open' | 'lost';

export interface LiveState {
  summary: LiveSummary | null;
  devices: Map<string, DeviceLive>;
  alerts: Alert[];
  notices: Notice[];
  /** Browser clock when the last message arrived (0: never). */
  receivedAt: number;
  /** Server clock of the last message. */
  serverAt: number;
}

export interface LiveUpdate {
  kind: 'snapshot' | 'delta';
  devices: DeviceLive[];
  alertsChanged: boolean;
  noticesChanged: boolean;
}

export interface LiveClientOptions {
  /** ws(s):// URL of the live endpoint, asked at every (re)connect; default: this host's /ws with
   *  the viewer token (ws-url.ts). */
  url?: () => string;
  onState(state: LiveState, update: LiveUpdate): void;
  onConnection(state: ConnectionState, detail: { attempt: number; retryInMs?: number }): void;
  /** Backoff bounds, ms; default 500 and 15 000. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export function connectLive(opts: LiveClientOptions): { close(): void; state: LiveState } {
  const state: LiveState = { summary: null, devices: new Map(), alerts: [], notices: [], receivedAt: 0, serverAt: 0 };
  const url = opts.url ?? liveSocketUrl;
  const minDelay = opts.minDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 15_000;
  let ws: WebSocket | null = null;
  let attempt = 0;
  let lastSeq = 0;
  let closed = false;
  let timer: number | undefined;

  function schedule(): void {
    if (closed) return;
    const delay = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 10)) * (0.7 + Math.random() * 0.6);
    attempt++;
    opts.onConnection('lost', { attempt, retryInMs: Math.round(delay) });
    timer = window.setTimeout(open, delay);
  }

  function open(): void {
    opts.onConnection('connecting', { attempt });
    const socket = new WebSocket(url());
    ws = socket;
    socket.onopen = () => {
      attempt = 0;
      lastSeq = 0;
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
      if (msg.type === 'snapshot') {
        lastSeq = msg.seq;
        state.summary = msg.state.summary;
        state.devices = new Map(msg.state.devices.map((d) => [d.id, d]));
        state.alerts = msg.state.alerts;
        state.notices = msg.state.notices;
        opts.onState(state, { kind: 'snapshot', devices: msg.state.devices, alertsChanged: true, noticesChanged: true });
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
      opts.onState(state, { kind: 'delta', devices: msg.devices, alertsChanged: msg.alerts !== undefined, noticesChanged: msg.notices !== undefined });
    };
    socket.onclose = () => {
      if (ws === socket) {
        ws = null;
        schedule();
      }
    };
    socket.onerror = () => socket.close();
  }

  // Start on the next microtask, so callers can wire state before the first callback.
  queueMicrotask(open);
  return {
    state,
    close() {
      closed = true;
      window.clearTimeout(timer);
      ws?.close();
    },
  };
}
