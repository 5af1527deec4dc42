/// <reference lib="dom" />
// No alert is hidden: the wall's board in Chromium with 60 alerts open from real rules on real
// device messages. Unacknowledged first, then by severity, newest first; a new critical or major
// alert is on the wall within 2 s however many are open; the board says how many more are open,
// by severity; acknowledged and shelved alerts look settled; the chime sounds once per new critical
// alert and then reminds at the configured interval while any is unacknowledged.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/schema.ts';
import type { DeviceClient } from '../../simulators/device-client.ts';
import { watchAlerts, type AlertWatch } from '../helpers/alert-watch.ts';
import { CHROMIUM, launchBrowser, type Browser, type WallDiagnostics } from '../../testkit/browser.ts';
import { createTestDevices, reportNodeAndMeter, type TestDevices } from '../helpers/devices.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

const ARTIFACTS = join(process.cwd(), 'artifacts', 'screen');
const LONG = 600_000;
const CAMERA = { online: true, fps: 25, bitrateKbps: 4000, storageUsedPct: 40 };

declare global {
  interface Window {
    __rowSeen: Record<string, number>;
  }
}

/** Notes when each alert first shows as a row on the board (the page's clock, the test's machine). */
function recordRows(): void {
  window.__rowSeen = {};
  const board = document.getElementById('alerts-ticker')!;
  const check = (): void => {
    for (const row of board.querySelectorAll<HTMLElement>('[data-alert-id]')) window.__rowSeen[row.dataset.alertId!] ??= Date.now();
  };
  new MutationObserver(check).observe(board, { childList: true, subtree: true });
  check();
}

describe.skipIf(!CHROMIUM)('the alert board with 60 open alerts', () => {
  let park: TestPark;
  let devices: TestDevices;
  let watch: AlertWatch;
  let browser: Browser;
  let page: Page;
  const cams = new Map<string, DeviceClient>();
  const camId = (i: number): string => `cam-${String(i).padStart(3, '0')}`;

  beforeAll(async () => {
    park = await startPark({
      coalesceMs: 250,
      alertRules: {
        tickMs: 200,
        escalation: { afterMs: LONG, repeatMs: LONG },
        rules: {
          'camera-intrusion': { offDelayMs: LONG }, 'camera-tamper': { offDelayMs: LONG }, 'camera-loitering': { offDelayMs: LONG },
          'camera-video-loss': { offDelayMs: LONG }, 'camera-offline': { noTelemetryMs: LONG }, 'node5g-offline': { noTelemetryMs: LONG }, 'meter-offline': { noTelemetryMs: LONG },
        },
      },
    });
    devices = createTestDevices(park);
    watch = await watchAlerts(park);
    // Every panel's data (the wall's "fully drawn"), then 60 alerts: 20 cameras with an intrusion
    // (critical), video loss (major) and loitering (minor) each.
    await reportNodeAndMeter(devices);
    for (let i = 1; i <= 30; i++) {
      const c = await devices.connect(camId(i));
      cams.set(camId(i), c);
      await c.publish('telemetry', CAMERA);
    }
    for (let i = 1; i <= 20; i++) {
      const c = cams.get(camId(i))!;
      await c.publish('event', { type: 'intrusion', zone: c.device.zone, confidence: 0.9 });
      await c.publish('event', { type: 'video_loss', zone: c.device.zone, confidence: 0.9 });
      await c.publish('event', { type: 'loitering', zone: c.device.zone, confidence: 0.9 });
    }
    await waitFor('60 open alerts', () => watch.active.length === 60, 20_000);
    browser = await launchBrowser({ width: 1920, height: 1080 });
    page = await browser.context.newPage();
    await page.goto(`${park.screenUrl}/?token=${encodeURIComponent(park.provisioned.viewerToken)}&chimeEvery=3&boardPage=3600`); // no paging here: the rows stay put while read
    await page.waitForSelector('body[data-rendered="full"]', { timeout: 60_000 });
    await page.waitForSelector('#alerts-ticker [data-alert-id]');
    await page.evaluate(recordRows);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await watch?.close();
    await devices?.closeAll();
    await park?.stop();
  });

  const rows = (): Promise<{ id: string; severity: string; state: string; pinned: string; openedAt: number; cls: string; text: string; animation: string }[]> =>
    // One evaluation: the board redraws every second.
    page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('#alerts-ticker [data-alert-id]')].map((el) => ({
        id: el.dataset.alertId!, severity: el.dataset.severity!, state: el.dataset.state!, pinned: el.dataset.pinned!, openedAt: Number(el.dataset.openedAt), cls: el.className, text: el.innerText, animation: getComputedStyle(el).animationName,
      })),
    );
  const chime = (): Promise<WallDiagnostics['chime']> => page.evaluate(() => ({ ...window.__parkpulse.chime }));

  it('orders unacknowledged first, then by severity, then newest; and says how many more, by severity', async () => {
    const shown = await rows();
    expect(shown).toHaveLength(5);
    // The newest five unacknowledged critical alerts, newest first (the time each row shows).
    const criticals = watch.active.filter((a) => a.severity === 'critical').sort((a, b) => b.openedAt - a.openedAt);
    expect(shown.map((r) => r.id)).toEqual(criticals.slice(0, 5).map((a) => a.id));
    for (const r of shown) expect(r.pinned).toBe('false'); // open when the wall started: history, not news
    const more = await page.$$eval('#alerts-more b[data-severity]', (els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.severity, Number((e as HTMLElement).dataset.count)])));
    expect(more).toEqual({ critical: 15, major: 20, minor: 20 });
    expect(await page.locator('#alerts-more').innerText()).toMatch(/^另有 55 条未显示：紧急 15 · 重要 20 · 一般 20/);
    expect(await page.locator('#alerts-count').innerText()).toBe('60');
  });

  it('shows each new critical or major alert within 2 s with 60 open, pinned at the top, one chime per new critical', async () => {
    await waitFor('the chime reminding (a critical alert is unacknowledged)', async () => (await chime()).wanted);
    const latencies: number[] = [];
    for (let k = 0; k < 8; k++) {
      const c = cams.get(camId(21 + k))!;
      const type = k % 2 === 0 ? 'intrusion' : 'video_loss';
      const before = await chime();
      const sentAt = Date.now();
      await c.publish('event', { type, zone: c.device.zone, confidence: 0.95 });
      const a = await watch.waitOpen({ rule: type === 'intrusion' ? 'camera-intrusion' : 'camera-video-loss', device: c.device.id });
      const seenAt = await waitFor(`${a.id} on the board`, async () => (await page.evaluate((id) => window.__rowSeen[id] ?? 0, a.id)) || null, 5000, 20);
      latencies.push(seenAt - sentAt);
      expect(seenAt - sentAt, `${type} ${a.id} visible`).toBeLessThan(2000);
      const top = (await rows())[0]!;
      expect(top).toMatchObject({ id: a.id, pinned: 'true' });
      expect(top.cls).toContain('flash');
      const after = await chime();
      expect(after.news - before.news, `news chimes for a new ${a.severity}`).toBe(a.severity === 'critical' ? 1 : 0);
      await sleep(300);
    }
    // 68 open now: pinned new ones first, the footer still counts what is not shown.
    const shown = await rows();
    expect(shown.filter((r) => r.pinned === 'true')).toHaveLength(5);
    const total = await page.$$eval('#alerts-more b[data-severity]', (els) => els.reduce((s, e) => s + Number((e as HTMLElement).dataset.count), 0));
    expect(total).toBe(68 - 5);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'board-new-alert.json'), `${JSON.stringify({ open: 60, latenciesMs: latencies }, null, 2)}\n`);
    console.log(`new alert -> visible on the board with 60+ open (ms): ${latencies.join(', ')}`);
    await page.screenshot({ path: join(ARTIFACTS, 'wall-board-storm.png') });
  });

  it('reminds at the configured interval while a critical alert is unacknowledged, and stops when none is', async () => {
    const a = await chime();
    expect(a.reminderMs).toBe(3000);
    await sleep(6500);
    const b = await chime();
    expect(b.reminders - a.reminders).toBeGreaterThanOrEqual(1);
    expect(b.reminders - a.reminders).toBeLessThanOrEqual(3);
    // Acknowledge every critical alert: the reminders stop, on every wall.
    for (const al of watch.active.filter((x) => x.severity === 'critical' && x.ack === null)) {
      expect((await watch.act({ action: 'ack', alertId: al.id, by: 'zhang.wei', note: '已派人核查' })).ok).toBe(true);
    }
    await waitFor('the chime to stop', async () => !(await chime()).wanted, 5000);
    const c = await chime();
    await sleep(3500);
    expect((await chime()).played).toBe(c.played);
  });

  it('shows acknowledged and shelved alerts settled: no flash or pulse, who (and until when) shown', async () => {
    // Everything but two majors acknowledged or shelved: the board's first rows are unacknowledged
    // majors, then acknowledged alerts, then shelved ones.
    const open = (): Alert[] => watch.active.filter((x) => x.state === 'active');
    const majors = open().filter((x) => x.severity === 'major');
    for (const al of majors.slice(2, 6)) expect((await watch.act({ action: 'shelve', alertId: al.id, by: 'li.na', note: '维修中', until: Date.now() + 3_600_000 })).ok).toBe(true);
    const keep = new Set(majors.slice(0, 2).map((x) => x.id));
    for (const al of open().filter((x) => !keep.has(x.id))) expect((await watch.act({ action: 'ack', alertId: al.id, by: 'zhang.wei', note: '已知悉' })).ok).toBe(true);
    await sleep(10_500); // the new-alert pins and flashes have passed for the ones left
    const shown = await waitFor('two unacknowledged majors, then the settled', async () => {
      const r = await rows();
      return r.length === 5 && r[0]!.state === 'active' && r[1]!.state === 'active' && r[2]!.state !== 'active' ? r : null;
    }, 10_000, 200);
    expect(shown.slice(0, 2).every((r) => r.severity === 'major')).toBe(true);
    for (const r of shown.slice(2)) {
      expect(r.cls).toContain('settled');
      expect(r.cls).not.toContain('flash');
      expect(r.animation).toBe('none');
      expect(r.text).toContain(r.state === 'acknowledged' ? 'zhang.wei 确认' : '搁置至');
    }
    const stateOrder = shown.map((r) => ['active', 'flapping', 'acknowledged', 'shelved'].indexOf(r.state));
    expect([...stateOrder].sort((x, y) => x - y)).toEqual(stateOrder);
    // Shelved ones come last, with who and until when: a wall paging every second reaches them.
    const pager = await browser.context.newPage();
    await pager.goto(`${park.screenUrl}/?token=${encodeURIComponent(park.provisioned.viewerToken)}&boardPage=1&mute=1`);
    // Read in one go: the board redraws every second here.
    const shelved = await waitFor('a shelved row', () =>
      pager.evaluate(() => {
        const el = document.querySelector<HTMLElement>('#alerts-ticker [data-state="shelved"]');
        return el ? { text: el.innerText, cls: el.className, animation: getComputedStyle(el).animationName, page: document.querySelector('#alerts-more .page')?.textContent ?? '' } : null;
      }), 30_000, 100);
    // Who shelved it and until when, under the state.
    expect(shelved.text).toMatch(/已搁置\s+li\.na 搁置至 \d\d:\d\d/);
    expect(shelved.cls).toContain('settled');
    expect(shelved.animation).toBe('none');
    expect(shelved.page).toMatch(/第 \d+\/\d+ 页/);
    await pager.close();
    await page.screenshot({ path: join(ARTIFACTS, 'wall-board-settled.png') });
  });
});
