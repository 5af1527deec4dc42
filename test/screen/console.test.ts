// The operator console in a real browser (Debian's chromium) against the real park: an intrusion
// from a real camera client appears live, an operator signs in, acknowledges it with a note, and
// the change shows on the console and reaches the wall's WebSocket feed within 2 seconds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addOperator } from '../../shared/operators.ts';
import type { Alert } from '../../shared/schema.ts';
import { watchAlerts, type AlertWatch } from '../helpers/alert-watch.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../helpers/browser.ts';
import { createTestDevices, type TestDevices } from '../helpers/devices.ts';
import { startPark, TEST_SCRYPT, type TestPark } from '../helpers/park.ts';

const PASSWORD = 'night shift password';

// Functions passed to page.evaluate run in the browser; these are the few browser globals they use.
type WallWindow = { wallAlerts: { id: string; state: string }[] };
declare const window: WallWindow;
declare const document: { cookie: string; querySelector(s: string): { textContent: string | null; classList: { contains(c: string): boolean } } | null };
declare const location: { host: string };
declare class WebSocket {
  constructor(url: string);
  onmessage: (ev: { data: unknown }) => void;
}

describe.skipIf(!CHROMIUM)('operator console in a browser', () => {
  let park: TestPark;
  let browser: Browser;
  let devices: TestDevices;
  let watch: AlertWatch;
  let intrusion: Alert;
  let page: Page;

  beforeAll(async () => {
    park = await startPark({ alertRules: { tickMs: 100, rules: { 'camera-intrusion': { offDelayMs: 120_000 }, 'camera-offline': { noTelemetryMs: 120_000 } } } });
    await addOperator(park.operatorsPath, '值班长', PASSWORD, TEST_SCRYPT);
    devices = createTestDevices(park);
    watch = await watchAlerts(park);
    const cam = await devices.connect('cam-040');
    await cam.publish('event', { type: 'intrusion', zone: 'prj', confidence: 0.93 });
    intrusion = await watch.waitOpen({ rule: 'camera-intrusion', device: 'cam-040' });
    browser = await launchBrowser({ width: 1600, height: 900 });
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await watch?.close();
    await devices?.closeAll();
    await park?.stop();
  });

  it('asks for sign-in, refuses a wrong password, then shows the live alerts', async () => {
    await page.goto(`${park.screenUrl}/console`);
    await page.waitForSelector('#sign-in');
    expect(await page.locator('#sign-in h2').textContent()).toBe('登录');
    await page.fill('input[name=name]', '值班长');
    await page.fill('input[name=password]', 'not the password');
    await page.click('#sign-in button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#sign-in-error')?.textContent === '账号或密码错误');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('#sign-in button[type=submit]');
    const row = page.locator(`#live-alerts tr[data-alert-id="${intrusion.id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('active');
    expect(await row.locator('.sev').textContent()).toBe('紧急');
    expect(await page.locator('#operator').textContent()).toBe('值班长');
    // The session cookie is out of reach of scripts.
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('filters the live list', async () => {
    const row = page.locator(`#live-alerts tr[data-alert-id="${intrusion.id}"]`);
    await page.selectOption('#live-filters select[name=severity]', 'warning');
    await row.waitFor({ state: 'detached' });
    await page.selectOption('#live-filters select[name=severity]', 'critical');
    await page.selectOption('#live-filters select[name=kind]', 'camera');
    await page.selectOption('#live-filters select[name=zone]', intrusion.zone);
    await row.waitFor();
  });

  it('acknowledges with a required note; the console shows it, and the wall feed within 2 seconds of it', async () => {
    // The wall: a second page on the same screen server, its own WebSocket feed.
    const wall = await browser.context.newPage();
    await wall.goto(`${park.screenUrl}/`);
    await wall.evaluate(() => {
      const w = window;
      w.wallAlerts = [];
      const ws = new WebSocket(`ws://${location.host}/ws`);
      ws.onmessage = (ev) => {
        const m = JSON.parse(String(ev.data)) as { type: string; state?: { alerts: [] }; alerts?: [] };
        const list = m.type === 'snapshot' ? m.state?.alerts : m.alerts;
        if (list) w.wallAlerts = list;
      };
    });
    await wall.waitForFunction((id) => window.wallAlerts.some((a) => a.id === id && a.state === 'active'), intrusion.id);

    const row = page.locator(`#live-alerts tr[data-alert-id="${intrusion.id}"]`);
    await row.locator('button[data-action=ack]').click();
    const dialog = page.locator('dialog.action-dialog[data-verb=ack]');
    await dialog.waitFor();
    await dialog.locator('button[type=submit]').click();
    expect(await dialog.locator('.error').textContent()).toBe('请填写处置说明');
    await dialog.locator('textarea').fill('已派保安前往联东U谷东门核查');
    await dialog.locator('button[type=submit]').click();
    await page.waitForSelector(`#live-alerts tr[data-alert-id="${intrusion.id}"][data-state=acknowledged]`);
    // The wall follows within 2 seconds of the console showing the acknowledgement.
    await wall.waitForFunction((id) => window.wallAlerts.some((a) => a.id === id && a.state === 'acknowledged'), intrusion.id, { timeout: 2000 });
    expect(await row.locator('.title small').textContent()).toContain('值班长');
    expect(await row.locator('button[data-action=ack]').count()).toBe(0);
    await wall.close();
  });

  it('finds the alert in history with its trail, and verifies and exports the audit trail', async () => {
    await page.click('nav.tabs button[data-view=history]');
    await page.fill('#history-form input[name=q]', 'cam-040');
    await page.click('#history-form button[type=submit]');
    await page.locator(`#history-alerts tr[data-alert-id="${intrusion.id}"]`).click();
    const timeline = page.locator('aside.detail .timeline');
    await timeline.waitFor();
    const text = await timeline.textContent();
    expect(text).toContain('产生');
    expect(text).toContain('值班长 · 确认');
    expect(text).toContain('已派保安前往联东U谷东门核查');

    await page.click('nav.tabs button[data-view=audit]');
    await page.locator('#audit-records tbody tr').first().waitFor();
    await page.click('#audit-verify');
    await page.waitForFunction(() => document.querySelector('#audit-verdict')?.classList.contains('good'));
    expect(await page.locator('#audit-verdict').textContent()).toMatch(/^审计链完整，共 \d+ 条记录$/);
    const download = page.waitForEvent('download');
    await page.click('#audit-export');
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^parkpulse-audit-\d{4}-\d{2}-\d{2}\.csv$/);
  });

  it('speaks English with ?lang=en, and signs out', async () => {
    await page.goto(`${park.screenUrl}/console?lang=en`);
    await page.locator(`#live-alerts tr[data-alert-id="${intrusion.id}"]`).waitFor();
    expect(await page.locator('nav.tabs button[data-view=live]').textContent()).toBe('Live alerts');
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in');
    expect(await page.locator('#sign-in h2').textContent()).toBe('Sign in');
    const res = await page.evaluate(async () => (await fetch('/api/session')).status);
    expect(res).toBe(401);
  });
});
