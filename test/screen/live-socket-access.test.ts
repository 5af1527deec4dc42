// Who may open the screen's live WebSocket, on the real screen server: the viewer token (never in
// a log), the origin allow-list (checked before the upgrade), the message size limit, security
// headers on every HTTP response, and the wall screen in a real browser keeping its token.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { STATIC_DIR } from '../../bin/services.ts';
import { generateSecret } from '../../shared/credentials.ts';
import { createLogger } from '../../shared/logger.ts';
import { createMetricsRegistry } from '../../shared/metrics.ts';
import type { WsServerMessage } from '../../shared/schema.ts';
import { CHROMIUM, launchBrowser } from '../../testkit/browser.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

describe('live socket access', () => {
  let park: TestPark;
  let logText = '';
  let wsBase: string;
  let token: string;
  const WRONG = generateSecret(); // a well-formed token that is not the viewer's

  beforeAll(async () => {
    const sink = new PassThrough();
    sink.on('data', (d: Buffer) => (logText += d.toString()));
    const logger = createLogger({ level: 'debug', destination: sink });
    park = await startPark({
      ingest: false,
      logger,
      allowedOrigins: ['self', 'https://wall.example:8443'],
      screenOptions: { wsMaxMessageBytes: 512, metrics: createMetricsRegistry() },
    });
    token = park.provisioned.viewerToken;
    wsBase = park.screenUrl.replace('http', 'ws');
  }, 120_000);
  afterAll(async () => park?.stop());

  /** The HTTP status of a refused upgrade, or the first message of an accepted one. */
  function open(url: string, headers: Record<string, string> = {}): Promise<{ status: number; first?: WsServerMessage; ws?: WebSocket }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0 });
        ws.terminate();
      });
      ws.once('message', (d) => resolve({ status: 101, first: JSON.parse(d.toString()) as WsServerMessage, ws }));
      ws.once('error', () => resolve({ status: -1 }));
    });
  }

  it('requires the viewer token: refused without it or with a wrong one, accepted on the URL or as a bearer', async () => {
    expect((await open(`${wsBase}/ws`)).status).toBe(401);
    expect((await open(`${wsBase}/ws?token=${WRONG}`)).status).toBe(401);
    expect((await open(`${wsBase}/ws`, { authorization: `Bearer ${WRONG}` })).status).toBe(401);
    const byUrl = await open(park.screenWsUrl);
    expect(byUrl.status).toBe(101);
    expect(byUrl.first?.type).toBe('snapshot');
    byUrl.ws!.close();
    const byHeader = await open(`${wsBase}/ws`, { authorization: `Bearer ${token}` });
    expect(byHeader.first?.type).toBe('snapshot');
    byHeader.ws!.close();
    expect(park.screen!.stats().upgradesRefused.token).toBe(3);
  });

  it('checks the origin before anything else: foreign pages are refused even with the token', async () => {
    const before = park.screen!.stats().upgradesRefused.origin;
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${park.screenHttp!.port + 1}`, 'https://wall.example']) {
      expect((await open(park.screenWsUrl, { origin })).status, origin).toBe(403);
    }
    expect(park.screen!.stats().upgradesRefused.origin).toBe(before + 4);
    // The page's own origin (`self`) and a listed one are fine.
    for (const origin of [park.screenUrl, 'https://wall.example:8443']) {
      const ok = await open(park.screenWsUrl, { origin });
      expect(ok.status, origin).toBe(101);
      ok.ws!.close();
    }
  });

  it('closes a socket that sends a message over the configured size', async () => {
    const { ws } = await open(park.screenWsUrl);
    const closed = new Promise<number>((r) => ws!.once('close', (code) => r(code)));
    ws!.send('x'.repeat(600));
    expect(await closed).toBe(1009);
  });

  it('counts refusals in /metrics and never writes a token to the log', async () => {
    const text = await (await fetch(`${park.screenUrl}/metrics`)).text();
    expect(text).toMatch(/^parkpulse_screen_upgrades_refused_total\{reason="token"\} 3$/m);
    expect(text).toMatch(/^parkpulse_screen_upgrades_refused_total\{reason="origin"\} 4$/m);
    await waitFor('refusals logged', () => logText.includes('live socket refused'));
    expect(logText).toContain('/ws?[redacted]');
    expect(logText).not.toContain(token);
    expect(logText).not.toContain(WRONG);
  });

  it('sends security headers on every response', async () => {
    const asset = readdirSync(join(STATIC_DIR, 'assets')).find((f) => f.endsWith('.js'));
    const requests: [string, RequestInit?][] = [
      ['/'],
      ['/', { method: 'HEAD' }],
      [`/assets/${asset}`],
      ['/api/park'],
      ['/api/history?series=bogus&from=1&to=2&bucketMs=1000'],
      ['/healthz', { method: 'POST' }],
      ['/nope.txt'],
      ['/api/nope'],
      ['/healthz'],
      ['/readyz'],
      ['/metrics'],
    ];
    const statuses = new Set<number>();
    for (const [path, init] of requests) {
      const res = await fetch(`${park.screenUrl}${path}`, init);
      statuses.add(res.status);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
      await res.arrayBuffer();
    }
    expect([...statuses].sort()).toEqual([200, 400, 404, 405]);
  });

  describe.skipIf(!CHROMIUM)('in a real browser', () => {
    it('connects with the token from the address, keeps it for reloads, and takes it out of the address bar', async () => {
      const browser = await launchBrowser({ width: 1280, height: 720 });
      try {
        const page = await browser.context.newPage();
        await page.goto(`${park.screenUrl}/?token=${encodeURIComponent(token)}&lang=en`);
        await page.waitForSelector('body[data-connection="open"]', { timeout: 30_000 });
        expect(await page.evaluate('location.search')).toBe('?lang=en');
        expect(await page.evaluate('localStorage.getItem("parkpulse.viewerToken")')).toBe(token);
        // The wall PC reboots and opens its bookmark without the token: still live.
        await page.goto(`${park.screenUrl}/?lang=en`);
        await page.waitForSelector('body[data-connection="open"]', { timeout: 30_000 });
      } finally {
        await browser.close();
      }
    });

    it('stays disconnected without a token, and the server says why', async () => {
      const before = park.screen!.stats().upgradesRefused.token;
      const browser = await launchBrowser({ width: 1280, height: 720 });
      try {
        const page = await browser.context.newPage();
        await page.goto(`${park.screenUrl}/`);
        await waitFor('the refused upgrade', () => park.screen!.stats().upgradesRefused.token > before);
        expect(await page.getAttribute('body', 'data-connection')).not.toBe('open');
      } finally {
        await browser.close();
      }
    });
  });
});
