// The open alerts, live, from the screen's WebSocket (/ws): the snapshot's `state.alerts`, then
// every delta that carries `alerts`. A gap in the sequence asks for a snapshot; a lost connection
// retries with capped backoff. The socket is opened through `openSocket`, which a deployment that
// requires a viewer token on the upgrade can replace (setSocketOpener) without touching the rest.
import type { Alert, WsServerMessage } from '../../../../shared/schema.ts';

export type SocketOpener = (url: string) => WebSocket;
let openSocket: SocketOpener = (url) => new WebSocket(url);
export function setSocketOpener(opener: SocketOpener): void {
  openSocket = opener;
}

export type FeedState = 'connecting' | 'open' | 'lost';

export function connectAlertsFeed(opts: { onAlerts(alerts: Alert[]): void; onState(state: FeedState): void }): { close(): void } {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  let ws: WebSocket | null = null;
  let lastSeq = 0;
  let attempt = 0;
  let closed = false;
  let timer: number | undefined;

  function open(): void {
    opts.onState('connecting');
    const socket = openSocket(url);
    ws = socket;
    socket.onopen = () => {
      attempt = 0;
      lastSeq = 0;
      opts.onState('open');
    };
    socket.onmessage = (ev) => {
      let msg: WsServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as WsServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'snapshot') {
        lastSeq = msg.seq;
        opts.onAlerts(msg.state.alerts);
        return;
      }
      if (msg.seq !== lastSeq + 1) {
        socket.send(JSON.stringify({ type: 'resync' }));
        return;
      }
      lastSeq = msg.seq;
      if (msg.alerts) opts.onAlerts(msg.alerts);
    };
    socket.onclose = () => {
      if (ws !== socket || closed) return;
      ws = null;
      opts.onState('lost');
      const delay = Math.min(15_000, 500 * 2 ** Math.min(attempt++, 10)) * (0.7 + Math.random() * 0.6);
      timer = window.setTimeout(open, delay);
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
