// The open alerts, live, from the screen's WebSocket (/ws), through the wall's own live client
// (snapshot, deltas, resync on a gap, reconnect with backoff). The URL comes from `liveUrl`, which
// a deployment that puts a viewer token on the upgrade can replace (setLiveUrl) in one place.
import type { Alert } from '../../../../shared/schema.ts';
import { connectLive, type ConnectionState } from '../live-client.ts';

let liveUrl = (): string => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
export function setLiveUrl(fn: () => string): void {
  liveUrl = fn;
}

export type FeedState = ConnectionState;

export function connectAlertsFeed(opts: { onAlerts(alerts: Alert[]): void; onState(state: FeedState): void }): { close(): void } {
  return connectLive({
    url: () => liveUrl(),
    onState(state, update) {
      if (update.alertsChanged) opts.onAlerts(state.alerts);
    },
    onConnection: (state) => opts.onState(state),
  });
}
