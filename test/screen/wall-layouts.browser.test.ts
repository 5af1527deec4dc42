/// <reference lib="dom" />
// Wall shapes in Chromium: a 32:9 wall (3840x1080) shows the overview and a detail page side by
// side, a 48:9 wall (5760x1080, three screens) all three pages; chosen from the aspect ratio or by
// `?layout=`; 1920x1080 and 3840x2160 keep the one-canvas layout. The map keeps its proportions in
// every shape, and the text audit (nothing cut, nothing under 14 design px) holds on the wide walls
// in both languages. The wide screenshot goes to artifacts/screen (docs/img has a copy for the README).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../../testkit/browser.ts';
import { startParkFleet } from '../helpers/park-fleet.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';
import { auditText } from '../helpers/text-audit.ts';

// Screenshots for people (docs/img holds copies for the README).
const SHOTS = join(process.cwd(), 'artifacts', 'screen');

interface Shape {
  layout: string | undefined;
  unit: number;
  pages: { page: string; left: number; width: number; visible: boolean }[];
  map: { width: number; height: number };
}

describe.skipIf(!CHROMIUM)('wall shapes', () => {
  let park: TestPark;
  let fleet: Fleet;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    park = await startPark({ coalesceMs: 200 });
    fleet = await startParkFleet(park, 500);
    browser = await launchBrowser({ width: 1920, height: 1080 });
  });
  afterAll(async () => {
    await browser?.close();
    await fleet?.close();
    await park?.stop();
  });

  async function open(width: number, height: number, query = ''): Promise<Page> {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width, height });
    await page.goto(`${park.screenUrl}/?token=${park.provisioned.viewerToken}${query}`, { timeout: 90_000 });
    await page.waitForSelector('body[data-rendered="full"]', { timeout: 30_000 });
    await page.waitForTimeout(800);
    return page;
  }

  const shape = (page: Page): Promise<Shape> =>
    page.evaluate(() => {
      const unit = Number.parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--u'));
      const pages = [...document.querySelectorAll<HTMLElement>('.page')].map((el) => {
        const r = el.getBoundingClientRect();
        return { page: el.dataset.page!, left: Math.round(r.left), width: Math.round(r.width), visible: getComputedStyle(el).visibility === 'visible' };
      });
      const m = document.getElementById('chart-map')!.getBoundingClientRect();
      return { layout: document.body.dataset.layout, unit, pages, map: { width: m.width, height: m.height } };
    });

  let standardMapAspect = 0;
  /** The map's proportions on the 1920x1080 wall (measured once). */
  async function standardAspect(): Promise<number> {
    if (standardMapAspect === 0) {
      const page = await open(1920, 1080);
      const s = await shape(page);
      standardMapAspect = s.map.width / s.map.height;
      await page.close();
    }
    return standardMapAspect;
  }

  it('keeps 1920x1080 and 3840x2160 as one canvas, one page at a time', async () => {
    for (const [w, h] of [[1920, 1080], [3840, 2160]] as const) {
      const page = await open(w, h);
      const s = await shape(page);
      expect(s.layout).toBe('16x9');
      expect(s.pages.filter((p) => p.visible).map((p) => p.page)).toEqual(['overview']);
      expect(s.pages[0]!.width).toBe(w);
      standardMapAspect = s.map.width / s.map.height;
      await page.close();
    }
  });

  it('lays out a 48:9 wall (5760x1080) as three canvases side by side, map unstretched, text legible in both languages', async () => {
    for (const lang of ['zh', 'en']) {
      const page = await open(5760, 1080, lang === 'en' ? '&lang=en' : '');
      const s = await shape(page);
      expect(s.layout).toBe('48x9');
      expect(s.unit).toBeCloseTo(1, 2);
      expect(s.pages.map((p) => [p.page, p.left, p.visible])).toEqual([['overview', 0, true], ['security', 1920, true], ['energy', 3840, true]]);
      const aspect = await standardAspect();
      expect(Math.abs(s.map.width / s.map.height - aspect) / aspect).toBeLessThan(0.01);
      // The marquee and header span the whole wall.
      expect(await page.locator('.marquee').evaluate((el) => el.getBoundingClientRect().width)).toBeGreaterThan(5700);
      const a = await auditText(page);
      expect(a.cut, JSON.stringify(a.cut)).toEqual([]);
      expect(a.small, JSON.stringify(a.small.slice(0, 10))).toEqual([]);
      expect(a.chartSmall, JSON.stringify(a.chartSmall.slice(0, 10))).toEqual([]);
      if (lang === 'zh') await page.screenshot({ path: join(SHOTS, 'wall-48x9.jpg'), type: 'jpeg', quality: 80 });
      // The device view on the wide wall: over the overview, at the same design size as on 16:9, legible.
      await page.evaluate(() => (window as unknown as { __parkpulse: { deviceView: { open(id: string): Promise<void> } } }).__parkpulse.deviceView.open('mtr-longyuan-1'));
      await page.waitForSelector('#device-view[data-state="ready"]', { timeout: 10_000 });
      const box = (await page.locator('#device-view').boundingBox())!;
      expect(box.x + box.width).toBeLessThan(1920);
      expect(box.width / box.height).toBeCloseTo(1260 / 800, 1);
      const withView = await auditText(page);
      expect(withView.cut, JSON.stringify(withView.cut)).toEqual([]);
      expect(withView.small).toEqual([]);
      await page.close();
    }
  });

  it('lays out a 32:9 wall (3840x1080) as the overview with the detail pages beside it in turn', async () => {
    for (const lang of ['zh', 'en']) {
      const page = await open(3840, 1080, `&carousel=2${lang === 'en' ? '&lang=en' : ''}`);
      const s = await shape(page);
      expect(s.layout).toBe('32x9');
      const visible = (x: Shape): string[] => x.pages.filter((p) => p.visible).map((p) => `${p.page}@${p.left}`);
      expect(visible(s)).toContain('overview@0');
      expect(visible(s)).toHaveLength(2);
      const aspect = await standardAspect();
      expect(Math.abs(s.map.width / s.map.height - aspect) / aspect).toBeLessThan(0.01);
      const seen = new Set<string>();
      await waitFor('both detail pages beside the overview in turn', async () => {
        for (const v of visible(await shape(page))) seen.add(v);
        return seen.has('security@1920') && seen.has('energy@1920');
      }, 10_000, 200);
      const a = await auditText(page);
      expect(a.cut, JSON.stringify(a.cut)).toEqual([]);
      expect(a.small).toEqual([]);
      await page.close();
    }
  });

  it('takes ?layout= over the aspect ratio', async () => {
    const page = await open(1920, 1080, '&layout=48x9');
    const s = await shape(page);
    expect(s.layout).toBe('48x9');
    expect(s.unit).toBeCloseTo(1 / 3, 2); // letterboxed: three canvases in one screen's width
    await page.close();
    const narrow = await open(5760, 1080, '&layout=16x9');
    expect((await shape(narrow)).layout).toBe('16x9');
    await narrow.close();
  });
});
