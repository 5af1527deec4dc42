// 告警信息: the open alerts, ordered and paged by alert-order.ts: new critical and major alerts are
// pinned at the top (flashing for their first seconds), the rest page through the remaining rows,
// and a footer says how many more are open, by severity. Acknowledged, shelved and recovered
// alerts look settled: no flash, who took them on (and until when) shown. The chime (chime.ts)
// sounds once per new critical alert and reminds while any is unacknowledged. Rows carry
// data-alert-id, data-state and data-pinned so the console's effect on the wall is observable.
import type { Alert, AlertSeverity } from '../../../../shared/schema.ts';
import { onRender, type App } from '../app.ts';
import { chimeFor, isMuted, setMuted } from '../chime.ts';
import { escapeHtml, time } from '../format.ts';
import { pick, t, type TextKey } from '../i18n.ts';
import { hm } from '../park-time.ts';
import { isSettled, isUnacknowledged, layoutBoard, SEVERITY_RANK } from './alert-order.ts';

const ROWS = 5;
/** ms per page of the unpinned rows; `?boardPage=<seconds>` overrides (default 5). */
const PAGE_MS = (Number(new URLSearchParams(location.search).get('boardPage')) || 5) * 1000;
const FLASH_MS = 10_000;
const SEVERITIES = Object.keys(SEVERITY_RANK) as AlertSeverity[];

/** The zone, and the enterprise where the alert has one. */
function where(app: App, a: Alert): string {
  const zone = app.model.zones.find((z) => z.id === a.zone);
  const ent = a.enterprise ? app.enterpriseById.get(a.enterprise) : undefined;
  return [zone ? pick(zone.name, zone.nameEn) : a.zone, ent ? pick(ent.short, ent.shortEn) : ''].filter(Boolean).join(' · ');
}

/** The state, and on a second line who took the alert on (and until when it is shelved). */
function stateText(a: Alert): [string, string] {
  if (a.state === 'shelved') {
    const until = a.shelvedUntil !== null ? hm(a.shelvedUntil) : '—';
    return [t('state_shelved'), a.shelf ? t('shelvedBy', { by: a.shelf.by, t: until }) : t('shelvedUntil', { t: until })];
  }
  const by = a.ack ? t('ackedBy', { by: a.ack.by }) : '';
  if (a.normalSince !== null) return [t('recovering'), t(`state_${a.state}` as TextKey) + (by ? ` · ${by}` : '')];
  return [t(`state_${a.state}` as TextKey), by];
}

/** `openDevice`: a click or touch on a row opens the alert's device view. */
export function setupAlertsBoard(openDevice: (id: string) => void = () => {}): void {
  const board = document.getElementById('alerts-ticker')!;
  const footer = document.getElementById('alerts-more')!;
  const count = document.getElementById('alerts-count')!;
  const mute = document.getElementById('mute') as HTMLButtonElement;
  board.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('.row[data-device]');
    if (row) openDevice(row.dataset.device!);
  });
  const firstSeen = new Map<string, number>();
  let first = true;
  let page = 0;
  let open: Alert[] = [];
  let lastApp: App | null = null;
  let lastRows = '';

  const renderMute = (): void => {
    mute.textContent = `♪ ${isMuted() ? t('mute') : t('unmute')}`;
    mute.setAttribute('aria-pressed', String(isMuted()));
  };
  const toggle = (): void => {
    setMuted(!isMuted());
    renderMute();
  };
  mute.addEventListener('click', toggle);
  addEventListener('keydown', (e) => {
    if (e.key === 'm' || e.key === 'M') toggle();
  });
  renderMute();

  function draw(app: App): void {
    const now = Date.now();
    if (open.length === 0) {
      board.innerHTML = `<div class="board-empty">${escapeHtml(t('noAlerts'))}</div>`;
      lastRows = '';
      footer.textContent = '';
      return;
    }
    const layout = layoutBoard(open, firstSeen, now, ROWS, page);
    const html = layout.rows
      .map(({ alert: a, pinned }) => {
        const seen = firstSeen.get(a.id) ?? 0;
        const flash = pinned && now - seen < FLASH_MS ? ' flash' : '';
        const settled = isSettled(a) ? ' settled' : '';
        const state = stateText(a);
        return `<div class="row sev-${a.severity} st-${a.state}${flash}${settled}${pinned ? ' pinned' : ''}" data-alert-id="${escapeHtml(a.id)}" data-device="${escapeHtml(a.device)}" data-opened-at="${a.openedAt}" data-state="${a.state}" data-severity="${a.severity}" data-pinned="${pinned}" data-recovering="${a.normalSince !== null}">
          <span>${time(a.openedAt)}</span><span class="sev">${pinned ? `<i class="new">${escapeHtml(t('alertsNew'))}</i>` : ''}${escapeHtml(t(`sev_${a.severity}` as TextKey))}</span>
          <span class="two what"><b>${escapeHtml(pick(a.title, a.titleEn))}${a.count > 1 ? ` ×${a.count}` : ''}</b><small class="where">${escapeHtml(where(app, a))}</small></span>
          <span class="two state"><span>${escapeHtml(state[0])}</span><small>${escapeHtml(state[1])}</small></span></div>`;
      })
      .join('');
    // Rows are rewritten only when they change: a row being touched or clicked stays the same element.
    if (html !== lastRows) board.innerHTML = lastRows = html;
    if (layout.moreTotal === 0) {
      footer.textContent = '';
      footer.dataset.more = '0';
      return;
    }
    footer.dataset.more = String(layout.moreTotal);
    const bySeverity = SEVERITIES.filter((s) => layout.more[s] > 0)
      .map((s) => `<b class="sev-${s}" data-severity="${s}" data-count="${layout.more[s]}">${escapeHtml(t(`sev_${s}` as TextKey))} ${layout.more[s]}</b>`)
      .join(' · ');
    footer.innerHTML = `${escapeHtml(t('alertsMore', { n: layout.moreTotal }))}${bySeverity}${layout.pages > 1 ? `<span class="page">${escapeHtml(t('alertsPage', { p: layout.page, n: layout.pages }))}</span>` : ''}`;
  }

  window.setInterval(() => {
    page++;
    if (lastApp && open.length > ROWS) draw(lastApp);
  }, PAGE_MS);

  onRender((app, reason) => {
    lastApp = app;
    if (!(reason.all || reason.live?.alertsChanged)) {
      // Flashes end and new alerts stop being pinned with time.
      if (reason.tick && open.length > 0) draw(app);
      return;
    }
    if (app.live.receivedAt === 0) return; // nothing from the server yet
    open = app.live.alerts.filter((a) => a.state !== 'cleared');
    const now = Date.now();
    let news = 0;
    for (const a of open) {
      if (firstSeen.has(a.id)) continue;
      // The first snapshot is history, not news: no pin, no flash, no chime for it.
      firstSeen.set(a.id, first ? 0 : now);
      if (!first && a.severity === 'critical' && isUnacknowledged(a)) news++;
    }
    if (news > 0) page = 0;
    const ids = new Set(open.map((a) => a.id));
    for (const id of firstSeen.keys()) if (!ids.has(id)) firstSeen.delete(id);
    first = false;
    count.textContent = String(open.length);
    const unacknowledgedCritical = open.some((a) => a.severity === 'critical' && isUnacknowledged(a));
    chimeFor(news, unacknowledgedCritical);
    document.body.classList.toggle('critical-open', unacknowledgedCritical);
    draw(app);
  });
}
