/// <reference lib="dom" />
// Time on the wall is the park's, and the charts read well from the first second, with the browser
// set to UTC and en-US (a wall PC nobody configured): the clock, the event list, chart axes and
// tooltips in the park's zone; axis labels that do not overlap on a fresh store, no more precision
// than the span needs, and midnight on the 24 h charts labelled 00:00.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zonedParts } from '../../shared/time.ts';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../../testkit/browser.ts';
import { startParkFleet } from '../helpers/park-fleet.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

interface Label {
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The visible text elements a chart drew, with their boxes on the canvas. */
function chartTexts(id: string): Label[] {
  const c = (window.__parkpulse as unknown as { chart(id: string): { getZr(): { storage: { getDisplayList(update: boolean): unknown[] } } } }).chart(id);
  type Text = { style?: { text?: unknown }; ignore?: boolean; invisible?: boolean; getBoundingRect(): { clone(): { applyTransform(m: unknown): void; x: number; y: number; width: number; height: number } }; getComputedTransform(): unknown };
  return (c.getZr().storage.getDisplayList(true) as Text[])
    .filter((el) => typeof el.style?.text === 'string' && el.style.text !== '' && !el.ignore && !el.invisible)
    .map((el) => {
      const r = el.getBoundingRect().clone();
      r.applyTransform(el.getComputedTransform());
      return { text: String(el.style!.text), x: r.x, y: r.y, w: r.width, h: r.height };
    });
}

const overlaps = (a: Label, b: Label): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const two = (n: number): string => String(n).padStart(2, '0');

describe.skipIf(!CHROMIUM)('time and charts on the wall, browser in UTC', () => {
  let park: TestPark;
  let fleet: Fleet;
  let browser: Browser;
  let page: Page;
  let tz: string;
  const hm = (ms: number): string => {
    const p = zonedParts(ms, tz);
    return `${two(p.hour)}:${two(p.minute)}`;
  };
  const hms = (ms: number): string => {
    const p = zonedParts(ms, tz);
    return `${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
  };

  beforeAll(async () => {
    park = await startPark({ coalesceMs: 250 }); // a fresh store: the charts' first minute
    tz = park.model.timezone;
    fleet = await startParkFleet(park, 300);
    browser = await launchBrowser({ width: 1920, height: 1080, timezoneId: 'UTC', locale: 'en-US' });
    page = await browser.context.newPage();
    await page.goto(`${park.screenUrl}/?token=${encodeURIComponent(park.provisioned.viewerToken)}&mute=1`);
    await page.waitForSelector('body[data-rendered="full"]', { timeout: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await fleet?.close();
    await park?.stop();
  });

  it('labels the 1 h charts from the first second: every 10 or 15 minutes of the park clock, none overlapping, whole numbers', async () => {
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe('UTC');
    for (const [id, stepMin] of [['chart-power', 10], ['chart-throughput', 15]] as const) {
      const texts = await page.evaluate(chartTexts, id);
      const times = texts.filter((t) => /^\d\d:\d\d$/.test(t.text));
      expect(times.length, `${id} time labels`).toBeGreaterThanOrEqual(3);
      for (let i = 0; i < times.length; i++) for (let j = i + 1; j < times.length; j++) expect(overlaps(times[i]!, times[j]!), `${id}: ${times[i]!.text} / ${times[j]!.text}`).toBe(false);
      // Park times on the step, within the last hour of the park's clock.
      const now = Date.now();
      const expected = new Set<string>();
      for (let t = Math.ceil((now - 3_600_000) / 60_000) * 60_000; t <= now + 60_000; t += 60_000) if (zonedParts(t, tz).minute % stepMin === 0) expected.add(hm(t));
      for (const t of times) expect(expected, `${id} label ${t.text}`).toContain(t.text);
      // Values: no false precision (9,931.5 on a 4 kW span).
      const values = texts.filter((t) => /^-?[\d,]+(\.\d+)?$/.test(t.text));
      expect(values.length, `${id} value labels`).toBeGreaterThan(1);
      for (const v of values) expect(v.text, `${id} value label`).not.toContain('.');
    }
  });

  it("shows the park's clock, event times and tooltips in the park's zone", async () => {
    const clock = await page.locator('#clock').innerText();
    const p = zonedParts(Date.now(), tz);
    expect(clock.startsWith(`${p.year}-${two(p.month)}-${two(p.day)} `)).toBe(true);
    const shown = clock.split(' ')[1]!;
    const sec = (s: string): number => s.split(':').map(Number).reduce((a, b) => a * 60 + b, 0);
    expect(Math.abs(sec(shown) - sec(hms(Date.now())))).toBeLessThan(3);
    // The latest events list: each time is its event's device time on the park clock.
    const events = await waitFor('events on the wall', () =>
      page.evaluate(() => {
        const s = (window.__parkpulse as unknown as { app: { live: { summary: { cameras: { latestEvents: { ts: number; device: string; seq: number }[] } } | null } } }).app.live.summary;
        const rows = [...document.querySelectorAll<HTMLElement>('#latest-events li[data-event]')].map((li) => ({ key: li.dataset.event!, time: li.querySelector('.ev-time')!.textContent! }));
        return rows.length > 0 && s ? { rows, events: s.cameras.latestEvents } : null;
      }), 20_000, 200);
    for (const r of events.rows) {
      const ev = events.events.find((e) => `${e.device}:${e.seq}` === r.key);
      if (ev) expect(r.time).toBe(hms(ev.ts));
    }
    // The power chart's tooltip names the sample's time on the park clock.
    const tip = await waitFor('a tooltip', () =>
      page.evaluate(() => {
        const app = (window.__parkpulse as unknown as { app: { history: { power: [number, number][] } } }).app;
        const last = app.history.power.length - 1;
        if (last < 0) return null;
        const c = (window.__parkpulse as unknown as { chart(id: string): { dispatchAction(a: object): void } }).chart('chart-power');
        c.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: last });
        const el = document.querySelector<HTMLElement>('#chart-power .chart-tip');
        return el?.innerText ? { text: el.innerText, t: app.history.power[last]![0] } : null;
      }), 10_000, 200);
    expect(tip.text).toContain(hms(tip.t));
    expect(tip.text).toMatch(/kW/);
  });

  it('labels midnight on the 24 h charts as 00:00, every label a time of day', async () => {
    const energy = await browser.context.newPage();
    await energy.goto(`${park.screenUrl}/?page=energy&mute=1`);
    await energy.waitForSelector('body[data-rendered="full"]', { timeout: 60_000 });
    await energy.waitForTimeout(500);
    const texts = await energy.evaluate(chartTexts, 'chart-power-24h');
    const bottom = Math.max(...texts.map((t) => t.y));
    const axis = texts.filter((t) => t.y >= bottom - 2); // the x axis row
    expect(axis.length).toBeGreaterThanOrEqual(6);
    for (const t of axis) expect(t.text).toMatch(/^\d\d:\d\d$/);
    expect(axis.map((t) => t.text)).toContain('00:00');
    for (const t of axis) expect(Number(t.text.slice(0, 2)) % 3, t.text).toBe(0);
    for (let i = 0; i < axis.length; i++) for (let j = i + 1; j < axis.length; j++) expect(overlaps(axis[i]!, axis[j]!)).toBe(false);
    await energy.close();
  });
});
