// Latest camera events as list rows (overview: 3, security page: many).
import type { App } from '../app.ts';
import { escapeHtml, num, time } from '../format.ts';
import { pick, t, type TextKey } from '../i18n.ts';
import type { LiveEvent } from '../../../../shared/schema.ts';

const SEVERE = new Set(['intrusion', 'tamper', 'video_loss']);

/** `withZone`: the wide list names the zone beside the device (the overview's is too narrow). */
export function eventRows(app: App, events: readonly LiveEvent[], limit: number, withZone = true): string {
  if (events.length === 0) return `<li class="empty">${escapeHtml(t('noData'))}</li>`;
  return events
    .slice(0, limit)
    .map((e) => {
      const device = app.deviceById.get(e.device);
      const zone = app.model.zones.find((z) => z.id === e.zone);
      const where = `${device ? pick(device.name, device.nameEn) : e.device}${withZone && zone ? ` · ${pick(zone.name, zone.nameEn)}` : ''}`;
      return `<li class="ev ${SEVERE.has(e.type) ? 'severe' : ''}" data-event="${escapeHtml(e.device)}:${e.seq}">
        <span class="ev-time">${time(e.ts)}</span><span class="ev-type">${escapeHtml(t(`ev_${e.type}` as TextKey))}</span>
        <span class="ev-where">${escapeHtml(where)}</span><span class="ev-conf">${num(e.confidence * 100)}%</span></li>`;
    })
    .join('');
}
