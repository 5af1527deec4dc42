// The browser side of the live stream: connects, applies the snapshot then deltas, asks for a new
// snapshot when it sees a gap, and reconnects with capped exponential backoff (with jitter) so a
// server restart never needs a page reload.
import type { DeviceLive, LiveSummary, WsServerMessage } from '../../../shared/schema.ts';
import { liveSocketUrl } from './ws-url.ts';

export type ConnectionState = 'connecting' | 'open' | 'lost';

export interface LiveState {
  summary: LiveSummary | null;
  devices: Map<string, DeviceLive>;
  /** Browser clock when the last message arrived. */
  receivedAt: number;
  /** Server clock of the last message. */
  serverAt: number;
}

export interface LiveClientOptions {
  /** Default: this page's host, /ws, with the viewer token (ws-url.ts). */
  url?: string;
  onState(state: LiveState, changed: DeviceLive[], kind: 'snapshot' | 'delta'): void;
  onConnection(state: ConnectionState, detail: { attempt: number; retryInMs?: number }): void;
  /** Backoff bounds, ms; default 500 and 15 000. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export function connectLive(opts: LiveClientOptions): { close(): void } {
  const state: LiveState = { summary: null, devices: new Map(), receivedAt: 0, serverAt: 0 };
  const url = opts.url ?? liveSocketUrl();
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
    const socket = new WebSocket(url);
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
        opts.onState(state, msg.state.devices, 'snapshot');
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
      opts.onState(state, msg.devices, 'delta');
    };
    socket.onclose = () => {
      if (ws === socket) {
        ws = null;
        schedule();
      }
    };
    socket.onerror = () => socket.close();
  }

  open();
  return {
    close() {
      closed = true;
      window.clearTimeout(timer);
      ws?.close();
    },
  };
}
