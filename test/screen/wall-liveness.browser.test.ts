/// <reference lib="dom" />
// The wall is honest about the pipeline behind it. Broker, ingest, screen server and simulator run
// as separate processes; each is killed (SIGKILL: no goodbye) while the wall watches in Chromium.
// Within 5 s the header says 数据中断 with the time since the last data, the rate shows "—", every
// tile and the alert board are stale with their age; within 2 s of the first delta after the
// restart it is live again. Reconnect waits are capped at 5 s with jitter, and the page retries at
// once when the browser is back online or visible.
//
// Measures each outage LIVENESS_RUNS times (default 1; the figures in the README come from
// LIVENESS_RUNS=5) and writes them to artifacts/screen/liveness.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveTopic } from '../../shared/topics.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../../testkit/browser.ts';
import { waitFor } from '../../testkit/park.ts';
import { startParkProcesses, type ParkProcess, type ParkProcesses } from '../helpers/park-processes.ts';

const RUNS = Math.max(1, Number(process.env.LIVENESS_RUNS) || 1);
const ARTIFACTS = join(process.cwd(), 'artifacts', 'screen');

interface StateMark {
  state: string;
  reason: string;
  at: number;
}

declare global {
  interface Window {
    __marks: StateMark[];
  }
}

/** Notes every change of the header's state with the page's clock (same machine as the test's). */
function recordStates(): void {
  window.__marks = [];
  const conn = document.getElementById('conn')!;
  const note = (): void => {
    const last = window.__marks.at(-1);
    if (last?.state !== conn.dataset.state || last?.reason !== conn.dataset.reason) window.__marks.push({ state: conn.dataset.state ?? '', reason: conn.dataset.reason ?? '', at: Date.now() });
  };
  new MutationObserver(note).observe(conn, { attributes: true, attributeFilter: ['data-state', 'data-reason'] });
  note();
}

const stats = (xs: number[]): { n: number; min: number; median: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, min: s[0] ?? NaN, median: s[Math.floor((s.length - 1) / 2)] ?? NaN, max: s.at(-1) ?? NaN };
};

describe.skipIf(!CHROMIUM)('the wall through outages, every service its own process', () => {
  let park: ParkProcesses;
  let browser: Browser;
  let page: Page;
  let watcher: MqttClient;
  const deltaTimes: number[] = [];
  const measured: Record<string, number[]> = {};
  const note = (key: string, ms: number): void => void (measured[key] ??= []).push(ms);

  beforeAll(async () => {
    park = await startParkProcesses({ simIntervalMs: 500 });
    for (const p of ['broker', 'ingest', 'screen'] as const) await park.start(p);
    await park.start('sim');
    // The ingest's deltas as the screen server gets them: when the first one after a restart left.
    watcher = mqtt.connect(park.mqttUrl, { clientId: 'svc-screen-liveness-watch', username: 'svc-screen', password: park.provisioned.serviceSecrets.screen, reconnectPeriod: 100 });
    watcher.on('connect', () => watcher.subscribe(liveTopic(park.model.id, 'delta'), { qos: 0 }));
    watcher.on('message', () => deltaTimes.push(Date.now()));
    browser = await launchBrowser({ width: 1920, height: 1080 });
    page = await browser.context.newPage();
    await page.goto(park.wallUrl);
    await page.waitForSelector('body[data-rendered="full"]', { timeout: 60_000 });
    await page.evaluate(recordStates);
  }, 180_000);
  afterAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const summary = Object.fromEntries(Object.entries(measured).map(([k, v]) => [k, { ...stats(v), samples: v }]));
    writeFileSync(join(ARTIFACTS, 'liveness.json'), `${JSON.stringify({ at: new Date().toISOString(), runs: RUNS, ms: summary }, null, 2)}\n`);
    console.log(`wall liveness (ms, ${RUNS} run(s) each):\n${Object.entries(summary).map(([k, v]) => `  ${k.padEnd(28)} median ${v.median}  max ${v.max}  [${v.samples.join(', ')}]`).join('\n')}`);
    watcher?.end(true);
    await browser?.close();
    await park?.close();
  });

  const marks = (): Promise<StateMark[]> => page.evaluate(() => window.__marks);
  async function markAfter(state: string, after: number, timeoutMs: number): Promise<StateMark> {
    return waitFor(`the header to say ${state}`, async () => (await marks()).find((m) => m.at >= after && m.state === state) ?? null, timeoutMs, 50);
  }
  const waitLive = (timeoutMs = 30_000): Promise<unknown> => page.waitForSelector('#conn[data-state="live"]', { timeout: timeoutMs });

  /** Everything says the data is not current. */
  async function expectNoDataShown(reason: string): Promise<void> {
    const shown = await page.evaluate(() => ({
      header: document.querySelector('#conn .conn-text')!.textContent ?? '',
      reason: (document.getElementById('conn') as HTMLElement).dataset.reason,
      rate: document.getElementById('rate')!.textContent,
      tiles: [...document.querySelectorAll<HTMLElement>('.page.active [data-tile]')].map((t) => ({ id: t.id, stale: t.classList.contains('stale'), age: t.querySelector('.age')?.textContent ?? '' })),
      banner: (document.getElementById('lost-banner') as HTMLElement).hidden ? null : document.getElementById('lost-banner')!.textContent,
    }));
    expect(shown.header).toMatch(/^数据中断 · \d+ 秒前$/);
    expect(shown.reason).toBe(reason);
    expect(shown.rate).toBe('—');
    expect(shown.tiles.length).toBeGreaterThanOrEqual(6); // security, network, power, map, ranking, alerts
    for (const t of shown.tiles) {
      expect(t.stale, t.id).toBe(true);
      expect(t.age, t.id).toMatch(/\d+ (秒|分钟)前/);
    }
    expect(shown.tiles.map((t) => t.id)).toContain('panel-alerts');
    expect(shown.banner).toMatch(/显示的数据截至 \d\d:\d\d:\d\d/);
  }

  async function outage(name: ParkProcess, reason: string, downMs: number): Promise<void> {
    for (let run = 0; run < RUNS; run++) {
      await waitLive();
      await sleep(500);
      const killedAt = Date.now();
      await park.stop(name, 'SIGKILL');
      const down = await markAfter('nodata', killedAt, 15_000);
      note(`${name}: outage -> 数据中断`, down.at - killedAt);
      expect(down.at - killedAt, `${name} stopped: 数据中断 within 5 s`).toBeLessThan(5000);
      await sleep(Math.max(0, downMs - (Date.now() - killedAt)));
      if (run === 0) await expectNoDataShown(reason);
      const startedAt = Date.now();
      await park.start(name);
      const readyAt = Date.now();
      const live = await markAfter('live', startedAt, 30_000);
      if (name === 'screen') {
        note('screen: restart -> live (reconnect)', live.at - readyAt);
      } else {
        const firstDelta = deltaTimes.find((t) => t >= startedAt)!;
        expect(firstDelta).toBeDefined();
        note(`${name}: first delta -> live`, live.at - firstDelta);
        expect(live.at - firstDelta, `${name} back: live within 2 s of the first delta`).toBeLessThan(2000);
      }
    }
  }

  it('the ingest stops: 数据中断 within 5 s (the screen misses its heartbeat), live again on its first delta', async () => {
    await outage('ingest', 'ingest', 6000);
  });

  it('the broker stops: 数据中断 within 5 s (the screen lost it), live again on the first delta', async () => {
    await outage('broker', 'broker', 6000);
  });

  it('the screen server stops: 数据中断 at once (the socket), back without a reload; waits capped at 5 s with jitter', async () => {
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    await outage('screen', 'socket', 12_000);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    const waits = await page.evaluate(() => [...window.__parkpulse.live.waits]);
    expect(waits.length).toBeGreaterThan(3);
    expect(Math.max(...waits)).toBeLessThanOrEqual(5000);
    expect(new Set(waits).size).toBeGreaterThan(waits.length / 2); // jittered, not in step
  });

  it('retries at once when the browser comes back online, not at the next scheduled try', async () => {
    await waitLive();
    // The wall PC loses its network; meanwhile the server restarts.
    await browser.context.setOffline(true);
    await park.stop('screen', 'SIGKILL');
    await markAfter('nodata', Date.now() - 1000, 10_000);
    await sleep(8000); // the waits have grown to the cap
    await park.start('screen');
    // Back online while a long wait is still pending: only the event can explain a quick return.
    await waitFor('a retry pending for another 1.5 s or more', async () => (await page.evaluate(() => window.__parkpulse.live.nextRetryAt - Date.now())) > 1500, 15_000, 20);
    const pendingUntil = await page.evaluate(() => window.__parkpulse.live.nextRetryAt);
    const firedAt = Date.now();
    await browser.context.setOffline(false); // Chromium fires `online`
    const live = await markAfter('live', firedAt, 10_000);
    note('retry on online -> live', live.at - firedAt);
    expect(live.at, 'live before the pending retry would have fired').toBeLessThan(pendingUntil);
  });

  it('retries at once when the page becomes visible', async () => {
    await waitLive();
    await park.stop('screen', 'SIGKILL');
    await markAfter('nodata', Date.now() - 1000, 10_000);
    await waitFor('a retry pending for another 1.5 s or more', async () => (await page.evaluate(() => window.__parkpulse.live.nextRetryAt - Date.now())) > 1500, 20_000, 20);
    const before = await page.evaluate(() => window.__parkpulse.live.waits.length);
    const { pendingUntil } = await page.evaluate(() => {
      const pending = window.__parkpulse.live.nextRetryAt;
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
      return { pendingUntil: pending };
    });
    // An attempt at once (refused: the server is down), and the waits start short again.
    const next = await waitFor('a new attempt', async () => (await page.evaluate((n) => (window.__parkpulse.live.waits.length > n ? { wait: window.__parkpulse.live.waits.at(-1)!, at: Date.now() } : null), before)), 3000, 20);
    expect(next.at).toBeLessThan(pendingUntil);
    expect(next.wait).toBeLessThanOrEqual(500);
    await park.start('screen');
    await waitLive(20_000);
  });
});
