// The wall's own settings, from the screen server's configuration (a wall PC has no config file of
// its own): how often the chime reminds while a critical alert is unacknowledged.
import type { Route } from './http-kit.ts';

export interface WallSettings {
  /** ms between chime reminders while any critical alert is unacknowledged. */
  chimeReminderMs: number;
}

export const DEFAULT_CHIME_REMINDER_MS = 60_000;

export function wallRoutes(settings: WallSettings): Route[] {
  const body = JSON.stringify(settings);
  return [
    {
      method: 'GET',
      path: '/api/wall',
      handle: ({ res }) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }).end(body);
      },
    },
  ];
}
