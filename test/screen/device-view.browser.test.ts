/// <reference lib="dom" />
// The device view and the console's history in Chromium, on real device messages through the real
// broker, ingest and SQLite store. On the wall (both languages): an alert row and a map marker open
// the device's view with its live values and their age, its last hour from the store, its events,
// status changes and alerts (a shelved one naming who shelved it and until when), its enterprise
// and zone; it closes by itself. In the console: a device link opens the same view; the trends tab
// picks last hour / day / week / a custom range in the park's zone, the server picks the bucket so
// a week stays bounded, energy per enterprise and alert counts show, a brushed span zooms the range;
// the audit trail names alerts by title and device. Screenshots go to artifacts/screen (docs/img has copies for the README).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOperator } from '../../shared/operators.ts';
import { zonedParts } from '../../shared/time.ts';
import type { DeviceClient } from '../../simulators/device-client.ts';
import { watchAlerts, type AlertWatch } from '../helpers/alert-watch.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../../testkit/browser.ts';
import { createTestDevices, type TestDevices } from '../helpers/devices.ts';
import { startPark, TEST_SCRYPT, waitFor, type TestPark } from '../../testkit/park.ts';
import { auditText } from '../helpers/text-audit.ts';

// Screenshots for people (docs/img holds copies for the README).
const SHOTS = join(process.cwd(), 'artifacts', 'screen');
const PASSWORD = 'device view password';
const LONG = 600_000;
const CAMERA = { online: true, fps: 25, bitrateKbps: 4000, storageUsedPct: 40 };

describe.skipIf(!CHROMIUM)('the device view and the console history', () => {
  let park: TestPark;
  let devices: TestDevices;
  let watch: AlertWatch;
  let browser: Browser;
  let cam: DeviceClient;
  let meter: DeviceClient;
  let timer: NodeJS.Timeout;
  let alertId = '';

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    park = await startPark({ alertRules: { tickMs: 200, escalation: { afterMs: LONG, repeatMs: LONG }, rules: { 'camera-intrusion': { offDelayMs: LONG }, 'camera-offline': { noTelemetryMs: LONG } } } });
    await addOperator(park.operatorsPath, 'li.na', PASSWORD, TEST_SCRYPT);
    devices = createTestDevices(park);
    watch = await watchAlerts(park);
    cam = await devices.connect('cam-007');
    meter = await devices.connect('mtr-longyuan-1');
    const node = await devices.connect('g5-03');
    // Live values every 500 ms: the camera streams, the meter's load moves, the node reports.
    let i = 0;
    const send = async (): Promise<void> => {
      i++;
      await cam.publish('telemetry', { ...CAMERA, bitrateKbps: 4000 + (i % 7) * 50 });
      await meter.publish('telemetry', { kw: 3500 + (i % 5) * 40, kwh: 1000 + i * 0.5, voltage: 400, current: 150, powerFactor: 0.95 });
      await node.publish('telemetry', { rsrpDbm: -85, sinrDb: 15, dlMbps: 600, ulMbps: 80, latencyMs: 12, connectedUes: 40 });
    };
    await send();
    timer = setInterval(() => void send().catch(() => {}), 500);
    await cam.publish('event', { type: 'intrusion', zone: 'mfg', confidence: 0.93 });
    const a = await watch.waitOpen({ rule: 'camera-intrusion', device: 'cam-007' }, 20_000);
    alertId = a.id;
    expect((await watch.act({ action: 'shelve', alertId, by: 'li.na', note: '维修中', until: Date.now() + 3_600_000 })).ok).toBe(true);
    await watch.waitOpen({ id: alertId, state: 'shelved' });
    browser = await launchBrowser({ width: 1920, height: 1080 });
  }, 120_000);
  afterAll(async () => {
    clearInterval(timer);
    await browser?.close();
    await watch?.close();
    await devices?.closeAll();
    await park?.stop();
  });

  async function wall(query = ''): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(`${park.screenUrl}/?token=${park.provisioned.viewerToken}${query}`, { timeout: 90_000 });
    await page.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
    return page;
  }

  const view = '#device-view';

  for (const lang of ['zh', 'en'] as const) {
    it(`${lang}: an alert row opens the device view with live values, last hour, events, status, alerts, enterprise and zone`, async () => {
      const page = await wall(`&deviceClose=8${lang === 'en' ? '&lang=en' : ''}`);
      await page.click(`#alerts-ticker .row[data-alert-id="${alertId}"]`);
      await page.waitForSelector(`${view}[data-device="cam-007"][data-state="ready"]`, { timeout: 10_000 });
      const text = await page.locator(view).innerText();
      expect(text).toContain(lang === 'en' ? 'Zhonghai camera 2' : '中海桥梁·摄像机2');
      expect(text).toContain(lang === 'en' ? 'Jiangsu Zhonghai Bridge Equipment' : '江苏中海桥梁设备有限公司');
      expect(text).toContain(lang === 'en' ? 'Advanced Manufacturing' : '先进制造区');
      // Live values with their age.
      expect(await page.locator(`${view} .dv-value[data-field="bitrateKbps"] b`).innerText()).toMatch(/^4,\d{3}$/);
      const ageMs = Number(await page.locator(`${view} .dv-age`).getAttribute('data-age-ms'));
      expect(ageMs).toBeLessThan(5000);
      expect(await page.locator(`${view} .dv-age`).innerText()).toMatch(lang === 'en' ? /\d+ s ago/ : /\d+ 秒前/);
      // The last hour from the store (bitrate, events), the camera event, its online status, the shelved alert.
      expect(Number(await page.locator(view).getAttribute('data-points'))).toBeGreaterThan(0);
      expect(await page.locator(`${view} .dv-events li`).first().innerText()).toContain(lang === 'en' ? 'Intrusion' : '区域入侵');
      expect(await page.locator(`${view} .dv-status-log`).innerText()).toContain(lang === 'en' ? 'Online' : '在线');
      const alert = await page.locator(`${view} .dv-alerts li[data-alert-id="${alertId}"]`).innerText();
      expect(alert).toContain(lang === 'en' ? 'Intrusion · Zhonghai camera 2' : '入侵告警 · 中海桥梁·摄像机2');
      expect(alert).toMatch(lang === 'en' ? /Shelved · li\.na → \d\d:\d\d/ : /已搁置 · li\.na → \d\d:\d\d/);
      // The same alert on the board names who shelved it and until when.
      expect(await page.locator(`#alerts-ticker .row[data-alert-id="${alertId}"] .state`).innerText()).toMatch(lang === 'en' ? /Shelved\s+li\.na, until \d\d:\d\d/ : /已搁置\s+li\.na 搁置至 \d\d:\d\d/);
      const a = await auditText(page);
      expect(a.cut, JSON.stringify(a.cut)).toEqual([]);
      expect(a.small, JSON.stringify(a.small.slice(0, 10))).toEqual([]);
      await page.waitForTimeout(1200); // the chart's first frame
      await page.screenshot({ path: join(SHOTS, `device-view-${lang}.png`) });
      // It closes by itself (deviceClose=8 s here; 60 s by default).
      await page.waitForSelector(view, { state: 'hidden', timeout: 12_000 });
      await page.close();
    });
  }

  it('a map marker opens the device view too', async () => {
    const page = await wall();
    // The meter's marker: its map position in the chart's pixels.
    const pos = await page.evaluate(() => {
      const w = window as unknown as { __parkpulse: { chart(id: string): { convertToPixel(f: object, v: number[]): number[] } } };
      return w.__parkpulse.chart('chart-map').convertToPixel({ geoIndex: 0 }, [335, 121]);
    });
    const box = (await page.locator('#chart-map').boundingBox())!;
    await page.mouse.click(box.x + pos[0]!, box.y + pos[1]!);
    await page.waitForSelector(`${view}[data-device="mtr-longyuan-1"][data-state="ready"]`, { timeout: 10_000 });
    expect(await page.locator(`${view} .dv-value[data-field="kw"] b`).innerText()).toMatch(/^3,\d{3}\.\d$/);
    await page.click(`${view} .dv-close`);
    await page.waitForSelector(view, { state: 'hidden' });
    await page.close();
  });

  it('the console: a device link opens the device view; trends by range with a server-picked bucket, energy, alert counts, brush to zoom; audit names alerts', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(`${park.screenUrl}/console?lang=en`);
    await page.fill('input[name=name]', 'li.na');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#live-alerts tr[data-alert-id]');
    // Same title as the wall.
    expect(await page.locator(`#live-alerts tr[data-alert-id="${alertId}"] td.title span`).first().innerText()).toBe('Intrusion · Zhonghai camera 2');
    await page.click(`#live-alerts tr[data-alert-id="${alertId}"] .device-link`);
    await page.waitForSelector(`${view}[data-device="cam-007"][data-state="ready"]`);
    expect(await page.locator(`${view} .dv-alerts`).innerText()).toContain('Shelved · li.na');
    await page.click(`${view} .dv-close`);

    // Trends: a week stays bounded; the server picked the bucket.
    await page.click('nav.tabs button[data-view=trends]');
    await page.waitForSelector('#view-trends[data-state="ready"]');
    const hourBucket = Number(await page.locator('#view-trends').getAttribute('data-bucket-ms'));
    expect(hourBucket).toBe(10_000);
    await page.click('#view-trends button[data-range=week]');
    await waitFor('the week loaded', async () => (await page.locator('#view-trends').getAttribute('data-bucket-ms')) === String(30 * 60_000), 15_000);
    await page.waitForSelector('#view-trends[data-state="ready"]');
    expect(await page.locator('#trends-bucket').innerText()).toBe('one point per 30 min');
    // Energy per enterprise over the range, alerts opened over time: drawn, and from the store.
    for (const id of ['trend-energy', 'trend-alerts', 'trend-power']) expect(await page.locator(`#${id} canvas`).count()).toBeGreaterThan(0);
    const res = await page.evaluate(async () => {
      const to = Date.now();
      const e = await (await fetch(`/api/energy?from=${to - 3_600_000}&to=${to}`)).json();
      const c = await (await fetch(`/api/alerts/counts?from=${to - 3_600_000}&to=${to}`)).json();
      const w = await (await fetch(`/api/history?series=park.power&from=${to - 31 * 86_400_000}&to=${to}`)).json();
      return { e, c, w: { bucketMs: w.bucketMs, n: w.points.length } };
    });
    expect(res.e.enterprises.find((x: { enterprise: string }) => x.enterprise === 'longyuan').kwh).toBeGreaterThan(0);
    expect(res.c.counts.some((x: { severity: string; n: number }) => x.severity === 'critical' && x.n >= 1)).toBe(true);
    expect(res.w.bucketMs).toBe(3 * 3_600_000); // 31 days -> 248 points at most
    expect(res.w.n).toBeLessThanOrEqual(360);
    // A custom range, typed in the park's zone (this browser's own zone may differ).
    const field = (ms: number): string => {
      const p = zonedParts(ms, park.model.timezone);
      const two = (n: number): string => String(n).padStart(2, '0');
      return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
    };
    const now = Date.now();
    await page.fill('#trends-custom input[name=from]', field(now - 2 * 86_400_000));
    await page.fill('#trends-custom input[name=to]', field(now));
    await page.click('#trends-custom button[type=submit]');
    await waitFor('the custom range', async () => (await page.locator('#trends-range').innerText()).startsWith(field(now - 2 * 86_400_000)), 10_000);
    await page.waitForSelector('#view-trends[data-state="ready"]');
    expect(Number(await page.locator('#view-trends').getAttribute('data-bucket-ms'))).toBe(10 * 60_000);
    await page.click('#view-trends button[data-range=hour]');
    await waitFor('the last hour again', async () => (await page.locator('#view-trends').getAttribute('data-bucket-ms')) === '10000', 10_000);
    await page.waitForSelector('#view-trends[data-state="ready"]');
    // Brush: drag across the power chart; the range becomes the brushed span.
    const before = await page.locator('#trends-range').innerText();
    const box = (await page.locator('#trend-power').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 8 });
    await page.mouse.up();
    await waitFor('the brushed range', async () => (await page.locator('#trends-range').innerText()) !== before, 10_000);
    await page.waitForSelector('#view-trends[data-state="ready"]');
    expect(Number(await page.locator('#view-trends').getAttribute('data-bucket-ms'))).toBeLessThanOrEqual(hourBucket);
    await page.screenshot({ path: join(SHOTS, 'console-trends.png') });

    // The same in Chinese: the tabs, the week's bucket and the title as the wall words it.
    const zh = await browser.context.newPage();
    await zh.setViewportSize({ width: 1600, height: 1000 });
    await zh.goto(`${park.screenUrl}/console`);
    await zh.waitForSelector('#live-alerts tr[data-alert-id]');
    expect(await zh.locator(`#live-alerts tr[data-alert-id="${alertId}"] td.title span`).first().innerText()).toBe('入侵告警 · 中海桥梁·摄像机2');
    await zh.click('nav.tabs button[data-view=trends]');
    await zh.waitForSelector('#view-trends[data-state="ready"]');
    await zh.click('#view-trends button[data-range=week]');
    await waitFor('the week loaded (zh)', async () => (await zh.locator('#trends-bucket').innerText()) === '每点 30 分钟', 15_000);
    await zh.close();

    // The audit trail names the alert by title and device.
    await page.click('nav.tabs button[data-view=audit]');
    await page.waitForSelector(`#audit-records td.audit-alert[data-alert-id="${alertId}"]`);
    expect(await page.locator(`#audit-records td.audit-alert[data-alert-id="${alertId}"]`).first().innerText()).toBe('Intrusion · Zhonghai camera 2 · cam-007');
    await page.close();
  });
});
