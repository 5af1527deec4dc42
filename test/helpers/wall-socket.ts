// The wall's live socket as a browser tab holds it: /ws on the screen server. Its snapshot (on
// connect) carries the full alert and notice lists, and an update carries a list again whenever
// that list changed; tests read what the wall would show now.
import WebSocket from 'ws';
import type { Alert, Notice, WsServerMessage } from '../../shared/schema.ts';

export interface WallSocket {
  /** The open alerts the wall shows now. */
  alerts(): Alert[];
  /** The notices the wall shows now. */
  notices(): Notice[];
  close(): void;
}

/** Connects to the screen's /ws (`park.screenWsUrl`) and resolves once the socket is open. */
export async function openWallSocket(url: string): Promise<WallSocket> {
  const ws = new WebSocket(url);
  let alerts: Alert[] = [];
  let notices: Notice[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as WsServerMessage;
    if (m.type === 'snapshot') {
      alerts = m.alerts;
      notices = m.notices;
      return;
    }
    if (m.alerts) alerts = m.alerts;
    if (m.notices) notices = m.notices;
  });
  await new Promise((r) => ws.once('open', r));
  return { alerts: () => alerts, notices: () => notices, close: () => ws.close() };
}
