/// <reference lib="dom" />
// The wall screen in real Chromium against the real park: every panel shows real data, crisp at
// 1920x1080 and 3840x2160 (screenshots saved under artifacts/screen/), live values move, tiles go
// stale when the devices stop, and a server restart shows the banner then recovers without reload.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../ingest/store/sqlite-store.ts';
import { createScreen } from '../../screen/server/create-screen.ts';
import { listenScreen } from '../../screen/server/listen.ts';
import { STATIC_DIR } from '../../bin/services.ts';
import type { Alert } from '../../shared/schema.ts';
import { alertsActiveTopic, noticesTopic } from '../../shared/topics.ts';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../../testkit/browser.ts';
import { startParkFleet } from '../helpers/park-fleet.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

const ARTIFACTS = join(process.cwd(), 'artifacts', 'screen');

const alert = (over: Partial<Alert>): Alert => ({
  id: 'camera-intrusion-cam-007-1', key: 'camera-intrusion:cam-007', rule: 'camera-intrusion', severity: 'critical', state: 'active',
  device: 'cam-007', kind: 'camera', zone: 'mfg', enterprise: 'zhonghai', title: '区域入侵', titleEn: 'Intrusion', detail: { confidence: 0.93 },
  openedAt: Date.now(), updatedAt: Date.now(), lastSeenAt: Date.now(), count: 1, ack: null, shelvedUntil: null, clearedAt: null, clearReason: null, escalations: 0,
  shelf: null, escalatedAt: null, recoveredAt: null, flips: 0, normalSince: null,
  ...over,
});

describe.skipIf(!CHROMIUM)('wall screen in Chromium', () => {
  let park: TestPark;
  let fleet: Fleet;
  let browser: Browser;
  let page: Page;
  let ops: mqtt.MqttClient;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    park = await startPark({ coalesceMs: 200 });
    fleet = await startParkFleet(park, 300);
    browser = await launchBrowser({ width: 1920, height: 1080 });
    page = await browser.context.newPage();
    // staleAfter=4: tiles go grey 4 s after their newest data (default 30 s) so the test is quick.
    await page.goto(`${park.screenUrl}/?token=${park.provisioned.viewerToken}&staleAfter=4`);
    await page.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
  });
  afterAll(async () => {
    await ops?.endAsync();
    await browser?.close();
    await fleet?.close();
    await park?.stop();
  });

  const text = (sel: string): Promise<string> => page.locator(sel).first().innerText();
  const number = async (sel: string): Promise<number> => Number((await text(sel)).replace(/[^\d.-]/g, ''));

  it('renders every panel with real data at 1920x1080', async () => {
    await page.waitForTimeout(1500); // let tweens settle
    expect(await number('#cam-total')).toBe(park.model.devicesOfKind('camera').length);
    expect(await number('#cam-online')).toBe(park.model.devicesOfKind('camera').length);
    expect(await number('#node-up')).toBe(12);
    expect(await number('#power-total')).toBeGreaterThan(1000);
    expect(await text('#rate')).toMatch(/\d/);
    expect(await page.locator('#latest-events li').count()).toBeGreaterThan(0);

    const strip = await text('#kpi-strip');
    for (const v of ['2.58', '57.73', '10.89', '11.69', '8.17', '109.56', '72.47', '211', '2024年1—6月', '崔宁华']) expect(strip).toContain(v);
    const economy = await text('#economy');
    for (const v of ['2.1', '2024年1—5月', '3.65', '75']) expect(economy).toContain(v);
    const projects = await text('#projects');
    for (const v of ['联东U谷', '帝高力', '恒欣生物', '远海包装', '杜拓跨境电商', '9', '20', '17', '5', '企业风采']) expect(projects).toContain(v);

    const ranking = page.locator('#ranking .rank-row');
    expect(await ranking.count()).toBe(6);
    expect(await ranking.first().locator('.rank-load b').innerText()).toMatch(/\d+%/);
    expect(await text('#map-legend')).toContain(`在线 ${park.model.devices.length}`);
    expect(await text('#alerts-ticker')).toContain('当前无告警');
    await page.screenshot({ path: join(ARTIFACTS, 'wall-1920x1080.png') });
  });

  it('rotates the enterprise spotlight through the companies the article features', async () => {
    const spotlight = async (): Promise<string> => text('#spotlight');
    const seen = new Set<string>();
    await waitFor('both spotlights in turn', async () => {
      const s = await spotlight();
      if (s.includes('龙源铝业')) {
        expect(s).toContain('3,000'); // monthly output above plan, 吨
        expect(s).toContain('+10'); // orders YoY, %
        seen.add('longyuan');
      }
      if (s.includes('中海桥梁')) seen.add('zhonghai');
      return seen.size === 2;
    }, 25_000, 500);
  });

  it('loads chart history from the store endpoints', async () => {
    const history = await page.evaluate(() => {
      const app = (window as unknown as { __parkpulse: { app: { history: Record<string, unknown[]> } } }).__parkpulse.app;
      return Object.fromEntries(Object.entries(app.history).map(([k, v]) => [k, v.length]));
    });
    expect(history.power).toBeGreaterThan(0);
    expect(history.dl).toBeGreaterThan(0);
  });

  it('changes live values within seconds', async () => {
    const before = await text('#power-total');
    const beforeEvents = await page.locator('#latest-events').innerHTML();
    await waitFor('the power figure to move', async () => (await text('#power-total')) !== before || (await page.locator('#latest-events').innerHTML()) !== beforeEvents, 5000);
  });

  it('shows alerts live: a new critical alert flashes and chimes until acknowledged', async () => {
    ops = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-ingest-wall-test', username: 'svc-ingest', password: park.provisioned.serviceSecrets.ingest });
    const a = alert({});
    await ops.publishAsync(alertsActiveTopic(park.model.id), JSON.stringify({ at: Date.now(), alerts: [a] }), { qos: 1, retain: true });
    const row = page.locator(`#alerts-ticker [data-alert-id="${a.id}"]`);
    await row.waitFor({ timeout: 3000 });
    expect(await row.getAttribute('data-state')).toBe('active');
    expect(await row.getAttribute('class')).toContain('flash');
    expect(await row.innerText()).toContain('中海桥梁');
    const chime = async (): Promise<{ wanted: boolean; played: number }> => page.evaluate(() => (window as unknown as { __parkpulse: { chime: { wanted: boolean; played: number } } }).__parkpulse.chime);
    expect((await chime()).wanted).toBe(true);
    expect((await chime()).played).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.body.classList.contains('critical-open'))).toBe(true);

    const acked = { ...a, state: 'acknowledged' as const, ack: { by: 'zhang.wei', at: Date.now(), note: '已派保安到场' }, updatedAt: Date.now() };
    await ops.publishAsync(alertsActiveTopic(park.model.id), JSON.stringify({ at: Date.now(), alerts: [acked] }), { qos: 1, retain: true });
    await waitFor('the row to show the acknowledgement', async () => (await row.getAttribute('data-state')) === 'acknowledged', 3000);
    expect(await row.innerText()).toContain('zhang.wei');
    expect((await chime()).wanted).toBe(false);
    await ops.publishAsync(alertsActiveTopic(park.model.id), JSON.stringify({ at: Date.now(), alerts: [] }), { qos: 1, retain: true });
    await waitFor('the board to empty', async () => (await text('#alerts-ticker')).includes('当前无告警'), 3000);
  });

  it('runs operator notices as a marquee', async () => {
    const screenOps = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-screen-notice-test', username: 'svc-screen', password: park.provisioned.serviceSecrets.screen });
    const notice = { id: 'n-1', text: '今晚22:00—24:00 园区主干道施工，请绕行', textEn: null, level: 'important', from: Date.now() - 1000, until: null, by: 'ops', at: Date.now() };
    await screenOps.publishAsync(noticesTopic(park.model.id, 'current'), JSON.stringify({ at: Date.now(), notices: [notice] }), { qos: 1, retain: true });
    await page.locator('#notice-track [data-notice-id="n-1"]').first().waitFor({ timeout: 3000 });
    expect(await page.locator('#notice-track').getAttribute('class')).toContain('moving');
    await screenOps.publishAsync(noticesTopic(park.model.id, 'current'), JSON.stringify({ at: Date.now(), notices: [] }), { qos: 1, retain: true });
    await screenOps.endAsync();
  });

  it('is crisp at 3840x2160: charts are drawn at the display resolution, not upscaled', async () => {
    const big = await browser.context.newPage();
    await big.setViewportSize({ width: 3840, height: 2160 });
    await big.goto(`${park.screenUrl}/`);
    await big.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
    await big.waitForTimeout(1500);
    const sizes = await big.evaluate(() =>
      ['chart-power', 'chart-map', 'chart-radio'].map((id) => {
        const canvas = document.querySelector(`#${id} canvas`) as HTMLCanvasElement;
        return { id, canvas: canvas.width, css: canvas.getBoundingClientRect().width };
      }),
    );
    // Laid out at 4K size (twice the design widths: power 472, map 828, radio 232), one canvas
    // pixel per display pixel.
    const design: Record<string, number> = { 'chart-power': 472, 'chart-map': 828, 'chart-radio': 232 };
    for (const s of sizes) {
      expect(s.css, s.id).toBeGreaterThan(design[s.id]! * 1.9);
      expect(s.canvas, s.id).toBe(Math.round(s.css));
    }
    const title = await big.locator('#title').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(title).toBeGreaterThan(60); // 34 design px x 2
    await big.screenshot({ path: join(ARTIFACTS, 'wall-3840x2160.png') });
    await big.close();
  });

  it('speaks English with ?lang=en', async () => {
    const en = await browser.context.newPage();
    await en.goto(`${park.screenUrl}/?lang=en`);
    await en.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
    expect(await en.locator('#title').innerText()).toContain('Dantu High-tech');
    expect(await en.locator('#kpi-strip').innerText()).toContain('Fixed-asset investment');
    expect(await en.locator('html').getAttribute('lang')).toBe('en');
    await en.close();
  });

  it('rotates overview, security and energy pages in carousel mode, and hides the cursor in kiosk mode', async () => {
    const tour = await browser.context.newPage();
    await tour.goto(`${park.screenUrl}/?carousel=2&kiosk=1`);
    await tour.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
    const seen = new Set<string>();
    await waitFor('all three pages shown in turn', async () => {
      seen.add((await tour.evaluate(() => document.body.dataset.page)) ?? '');
      return seen.size === 3;
    }, 12_000, 200);
    expect(await tour.evaluate(() => getComputedStyle(document.body).cursor)).toBe('none');
    // The security page shows every camera's state.
    await tour.goto(`${park.screenUrl}/?page=security`);
    await tour.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
    expect(await tour.locator('#camera-grid .cam').count()).toBe(park.model.devicesOfKind('camera').length);
    expect(await tour.locator('#camera-grid .cam.online').count()).toBeGreaterThan(0);
    await tour.screenshot({ path: join(ARTIFACTS, 'wall-security-page.png') });
    await tour.goto(`${park.screenUrl}/?page=energy`);
    await tour.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
    await tour.screenshot({ path: join(ARTIFACTS, 'wall-energy-page.png') });
    await tour.close();
  });

  it('marks tiles stale when the devices stop sending', async () => {
    await fleet.close();
    await waitFor('the security, network and power tiles to turn stale', async () =>
      page.evaluate(() => ['panel-security', 'panel-network', 'panel-power', 'panel-ranking'].every((id) => document.getElementById(id)!.classList.contains('stale'))),
    10_000);
    expect(await text('#panel-security .age')).toMatch(/\d+ 秒前/);
    await page.screenshot({ path: join(ARTIFACTS, 'wall-stale.png') });
  });

  it('shows the lost-connection banner while the server is down and recovers without a reload', async () => {
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    const port = park.screenHttp!.port;
    await park.screenHttp!.close();
    await park.screen!.close();
    park.screen = null;
    park.screenHttp = null;
    await page.locator('#lost-banner').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await text('#lost-banner')).toContain('连接已中断');
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('nodata');
    await page.screenshot({ path: join(ARTIFACTS, 'wall-disconnected.png') });

    const history = await createSqliteStore({ path: park.sqlitePath, model: park.model, logger: park.logger, readOnly: true });
    park.screen = await createScreen({
      model: park.model, logger: park.logger, history, staticDir: STATIC_DIR, coalesceMs: 200,
      viewer: { token: park.provisioned.viewerToken },
      mqtt: { url: park.mqttUrl, username: 'svc-screen', password: park.provisioned.serviceSecrets.screen },
    });
    await park.screen.ready();
    park.screenHttp = await listenScreen(park.screen, { host: '127.0.0.1', port });
    await page.locator('#lost-banner').waitFor({ state: 'hidden', timeout: 20_000 });
    expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(await number('#cam-total')).toBe(park.model.devicesOfKind('camera').length);
  });
});
