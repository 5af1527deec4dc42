// The control-room wall: boots the layout, loads the park model, KPIs and history, then follows the
// live WebSocket stream. URL parameters: lang=en, fit=fill, kiosk=1, carousel=<seconds>,
// page=overview|security|energy, layout=16x9|32x9|48x9, deviceClose=<seconds>, mute=1, staleAfter=<seconds>, chimeEvery=<seconds>, boardPage=<seconds>.
import '@fontsource/noto-sans-sc/400.css';
import '@fontsource/noto-sans-sc/700.css';
import '@fontsource/barlow-condensed/600.css';
import './style.css';
import type { ParkModelData } from '../../../shared/park-model.ts';
import type { KpiSet } from '../../../shared/schema.ts';
import { createApp, onRender, requestRender, type App, type Point } from './app.ts';
import { chimeStatus, setReminderMs } from './chime.ts';
import { createDeviceView } from './device-view.ts';
import { applyStaticText, lang } from './i18n.ts';
import { connectLive } from './live-client.ts';
import { liveness } from './liveness.ts';
import { setParkZone } from './park-time.ts';
import { setupAlertsBoard } from './panels/alerts-board.ts';
import { setupDetails } from './panels/details.ts';
import { setupEconomy } from './panels/economy.ts';
import { setupFreshness } from './panels/freshness.ts';
import { noteRetry, setupHeader } from './panels/header.ts';
import { setupMap } from './panels/map.ts';
import { setupNetwork } from './panels/network.ts';
import { setupNotices } from './panels/notices.ts';
import { setupPower } from './panels/power.ts';
import { setupRanking } from './panels/ranking.ts';
import { setupSecurity } from './panels/security.ts';
import { chartById, layout, onChartsRebuilt, px, resizeVisible, startFitting } from './scale.ts';

const params = new URLSearchParams(location.search);
const PAGES = ['overview', 'security', 'energy'] as const;
type Page = (typeof PAGES)[number];

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Fonts first: a canvas does not repaint when a late font arrives (docs/screen-design.md §3). */
async function fontsReady(): Promise<void> {
  const loads = ['400 16px "Noto Sans SC"', '700 16px "Noto Sans SC"', '600 16px "Barlow Condensed"'].map((f) => document.fonts.load(f, '0123丹徒园区'));
  await Promise.race([Promise.allSettled(loads), new Promise((r) => setTimeout(r, 3000))]);
}

type HistoryKey = keyof App['history'];
const HISTORY: [HistoryKey, string, number, number][] = [
  ['power', 'park.power', 3_600_000, 60_000],
  ['power24h', 'park.power', 86_400_000, 600_000],
  ['dl', 'node5g.dl', 3_600_000, 60_000],
  ['ul', 'node5g.ul', 3_600_000, 60_000],
  ['latency', 'node5g.latency', 3_600_000, 60_000],
  ['events24h', 'camera.events', 86_400_000, 3_600_000],
];

/** Chart history comes from the store (the screen's history endpoints); live samples follow. */
async function loadHistory(app: App, keys: HistoryKey[] = HISTORY.map((h) => h[0])): Promise<void> {
  const to = Date.now();
  await Promise.all(
    HISTORY.filter(([key]) => keys.includes(key)).map(async ([key, series, span, bucket]) => {
      const body = await getJson<{ points: { t: number; v: number }[] }>(`/api/history?series=${series}&from=${to - span}&to=${to}&bucketMs=${bucket}`);
      const hist: Point[] = body.points.map((p) => [p.t, Math.round(p.v * 100) / 100]);
      const live = app.history[key];
      const firstLive = live[0]?.[0] ?? Infinity;
      app.history[key] = [...hist.filter((p) => p[0] < firstLive), ...live];
    }),
  );
}

/** Default seconds per detail page in the second slot of a 32x9 wall. */
const WIDE_CAROUSEL_S = 30;

function setupPages(): void {
  const pages = [...document.querySelectorAll<HTMLElement>('.page')];
  const pager = document.getElementById('pager')!;
  const asked = (PAGES as readonly string[]).includes(params.get('page') ?? '') ? (params.get('page') as Page) : null;
  if (layout === '48x9') {
    // Three canvases: every page at once, nothing rotates.
    pages.forEach((el) => {
      el.dataset.slot = String(PAGES.indexOf(el.dataset.page as Page));
      el.classList.add('active');
    });
    document.body.dataset.page = 'all';
    resizeVisible();
    return;
  }
  if (layout === '32x9') {
    // Two canvases: the overview always, a detail page beside it (in turn).
    const interval = Number(params.get('carousel')) || WIDE_CAROUSEL_S;
    let detail: Page = asked && asked !== 'overview' ? asked : 'security';
    const showDetail = (page: Page): void => {
      detail = page;
      for (const el of pages) {
        const isOverview = el.dataset.page === 'overview';
        el.dataset.slot = isOverview ? '0' : '1';
        el.classList.toggle('active', isOverview || el.dataset.page === page);
      }
      document.body.dataset.page = page;
      resizeVisible();
    };
    showDetail(detail);
    window.setInterval(() => showDetail(detail === 'security' ? 'energy' : 'security'), interval * 1000);
    return;
  }
  const interval = Number(params.get('carousel')) || 0;
  let current: Page = asked ?? 'overview';
  const show = (page: Page): void => {
    current = page;
    for (const el of pages) el.classList.toggle('active', el.dataset.page === page);
    pager.innerHTML = interval > 0 || page !== 'overview' ? PAGES.map((p) => `<i class="${p === page ? 'on' : ''}" data-page="${p}"></i>`).join('') : '';
    document.body.dataset.page = page;
    resizeVisible();
  };
  show(current);
  if (interval > 0) window.setInterval(() => show(PAGES[(PAGES.indexOf(current) + 1) % PAGES.length]!), interval * 1000);
}

async function boot(): Promise<void> {
  if (params.get('kiosk') === '1') document.body.classList.add('kiosk');
  applyStaticText();
  startFitting();
  await fontsReady();

  const model = await getJson<ParkModelData>('/api/park');
  // Every time on the wall is the park's, whatever zone this PC is set to.
  setParkZone(model.timezone);
  void getJson<{ chimeReminderMs: number }>('/api/wall')
    .then((s) => setReminderMs(s.chimeReminderMs))
    .catch((err) => console.error('wall settings unavailable', err));
  const live = connectLive({
    onState: (_state, update) => requestRender(app, { live: update }),
    onConnection(state, detail) {
      app.connection = state;
      if (state === 'open') app.lastOpenAt = Date.now();
      document.body.dataset.connection = state;
      if (detail.retryInMs !== undefined) noteRetry(detail.retryInMs);
      requestRender(app, { tick: true });
    },
  });
  const app = createApp(model, live.state);
  setupHeader();
  setupFreshness();
  setupSecurity();
  setupNetwork();
  setupPower();
  // ?deviceClose=<seconds>: how long a device view stays open on the wall (default 60).
  const deviceView = createDeviceView({
    model,
    lang,
    container: document.getElementById('screen')!,
    live: (id) => ({ device: app.live.devices.get(id), serverNow: app.serverNow() }),
    autoCloseMs: (Number(params.get('deviceClose')) || 60) * 1000,
    px,
  });
  const openDevice = (id: string): void => void deviceView.open(id);
  setupMap(app, openDevice);
  setupAlertsBoard(openDevice);
  document.getElementById('camera-grid')!.addEventListener('click', (e) => {
    const tile = (e.target as HTMLElement).closest<HTMLElement>('[data-device]');
    if (tile) openDevice(tile.dataset.device!);
  });
  setupEconomy();
  setupRanking();
  setupNotices();
  setupDetails();
  setupPages();
  onChartsRebuilt(() => requestRender(app, { all: true }));

  // Diagnostics for tests and for an engineer at the wall's console.
  Object.assign(window, { __parkpulse: { app, chime: chimeStatus, live, liveness: () => liveness(app), chart: chartById, deviceView } });

  // The first full render: every panel has real data (used by the browser tests and the benchmark).
  const t0 = performance.now();
  let history = false;
  onRender((a) => {
    if (document.body.dataset.rendered === 'full') return;
    const n = a.live.summary?.newest;
    if (history && a.kpis && n && n.camera !== null && n.node5g !== null && n.meter !== null) {
      document.body.dataset.rendered = 'full';
      performance.mark('parkpulse:full-render');
      document.body.dataset.renderMs = String(Math.round(performance.now() - t0));
    }
  });

  const loadKpis = async (): Promise<void> => {
    const next = await getJson<KpiSet>('/api/kpis');
    if (JSON.stringify(next) !== JSON.stringify(app.kpis)) {
      app.kpis = next;
      requestRender(app, { kpis: true });
    }
  };
  await Promise.all([
    loadKpis().catch((err) => console.error('KPIs unavailable', err)),
    loadHistory(app)
      .then(() => (history = true))
      .catch((err) => console.error('history unavailable', err)),
  ]);
  requestRender(app, { all: true, history: true, kpis: true });

  window.setInterval(() => requestRender(app, { tick: true }), 1000);
  // KPIs are official statistics: an operator's replacement shows within a minute.
  window.setInterval(() => void loadKpis().catch(() => {}), 60_000);
  // The 24 h charts are rebuilt from the store every 10 minutes.
  window.setInterval(() => void loadHistory(app, ['power24h', 'events24h']).then(() => requestRender(app, { history: true })).catch(() => {}), 600_000);
}

void boot();
