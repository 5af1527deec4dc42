// Honest freshness: every tile shows the age of its newest data and turns grey with "N s ago"
// once that is older than the tile's maximum age. Data never shown as current when it is not.
import { onRender, type App } from '../app.ts';
import { t } from '../i18n.ts';

/** Seconds after which a tile is stale; `?staleAfter=` overrides (default 30 s, 10x the device interval). */
const STALE_AFTER_MS = (Number(new URLSearchParams(location.search).get('staleAfter')) || 30) * 1000;

function newestFor(app: App, tile: string): number | null {
  const n = app.live.summary?.newest;
  if (!n) return null;
  if (tile === 'any') {
    const all = [n.camera, n.node5g, n.meter].filter((x): x is number => x !== null);
    return all.length > 0 ? Math.max(...all) : null;
  }
  return n[tile as 'camera' | 'node5g' | 'meter'] ?? null;
}

function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? t('ago', { n: s }) : t('agoMin', { n: Math.round(s / 60) });
}

export function setupFreshness(): void {
  const tiles = [...document.querySelectorAll<HTMLElement>('[data-tile]')];
  onRender((app) => {
    const now = app.serverNow();
    for (const tile of tiles) {
      const newest = newestFor(app, tile.dataset.tile!);
      const age = tile.querySelector<HTMLElement>('.age');
      const stale = newest === null || now - newest > STALE_AFTER_MS;
      tile.classList.toggle('stale', stale);
      tile.dataset.ageMs = newest === null ? '' : String(Math.max(0, now - newest));
      if (age) age.textContent = newest === null ? t('noData') : ageText(now - newest);
    }
  });
}
