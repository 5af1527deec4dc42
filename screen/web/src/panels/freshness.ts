// Honest freshness: every tile shows the age of its newest data and turns grey with "N 秒前" once
// that is older than the tile's maximum age, or at once when the wall has no data (liveness.ts):
// data is never shown as current when it is not. The alert board (tile `alerts`) is as fresh as
// the ingest's last word, since the ingest owns the alerts.
import { onRender, type App } from '../app.ts';
import { ageText } from '../format.ts';
import { t } from '../i18n.ts';
import { liveness } from '../liveness.ts';

/** Seconds after which a tile is stale; `?staleAfter=` overrides (default 30 s, 10x the device interval). */
const STALE_AFTER_MS = (Number(new URLSearchParams(location.search).get('staleAfter')) || 30) * 1000;

function newestFor(app: App, tile: string): number | null {
  const s = app.live.summary;
  if (!s) return null;
  if (tile === 'alerts') return s.at;
  const n = s.newest;
  if (tile === 'any') {
    const all = [n.camera, n.node5g, n.meter].filter((x): x is number => x !== null);
    return all.length > 0 ? Math.max(...all) : null;
  }
  return n[tile as 'camera' | 'node5g' | 'meter'] ?? null;
}

export function setupFreshness(): void {
  const tiles = [...document.querySelectorAll<HTMLElement>('[data-tile]')];
  onRender((app) => {
    const now = app.serverNow();
    const live = liveness(app).live;
    for (const tile of tiles) {
      const kind = tile.dataset.tile!;
      const newest = newestFor(app, kind);
      const age = tile.querySelector<HTMLElement>('.age');
      const stale = !live || newest === null || (kind !== 'alerts' && now - newest > STALE_AFTER_MS);
      tile.classList.toggle('stale', stale);
      tile.dataset.ageMs = newest === null ? '' : String(Math.max(0, now - newest));
      // The board says its age only when it is stale (its rows carry their own times).
      if (age) age.textContent = kind === 'alerts' && !stale ? '' : newest === null ? t('noData') : ageText(now - newest);
    }
  });
}
