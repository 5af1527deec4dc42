// Header: connection state, live ingest rate, clock; the lost-connection banner.
import { onRender } from '../app.ts';
import { clock, num, time } from '../format.ts';
import { t } from '../i18n.ts';

let retryAt = 0;

/** The live client's next retry, for the banner's countdown. */
export function noteRetry(ms: number): void {
  retryAt = Date.now() + ms;
}

export function setupHeader(): void {
  const conn = document.getElementById('conn')!;
  const connText = conn.querySelector<HTMLElement>('.conn-text')!;
  const rate = document.getElementById('rate')!;
  const clockEl = document.getElementById('clock')!;
  const banner = document.getElementById('lost-banner')!;

  onRender((app, reason) => {
    if (reason.live || reason.all) rate.textContent = app.live.summary ? num(app.live.summary.ingest.ratePerSec, 0) : '—';
    if (reason.tick || reason.all) clockEl.textContent = clock(Date.now());
    conn.dataset.state = app.connection;
    connText.textContent = t(app.connection);
    document.body.classList.toggle('disconnected', app.connection !== 'open');
    // The very first connect is not a loss; any later disconnection shows the banner until back.
    if (app.connection === 'open' || (app.lastOpenAt === 0 && retryAt === 0)) {
      banner.hidden = true;
      return;
    }
    const secs = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
    banner.hidden = false;
    banner.textContent = app.live.receivedAt > 0 ? t('lostBanner', { s: secs, t: time(app.live.receivedAt) }) : t('lostBannerNever', { s: secs });
  });
}
