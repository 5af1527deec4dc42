// The operator console in a real browser (Debian's chromium) against the real park: an intrusion
// from a real camera client appears live, an operator signs in, acknowledges it with a note, and
// the change shows on the console and on the wall's alerts ticker within 2 seconds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addOperator } from '../../shared/operators.ts';
import type { Alert } from '../../shared/schema.ts';
import { watchAlerts, type AlertWatch } from '../helpers/alert-watch.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../../testkit/browser.ts';
import { createTestDevices, reportNodeAndMeter, type TestDevices } from '../helpers/devices.ts';
import { startPark, TEST_SCRYPT, type TestPark } from '../../testkit/park.ts';

const PASSWORD = 'night shift password';

// Functions passed to page.evaluate run in the browser; these are the few browser globals they use.
declare const window: { __parkpulse: { chime: { wanted: boolean } }; __ackShownAt: number };
declare class MutationObserver {
  constructor(fn: () => void);
  observe(target: unknown, opts: Record<string, boolean>): void;
}
declare const document: {
  cookie: string;
  body: { classList: { contains(c: string): boolean } };
  querySelector(s: string): { textContent: string | null; getAttribute(a: string): string | null; classList: { contains(c: string): boolean } } | null;
};

describe.skipIf(!CHROMIUM)('operator console in a browser', () => {
  let park: TestPark;
  let browser: Browser;
  let wallBrowser: Browser | undefined;
  let devices: TestDevices;
  let watch: AlertWatch;
  let intrusion: Alert;
  let page: Page;

  beforeAll(async () => {
    park = await startPark({ alertRules: { tickMs: 100, rules: { 'camera-intrusion': { offDelayMs: 120_000 }, 'camera-offline': { noTelemetryMs: 120_000 } } } });
    await addOperator(park.operatorsPath, '值班长', PASSWORD, TEST_SCRYPT);
    devices = createTestDevices(park);
    watch = await watchAlerts(park);
    // One of each kind reporting, so the wall has every panel's data (its "fully drawn" signal).
    await reportNodeAndMeter(devices);
    const cam = await devices.connect('cam-040');
    await cam.publish('telemetry', { online: true, fps: 25, bitrateKbps: 4000, storageUsedPct: 40 });
    await cam.publish('event', { type: 'intrusion', zone: 'prj', confidence: 0.93 });
    intrusion = await watch.waitOpen({ rule: 'camera-intrusion', device: 'cam-040' });
    browser = await launchBrowser({ width: 1600, height: 900 });
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await wallBrowser?.close();
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

  it("acknowledges with a required note; the console shows it, and the wall's ticker within 2 seconds of it", async () => {
    // The wall: another display (its own browser: the wall renders on animation frames, which a
    // background tab never gets), on the same screen server, with its alerts ticker.
    wallBrowser = await launchBrowser({ width: 1920, height: 1080 });
    const wall = await wallBrowser.context.newPage();
    await wall.goto(`${park.screenUrl}/?token=${encodeURIComponent(park.provisioned.viewerToken)}`);
    const ticker = `#alerts-ticker [data-alert-id="${intrusion.id}"]`;
    // Fully drawn first: the 2 seconds are about a running wall, not one still loading its charts.
    await wall.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
    await wall.waitForSelector(`${ticker}[data-state=active]`, { timeout: 30_000 });
    expect(await wall.evaluate(() => window.__parkpulse.chime.wanted)).toBe(true); // the chime sounds

    // Each page notes (its own clock, the same machine) when it first shows the acknowledgement.
    const watchFor = (rowSelector: string): void => {
      window.__ackShownAt = 0;
      const check = (): void => {
        if (!window.__ackShownAt && document.querySelector(rowSelector)?.getAttribute('data-state') === 'acknowledged') window.__ackShownAt = Date.now();
      };
      new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true });
    };
    await wall.evaluate(watchFor, ticker);
    await page.evaluate(watchFor, `#live-alerts tr[data-alert-id="${intrusion.id}"]`);

    const row = page.locator(`#live-alerts tr[data-alert-id="${intrusion.id}"]`);
    await row.locator('button[data-action=ack]').click();
    const dialog = page.locator('dialog.action-dialog[data-verb=ack]');
    await dialog.waitFor();
    await dialog.locator('button[type=submit]').click();
    expect(await dialog.locator('.error').textContent()).toBe('请填写处置说明');
    await dialog.locator('textarea').fill('已派保安前往联东U谷东门核查');
    await dialog.locator('button[type=submit]').click();
    await page.waitForSelector(`#live-alerts tr[data-alert-id="${intrusion.id}"][data-state=acknowledged]`);
    await wall.waitForSelector(`${ticker}[data-state=acknowledged]`);
    // The wall's ticker shows it within 2 seconds of the console, and its chime stops.
    const consoleAt = await page.evaluate(() => window.__ackShownAt);
    const wallAt = await wall.evaluate(() => window.__ackShownAt);
    expect(consoleAt).toBeGreaterThan(0);
    expect(wallAt - consoleAt).toBeLessThan(2000);
    expect(await wall.evaluate(() => window.__parkpulse.chime.wanted)).toBe(false);
    expect(await row.locator('.title small').textContent()).toContain('值班长');
    expect(await row.locator('button[data-action=ack]').count()).toBe(0);
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
