/// <reference lib="dom" />
// Legible at distance, in both languages: on every page of the wall at the 1920x1080 design size
// no text is cut (by "…" or by its box) and none is under 14 design px, chart text included; at
// 1366x768 the same holds in design px (the layout scales, it does not reflow into the charts).
// Alerts with long device names, a shelved and an acknowledged one fill the board.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/schema.ts';
import { alertsActiveTopic } from '../../shared/topics.ts';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../../testkit/browser.ts';
import { startParkFleet } from '../helpers/park-fleet.ts';
import { startPark, type TestPark } from '../../testkit/park.ts';
import { auditText, type TextAudit } from '../helpers/text-audit.ts';

const ARTIFACTS = join(process.cwd(), 'artifacts', 'screen');

const base = (n: number, over: Partial<Alert>): Alert => ({
  id: `camera-intrusion-cam-00${n}-1`, key: `camera-intrusion:cam-00${n}`, rule: 'camera-intrusion', severity: 'critical', state: 'active',
  device: `cam-00${n}`, kind: 'camera', zone: 'mfg', enterprise: 'longyuan', title: '区域入侵 · 龙源铝业·摄像机1', titleEn: 'Intrusion · Longyuan camera 1', detail: {},
  openedAt: Date.now() - n * 60_000, updatedAt: Date.now(), lastSeenAt: Date.now(), count: 1, ack: null, shelvedUntil: null, clearedAt: null, clearReason: null, escalations: 0,
  shelf: null, escalatedAt: null, recoveredAt: null, flips: 0, normalSince: null, ...over,
});

function sampleAlerts(): Alert[] {
  const now = Date.now();
  return [
    base(1, {}),
    base(2, { severity: 'major', state: 'acknowledged', ack: { by: 'zhang.wei', at: now, note: '已派人' }, device: 'mtr-svc-center-2', kind: 'meter', zone: 'svc', title: '超合同容量 · 综合服务中心', titleEn: 'Over contracted capacity · Park Service Centre' }),
    base(3, { severity: 'minor', state: 'shelved', shelvedUntil: now + 3_600_000, shelf: { by: 'li.na', at: now, note: '检修' }, device: 'g5-04', kind: 'node5g', zone: 'prj', title: '信号弱 · 5G基站04·项目区北', titleEn: 'Weak signal · 5G node 04, Key Projects north' }),
    base(4, { severity: 'warning', device: 'cam-047', zone: 'prj', title: '视频丢失 · 周界·北段', titleEn: 'Video loss · Perimeter, north', normalSince: now - 10_000 }),
    base(5, { severity: 'major', device: 'cam-018', zone: 'prj', enterprise: 'dutuo', count: 12, title: '人员徘徊 · 杜拓跨境电商·摄像机1', titleEn: 'Loitering · Dutuo camera 1' }),
  ];
}

describe.skipIf(!CHROMIUM)('the wall is legible at distance, in both languages', () => {
  let park: TestPark;
  let fleet: Fleet;
  let browser: Browser;
  let ops: mqtt.MqttClient;
  const results: Record<string, { cut: number; small: number; chartSmall: number; checked: number }> = {};

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    park = await startPark({ coalesceMs: 200 });
    fleet = await startParkFleet(park, 500);
    ops = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-ingest-legibility', username: 'svc-ingest', password: park.provisioned.serviceSecrets.ingest });
    await ops.publishAsync(alertsActiveTopic(park.model.id), JSON.stringify({ at: Date.now(), alerts: sampleAlerts() }), { qos: 1, retain: true });
    browser = await launchBrowser({ width: 1920, height: 1080 });
  });
  afterAll(async () => {
    writeFileSync(join(ARTIFACTS, 'legibility.json'), JSON.stringify(results, null, 1));
    await ops?.endAsync();
    await browser?.close();
    await fleet?.close();
    await park?.stop();
  });

  async function check(lang: 'zh' | 'en', pageName: string, width: number, height: number, layout = ''): Promise<TextAudit> {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width, height });
    const q = new URLSearchParams({ token: park.provisioned.viewerToken, page: pageName, ...(lang === 'en' ? { lang } : {}), ...(layout ? { layout } : {}) });
    await page.goto(`${park.screenUrl}/?${q}`, { timeout: 90_000 });
    await page.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
    await page.waitForSelector('#alerts-ticker .row', { timeout: 10_000, state: 'attached' });
    await page.waitForTimeout(1500); // tweens and the first spotlight settle
    const a = await auditText(page);
    results[`${lang} ${pageName} ${width}x${height}${layout ? ` ${layout}` : ''}`] = { cut: a.cut.length, small: a.small.length, chartSmall: a.chartSmall.length, checked: a.checked };
    if (pageName === 'overview' && width === 1920) await page.screenshot({ path: join(ARTIFACTS, `legibility-${lang}-${width}x${height}.png`) });
    await page.close();
    return a;
  }

  for (const lang of ['zh', 'en'] as const) {
    for (const pageName of ['overview', 'security', 'energy']) {
      it(`${lang} ${pageName} at 1920x1080: nothing cut, nothing under 14 px`, async () => {
        const a = await check(lang, pageName, 1920, 1080);
        expect(a.checked).toBeGreaterThan(pageName === 'overview' ? 100 : 10);
        expect(a.cut, JSON.stringify(a.cut)).toEqual([]);
        expect(a.small, JSON.stringify(a.small.slice(0, 20))).toEqual([]);
        expect(a.chartSmall, JSON.stringify(a.chartSmall.slice(0, 20))).toEqual([]);
      });
    }
    it(`${lang} overview at 1366x768 holds: nothing cut, nothing under 14 design px`, async () => {
      const a = await check(lang, 'overview', 1366, 768);
      expect(a.unit).toBeLessThan(0.72);
      expect(a.cut, JSON.stringify(a.cut)).toEqual([]);
      expect(a.small, JSON.stringify(a.small.slice(0, 20))).toEqual([]);
      expect(a.chartSmall).toEqual([]);
    });
  }
});
