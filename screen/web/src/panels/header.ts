// Header: whether the wall is live (liveness.ts), the ingest rate, the clock; the banner that says
// why there is no data and as of when the wall's data is.
import { onRender } from '../app.ts';
import { ageText, clock, num, time } from '../format.ts';
import { t, type TextKey } from '../i18n.ts';
import { liveness } from '../liveness.ts';

let retryAt = 0;

/** The live client's next retry, for the banner's countdown. */
export function noteRetry(ms: number): void {
  retryAt = Date.now() + ms;
}

const BANNER: Record<string, TextKey> = { socket: 'lostBanner', 'server-silent': 'silentBanner', broker: 'brokerBanner', ingest: 'ingestBanner', connecting: 'lostBannerNever' };

export function setupHeader(): void {
  const conn = document.getElementById('conn')!;
  const connText = conn.querySelector<HTMLElement>('.conn-text')!;
  const rate = document.getElementById('rate')!;
  const clockEl = document.getElementById('clock')!;
  const banner = document.getElementById('lost-banner')!;

  onRender((app, reason) => {
    const l = liveness(app);
    // No data, no rate: a frozen "42 msg/s" would claim the pipeline is flowing.
    rate.textContent = l.live && app.live.summary ? num(app.live.summary.ingest.ratePerSec, 0) : '—';
    if (reason.tick || reason.all) clockEl.textContent = clock(Date.now());
    const state = l.live ? 'live' : l.reason === 'connecting' && app.lastOpenAt === 0 ? 'connecting' : 'nodata';
    conn.dataset.state = state;
    conn.dataset.reason = l.reason ?? '';
    connText.textContent = state === 'live' ? t('open') : state === 'connecting' ? t('connecting') : l.ageMs === null ? t('noDataHeader') : `${t('noDataHeader')} · ${ageText(l.ageMs)}`;
    document.body.classList.toggle('no-data', !l.live);
    document.body.classList.toggle('disconnected', app.connection !== 'open');
    // The very first connect is not a loss; any later loss of data shows the banner until back.
    if (l.live || (app.lastOpenAt === 0 && retryAt === 0)) {
      banner.hidden = true;
      return;
    }
    const secs = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
    const asOf = l.dataAt === null ? '—' : time(l.dataAt);
    banner.hidden = false;
    banner.dataset.reason = l.reason ?? '';
    const key = l.reason === 'socket' && app.live.receivedAt === 0 ? 'lostBannerNever' : BANNER[l.reason ?? 'socket']!;
    banner.textContent = t(key, { s: secs, t: asOf });
  });
}
