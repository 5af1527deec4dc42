// 告警信息: the open alerts as a scroll board, coloured by severity. A new critical alert flashes;
// the chime sounds while any critical alert is unacknowledged. Rows carry data-alert-id and
// data-state so the console's effect on the wall is observable.
import type { Alert, AlertSeverity } from '../../../../shared/schema.ts';
import { onRender, type App } from '../app.ts';
import { chimeWhile, isMuted, setMuted } from '../chime.ts';
import { escapeHtml, time } from '../format.ts';
import { pick, t, type TextKey } from '../i18n.ts';

const VISIBLE_ROWS = 5;
const SCROLL_EVERY_MS = 3000;
const FLASH_MS = 10_000;
const RANK: Record<AlertSeverity, number> = { critical: 0, major: 1, minor: 2, warning: 3 };
const STATE_RANK: Record<Alert['state'], number> = { active: 0, flapping: 1, acknowledged: 2, shelved: 3, cleared: 4 };

function where(app: App, a: Alert): string {
  const device = app.deviceById.get(a.device);
  const zone = app.model.zones.find((z) => z.id === a.zone);
  return `${device?.name ?? a.device}${zone ? ` · ${pick(zone.name, zone.nameEn)}` : ''}`;
}

export function setupAlertsBoard(): void {
  const board = document.getElementById('alerts-ticker')!;
  const count = document.getElementById('alerts-count')!;
  const mute = document.getElementById('mute') as HTMLButtonElement;
  const seen = new Set<string>();
  const flashUntil = new Map<string, number>();
  let first = true;
  let offset = 0;
  let rows: Alert[] = [];

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
    if (rows.length === 0) {
      board.innerHTML = `<div class="board-empty">${escapeHtml(t('noAlerts'))}</div>`;
      return;
    }
    // Scroll only when there are more alerts than rows (DV ScrollBoard); the list wraps around.
    const scrolling = rows.length > VISIBLE_ROWS;
    const shown = scrolling ? Array.from({ length: VISIBLE_ROWS }, (_, i) => rows[(offset + i) % rows.length]!) : rows;
    board.innerHTML = shown
      .map((a) => {
        const flash = (flashUntil.get(a.id) ?? 0) > now ? ' flash' : '';
        return `<div class="row sev-${a.severity} st-${a.state}${flash}" data-alert-id="${escapeHtml(a.id)}" data-state="${a.state}" data-severity="${a.severity}">
          <span>${time(a.openedAt)}</span><span class="sev">${escapeHtml(t(`sev_${a.severity}` as TextKey))}</span>
          <span class="where">${escapeHtml(where(app, a))}</span><span class="what">${escapeHtml(pick(a.title, a.titleEn))}${a.count > 1 ? ` ×${a.count}` : ''}</span>
          <span class="state">${escapeHtml(t(`state_${a.state}` as TextKey))}${a.ack ? ` · ${escapeHtml(a.ack.by)}` : ''}</span></div>`;
      })
      .join('');
  }

  let lastApp: App | null = null;
  window.setInterval(() => {
    if (rows.length > VISIBLE_ROWS && lastApp) {
      offset = (offset + 1) % rows.length;
      draw(lastApp);
    }
  }, SCROLL_EVERY_MS);

  onRender((app, reason) => {
    lastApp = app;
    if (!(reason.all || reason.live?.alertsChanged)) {
      if (reason.tick && [...flashUntil.values()].some((u) => u > Date.now() - 1000)) draw(app);
      return;
    }
    const open = app.live.alerts.filter((a) => a.state !== 'cleared');
    rows = open.sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || RANK[a.severity] - RANK[b.severity] || b.updatedAt - a.updatedAt);
    const now = Date.now();
    for (const a of rows) {
      // The first snapshot is history, not news: flash only what appears while we watch.
      if (!seen.has(a.id) && !first && a.severity === 'critical') flashUntil.set(a.id, now + FLASH_MS);
      seen.add(a.id);
    }
    first = false;
    if (offset >= rows.length) offset = 0;
    count.textContent = String(rows.length);
    chimeWhile(rows.some((a) => a.severity === 'critical' && (a.state === 'active' || a.state === 'flapping')));
    document.body.classList.toggle('critical-open', rows.some((a) => a.severity === 'critical' && a.state === 'active'));
    draw(app);
  });
}
