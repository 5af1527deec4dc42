// 多媒体信息发布: operator notices as a marquee (content duplicated, translateX at ~60 px/s).
import type { Notice } from '../../../../shared/schema.ts';
import { onRender } from '../app.ts';
import { escapeHtml } from '../format.ts';
import { pick, t } from '../i18n.ts';
import { px } from '../scale.ts';

const SPEED_DESIGN_PX_PER_S = 60;

export function activeNotices(notices: readonly Notice[], now: number): Notice[] {
  return notices.filter((n) => n.from <= now && (n.until === null || n.until > now));
}

export function setupNotices(): void {
  const track = document.getElementById('notice-track')!;
  let shown = '';
  onRender((app, reason) => {
    if (!(reason.all || reason.live?.noticesChanged || reason.tick)) return;
    const list = activeNotices(app.live.notices, app.serverNow());
    const key = list.map((n) => n.id).join(',');
    if (key === shown && !reason.all) return;
    shown = key;
    if (list.length === 0) {
      track.classList.remove('moving');
      track.innerHTML = `<span class="notice empty">${escapeHtml(t('noNotices'))}</span>`;
      return;
    }
    const items = list.map((n) => `<span class="notice lvl-${n.level}" data-notice-id="${escapeHtml(n.id)}">${escapeHtml(pick(n.text, n.textEn))}</span>`).join('');
    // Two copies side by side: when the first has scrolled out, the second sits where it began.
    track.innerHTML = `<span class="copy">${items}</span><span class="copy" aria-hidden="true">${items}</span>`;
    track.classList.add('moving');
    const width = (track.firstElementChild as HTMLElement).offsetWidth;
    track.style.setProperty('--marquee-duration', `${Math.max(8, width / px(SPEED_DESIGN_PX_PER_S))}s`);
  });
}
