// 今日用电排名: today's kWh per enterprise, ranked, each with its load against its contracted
// capacity (red above 100%). Scrolls when the list is longer than the panel.
import { onRender, type App } from '../app.ts';
import { escapeHtml, num } from '../format.ts';
import { pick } from '../i18n.ts';

const VISIBLE = 6;
const SCROLL_MS = 2500;

export interface EnterpriseRow {
  id: string;
  name: string;
  kw: number;
  kwhToday: number;
  contractKw: number;
  loadPct: number;
}

export function enterpriseRows(app: App): EnterpriseRow[] {
  const s = app.live.summary;
  if (!s) return [];
  return s.energy.enterprises
    .map((e) => {
      const ent = app.enterpriseById.get(e.id);
      const contractKw = ent?.contractKw ?? 0;
      return { id: e.id, name: ent ? pick(ent.short, ent.shortEn) : e.id, kw: e.kw, kwhToday: e.kwhToday, contractKw, loadPct: contractKw > 0 ? (e.kw / contractKw) * 100 : 0 };
    })
    .sort((a, b) => b.kwhToday - a.kwhToday);
}

export function setupRanking(): void {
  const board = document.getElementById('ranking')!;
  let rows: EnterpriseRow[] = [];
  let offset = 0;

  function draw(): void {
    const max = Math.max(1, ...rows.map((r) => r.kwhToday));
    const shown = rows.length > VISIBLE ? Array.from({ length: VISIBLE }, (_, i) => ({ r: rows[(offset + i) % rows.length]!, rank: ((offset + i) % rows.length) + 1 })) : rows.map((r, i) => ({ r, rank: i + 1 }));
    board.innerHTML = shown
      .map(({ r, rank }) => {
        const over = r.loadPct > 100;
        return `<div class="rank-row${over ? ' over' : ''}" data-enterprise="${escapeHtml(r.id)}">
          <span class="rank-no">${rank}</span><span class="rank-name">${escapeHtml(r.name)}</span>
          <span class="rank-kwh"><i style="width:${((r.kwhToday / max) * 100).toFixed(1)}%"></i><b>${num(r.kwhToday)}</b></span>
          <span class="rank-load" title="${num(r.kw)} / ${num(r.contractKw)} kW"><i style="width:${Math.min(100, r.loadPct).toFixed(1)}%"></i><b>${num(r.loadPct)}%</b></span></div>`;
      })
      .join('');
  }
  window.setInterval(() => {
    if (rows.length > VISIBLE) {
      offset = (offset + 1) % rows.length;
      draw();
    }
  }, SCROLL_MS);

  onRender((app, reason) => {
    if (!(reason.live || reason.all)) return;
    rows = enterpriseRows(app);
    draw();
  });
}
