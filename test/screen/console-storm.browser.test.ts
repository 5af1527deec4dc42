/// <reference lib="dom" />
// An alarm storm on the operator console, in a browser set to UTC and en-US (a laptop abroad):
// open alerts grouped by rule and zone, a whole group acknowledged with one note (one audit
// record per alert, attributed, tied by a batch id), a selection shelved, a colleague's
// acknowledgement in between reported as refused for that alert only; every time shown and every
// date typed in the park's zone; the group endpoint keeps the session and origin rules.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAlertDb } from '../../ingest/alerts/alert-db.ts';
import { addOperator } from '../../shared/operators.ts';
import { ALERT_RULE_NAMES, type Alert } from '../../shared/schema.ts';
import { zonedParts, zonedTime } from '../../shared/time.ts';
import { watchAlerts, type AlertWatch } from '../helpers/alert-watch.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../../testkit/browser.ts';
import { createTestDevices, type TestDevices } from '../helpers/devices.ts';
import { startPark, TEST_SCRYPT, waitFor, type TestPark } from '../../testkit/park.ts';

const PASSWORD = 'night shift password';
const LONG = 600_000;
const two = (n: number): string => String(n).padStart(2, '0');

describe.skipIf(!CHROMIUM)('the console through an alarm storm', () => {
  let park: TestPark;
  let devices: TestDevices;
  let watch: AlertWatch;
  let browser: Browser;
  let page: Page;
  let tz: string;
  const parkTime = (ms: number): string => {
    const p = zonedParts(ms, tz);
    return `${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
  };
  const camerasOf = (zone: string): string[] => park.model.devicesOfKind('camera').filter((d) => d.zone === zone).map((d) => d.id);

  beforeAll(async () => {
    park = await startPark({
      alertRules: {
        tickMs: 200,
        escalation: { afterMs: LONG, repeatMs: LONG },
        rules: { 'camera-intrusion': { offDelayMs: LONG }, 'camera-tamper': { offDelayMs: LONG }, 'camera-offline': { noTelemetryMs: LONG } },
      },
    });
    tz = park.model.timezone;
    await addOperator(park.operatorsPath, '值班长', PASSWORD, TEST_SCRYPT);
    devices = createTestDevices(park);
    watch = await watchAlerts(park);
    // The storm: every camera of the key-project zone, five in manufacturing, tamper on three workshops.
    const storm: [string, string][] = [...camerasOf('prj').map((id): [string, string] => [id, 'intrusion']), ...camerasOf('mfg').slice(0, 5).map((id): [string, string] => [id, 'intrusion']), ...camerasOf('std').slice(0, 3).map((id): [string, string] => [id, 'tamper'])];
    for (const [id, type] of storm) {
      const c = await devices.connect(id);
      await c.publish('event', { type, zone: c.device.zone, confidence: 0.9 });
    }
    await waitFor('the storm open', () => watch.active.length === storm.length, 20_000);
    browser = await launchBrowser({ width: 1600, height: 1000, timezoneId: 'UTC', locale: 'en-US' });
    page = await browser.context.newPage();
    await page.goto(`${park.screenUrl}/console`);
    await page.fill('input[name=name]', '值班长');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#live-alerts tr.group');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await watch?.close();
    await devices?.closeAll();
    await park?.stop();
  });

  const group = (key: string): string => `#live-alerts tr.group[data-group="${key}"]`;

  it('groups the open alerts by rule and zone', async () => {
    const prj = page.locator(group('camera-intrusion|prj'));
    expect(await prj.getAttribute('data-size')).toBe(String(camerasOf('prj').length));
    const text = await prj.innerText();
    expect(text).toContain(`${ALERT_RULE_NAMES['camera-intrusion'][0]} · 重点项目区`);
    expect(text).toContain(`共 ${camerasOf('prj').length} 条`);
    // A big group starts folded; a small one shows its members.
    expect(await page.locator('#live-alerts tr[data-group-member="camera-intrusion|prj"]').count()).toBe(0);
    expect(await page.locator('#live-alerts tr[data-group-member="camera-tamper|std"]').count()).toBe(3);
    // Critical and unacknowledged: the severity badge pulses.
    expect(await page.locator('#live-alerts tr[data-group-member="camera-tamper|std"] .sev').first().evaluate((el) => getComputedStyle(el).animationName)).toBe('pulse');
  });

  it('acknowledges a whole group with one note: one audit record per alert, attributed, one batch', async () => {
    const ids = watch.active.filter((a) => a.rule === 'camera-intrusion' && a.zone === 'prj').map((a) => a.id);
    await page.click(`${group('camera-intrusion|prj')} button[data-group-action=ack]`);
    const dialog = page.locator(`dialog.action-dialog[data-verb=ack][data-count="${ids.length}"]`);
    await dialog.waitFor();
    await dialog.locator('textarea').fill('围界误报，已派巡逻核查');
    await dialog.locator('button[type=submit]').click();
    await page.waitForFunction(() => document.querySelector('#batch-result')?.textContent?.startsWith('已确认'));
    expect(await page.locator('#batch-result').innerText()).toBe(`已确认 ${ids.length} 条。`);
    await waitFor('all acknowledged', () => ids.every((id) => watch.active.find((a) => a.id === id)?.state === 'acknowledged'));
    for (const id of ids) expect(watch.active.find((a) => a.id === id)!.ack).toMatchObject({ by: '值班长', note: '围界误报，已派巡逻核查' });
    const db = openAlertDb(park.alertsDbPath, { readOnly: true });
    try {
      const records = db.db.prepare(`SELECT actor, note, detail, alert_id FROM audit WHERE action = 'ack' AND ok = 1 AND alert_id IN (${ids.map(() => '?').join(',')})`).all(...ids) as { actor: string; note: string; detail: string; alert_id: string }[];
      expect(records).toHaveLength(ids.length);
      expect(new Set(records.map((r) => r.alert_id)).size).toBe(ids.length);
      expect(records.every((r) => r.actor === '值班长' && r.note === '围界误报，已派巡逻核查')).toBe(true);
      const batches = new Set(records.map((r) => (JSON.parse(r.detail) as { batchId: string }).batchId));
      expect(batches.size).toBe(1);
      expect((JSON.parse(records[0]!.detail) as { batchSize: number }).batchSize).toBe(ids.length);
    } finally {
      db.close();
    }
    // Acknowledged: calm, no pulse.
    await page.click(`${group('camera-intrusion|prj')} button.fold`);
    const member = page.locator('#live-alerts tr[data-group-member="camera-intrusion|prj"]').first();
    await member.waitFor();
    expect(await member.getAttribute('data-state')).toBe('acknowledged');
    expect(await member.locator('.sev').evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
  });

  it('acts on a selection; an alert a colleague took on meanwhile is refused alone, the rest done', async () => {
    await page.click(`${group('camera-intrusion|mfg')} button.fold`);
    const members = page.locator('#live-alerts tr[data-group-member="camera-intrusion|mfg"]');
    await members.first().waitFor();
    const picked = (await members.evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.alertId!))).slice(0, 3);
    for (const id of picked) await page.check(`#live-alerts tr[data-alert-id="${id}"] input.pick`);
    expect(await page.locator('#selection-count').innerText()).toBe('已选 3 条');
    await page.click('#selection-bar button[data-selection-action=ack]');
    const dialog = page.locator('dialog.action-dialog[data-verb=ack][data-count="3"]');
    await dialog.waitFor();
    // A colleague at another console is quicker with one of them.
    expect((await watch.act({ action: 'ack', alertId: picked[0]!, by: '李娜', note: '我来处理' })).ok).toBe(true);
    await dialog.locator('textarea').fill('统一处置');
    await dialog.locator('button[type=submit]').click();
    await page.waitForFunction(() => document.querySelector('#batch-result')?.textContent?.includes('未执行'));
    expect(await page.locator('#batch-result').innerText()).toBe('已确认 2 条。 1 条未执行：该告警已被确认');
    expect(watch.active.find((a) => a.id === picked[0])!.ack!.by).toBe('李娜');
    await waitFor('the other two acknowledged by the console', () => picked.slice(1).every((id) => watch.active.find((a) => a.id === id)?.ack?.by === '值班长'));
    // Shelve the remaining two of the group as a selection, for an hour.
    const rest = watch.active.filter((a) => a.rule === 'camera-intrusion' && a.zone === 'mfg' && a.ack === null).map((a) => a.id);
    expect(rest).toHaveLength(2);
    for (const id of rest) await page.check(`#live-alerts tr[data-alert-id="${id}"] input.pick`);
    await page.click('#selection-bar button[data-selection-action=shelve]');
    const shelve = page.locator('dialog.action-dialog[data-verb=shelve][data-count="2"]');
    await shelve.locator('select[name=minutes]').selectOption('60');
    await shelve.locator('textarea').fill('摄像机检修');
    await shelve.locator('button[type=submit]').click();
    await waitFor('both shelved', () => rest.every((id) => watch.active.find((a) => a.id === id)?.state === 'shelved'));
    const s = watch.active.find((a) => a.id === rest[0])!;
    expect(s.shelf).toMatchObject({ by: '值班长', note: '摄像机检修' });
    expect(s.shelvedUntil! - Date.now()).toBeGreaterThan(55 * 60_000);
  });

  it('keeps the session and origin rules on group actions', async () => {
    const id = watch.active[0]!.id;
    const anonymous = await fetch(`${park.screenUrl}/api/alerts/batch/ack`, { method: 'POST', headers: { origin: park.screenUrl, 'content-type': 'application/json' }, body: JSON.stringify({ ids: [id], note: 'x' }) });
    expect(anonymous.status).toBe(401);
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const foreign = await fetch(`${park.screenUrl}/api/alerts/batch/ack`, { method: 'POST', headers: { origin: 'http://evil.example', cookie, 'content-type': 'application/json' }, body: JSON.stringify({ ids: [id], note: 'x' }) });
    expect(foreign.status).toBe(403);
    const empty = await fetch(`${park.screenUrl}/api/alerts/batch/ack`, { method: 'POST', headers: { origin: park.screenUrl, cookie, 'content-type': 'application/json' }, body: JSON.stringify({ ids: [], note: 'x' }) });
    expect(empty.status).toBe(400);
  });

  it("shows and reads every time in the park's zone, in a browser set to UTC and en-US", async () => {
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe('UTC');
    const a: Alert = watch.active.find((x) => x.rule === 'camera-tamper')!;
    const row = page.locator(`#live-alerts tr[data-alert-id="${a.id}"]`);
    expect(await row.locator('td.num').first().innerText()).toBe(parkTime(a.openedAt));
    // A date typed on the history form is the park's wall clock: today 00:00 in the park.
    const p = zonedParts(Date.now(), tz);
    const midnight = zonedTime({ year: p.year, month: p.month, day: p.day }, tz);
    await page.click('nav.tabs button[data-view=history]');
    await page.fill('#history-form input[name=from]', `${p.year}-${two(p.month)}-${two(p.day)} 00:00`);
    const request = page.waitForRequest((r) => r.url().includes('/api/alerts/history'));
    await page.click('#history-form button[type=submit]');
    expect(new URL((await request).url()).searchParams.get('from')).toBe(String(midnight));
    const hist = page.locator(`#history-alerts tr[data-alert-id="${a.id}"]`);
    await hist.waitFor();
    expect(await hist.locator('td.num').innerText()).toBe(parkTime(a.openedAt));
    expect(await page.locator('#history-form input[name=from]').evaluate((el) => (el as HTMLInputElement).validity.valid)).toBe(true);
    // The audit trail's times and its CSV export, in the park's zone too.
    await page.click('nav.tabs button[data-view=audit]');
    const first = page.locator('#audit-records tbody tr').first();
    await first.waitFor();
    await page.fill('#audit-form input[name=from]', `${p.year}-${two(p.month)}-${two(p.day)} 00:00`);
    await page.locator('#audit-form input[name=from]').dispatchEvent('change');
    expect(await page.locator('#audit-export').getAttribute('href')).toContain(`from=${midnight}`);
    const download = page.waitForEvent('download');
    await page.click('#audit-export');
    const lines = readFileSync((await (await download).path())!, 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
    const [seq, local, atMs] = lines.at(-1)!.split(',');
    expect(Number(seq)).toBeGreaterThan(0);
    const q = zonedParts(Number(atMs), tz);
    expect(local).toBe(`${q.year}-${two(q.month)}-${two(q.day)} ${two(q.hour)}:${two(q.minute)}:${two(q.second)}.${String(Number(atMs) % 1000).padStart(3, '0')}`);
  });
});
