// The open alerts, live, from the screen's WebSocket (/ws), through the wall's own live client
// (snapshot, deltas, resync on a gap, reconnect with backoff) and its socket address (ws-url.ts:
// with the viewer token when this browser has one). The server also lets a signed-in operator's
// session cookie open the socket, so the console needs no token of its own.
import type { Alert } from '../../../../shared/schema.ts';
import { connectLive, type ConnectionState, type LiveClient } from '../live-client.ts';
import { liveSocketUrl } from '../ws-url.ts';

export type FeedState = ConnectionState;

/** The live client itself is returned: its mirror also holds every device's live values (the device view reads them). */
export function connectAlertsFeed(opts: { onAlerts(alerts: Alert[]): void; onState(state: FeedState): void }): LiveClient {
  return connectLive({
    url: liveSocketUrl,
    onState(state, update) {
      if (update.alertsChanged) opts.onAlerts(state.alerts);
    },
    onConnection: (state) => opts.onState(state),
  });
}
