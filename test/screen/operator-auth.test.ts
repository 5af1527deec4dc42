// Operator sign-in and the console's protections against the real screen server, broker and
// ingest: sessions in HttpOnly SameSite=Strict cookies, 401 without a session, origin checks on
// every state-changing request, sign-in rate limits per address and per name, and every refusal
// recorded in the ingest's audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { openAlertDb, type AlertDb } from '../../ingest/alerts/alert-db.ts';
import { searchAudit } from '../../ingest/alerts/alert-queries.ts';
import { addOperator, removeOperator } from '../../shared/operators.ts';
import { httpClient } from '../helpers/http-client.ts';
import { startPark, TEST_SCRYPT, waitFor, type TestPark } from '../../testkit/park.ts';

const PASSWORD = 'correct horse battery';

describe('operator sign-in and request protection', () => {
  let park: TestPark;
  let db: AlertDb;
  // Each test comes from its own loopback address, so the per-address limit is its own.
  let nextAddress = 10;
  const client = (opts: { origin?: string } = {}) => httpClient(park.screenUrl, { localAddress: `127.0.0.${nextAddress++}`, ...opts });

  beforeAll(async () => {
    park = await startPark({ alertRules: {}, allowedOrigins: ['self', 'https://wall.example.com'] });
  });
  afterAll(async () => {
    db?.close();
    await park?.stop();
  });
  const trail = async (match: (r: ReturnType<typeof searchAudit>[number]) => boolean) => {
    db ??= openAlertDb(park.alertsDbPath, { readOnly: true });
    return waitFor('the refusal in the audit trail', () => searchAudit(db, { ok: false, limit: 500 }).find(match) ?? null, 5000);
  };

  it('says clearly when no operator is registered', async () => {
    const res = await client().signIn('nobody', PASSWORD);
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ error: 'no-operators' });
    await addOperator(park.operatorsPath, '张三', PASSWORD, TEST_SCRYPT);
    await addOperator(park.operatorsPath, 'li.wei', PASSWORD, TEST_SCRYPT);
  });

  it('signs in with a server-side session in an HttpOnly, SameSite=Strict cookie, and signs out', async () => {
    const c = client();
    const bad = await c.signIn('张三', 'wrong password!');
    expect(bad.status).toBe(401);
    expect(bad.json()).toMatchObject({ error: 'bad-credentials' });
    expect(c.cookie).toBeNull();
    const ok = await c.signIn('张三', PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ operator: '张三' });
    const setCookie = String(ok.headers['set-cookie']);
    expect(setCookie).toMatch(/^pp_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect((await c.get('/api/session')).json()).toMatchObject({ operator: '张三' });
    expect((await client().get('/api/session')).status).toBe(401);
    // a made-up cookie is no session
    const forged = client();
    forged.cookie = 'pp_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    expect((await forged.get('/api/session')).status).toBe(401);
    expect((await c.del('/api/session')).status).toBe(200);
    expect(c.cookie).toBeNull();
    c.cookie = setCookie.split(';')[0]!; // the old id no longer works
    expect((await c.get('/api/session')).status).toBe(401);
    const failed = await trail((r) => r.action === 'sign-in' && r.actor === '张三' && r.code === 'bad-credentials');
    expect(failed.detail).toMatchObject({ source: 'screen' });
  });

  it('refuses to acknowledge or shelve without a session (401), and records the attempt', async () => {
    const c = client();
    const ack = await c.post('/api/alerts/some-alert/ack', { note: 'seen' });
    expect(ack.status).toBe(401);
    expect(ack.json()).toMatchObject({ error: 'not-signed-in' });
    expect((await c.post('/api/alerts/some-alert/shelve', { note: 'x', minutes: 10 })).status).toBe(401);
    expect((await c.get('/api/alerts/history')).status).toBe(401);
    expect((await c.get('/api/audit.csv')).status).toBe(401);
    const rec = await trail((r) => r.action === 'ack' && r.alertId === 'some-alert');
    expect(rec).toMatchObject({ actor: 'anonymous', ok: false, code: 'not-signed-in' });
    expect(typeof rec.detail.ip).toBe('string');
  });

  it('refuses state-changing requests from another origin, or with no origin at all, even with a session', async () => {
    const c = client();
    await c.signIn('li.wei', PASSWORD);
    const evil = await c.post('/api/alerts/a-1/ack', { note: 'x' }, { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.json()).toMatchObject({ error: 'cross-origin' });
    const none = await c.post('/api/alerts/a-1/ack', { note: 'x' }, { origin: null });
    expect(none.status).toBe(403);
    expect(none.json()).toMatchObject({ error: 'origin-required' });
    // A different port on the same host is another origin.
    const port = await c.post('/api/alerts/a-1/ack', { note: 'x' }, { origin: 'http://127.0.0.1:1' });
    expect(port.status).toBe(403);
    // Cross-origin sign-in and sign-out are refused too.
    expect((await client({ origin: 'http://evil.example' }).signIn('li.wei', PASSWORD)).status).toBe(403);
    expect((await c.del('/api/session', { origin: 'http://evil.example' })).status).toBe(403);
    // The page's own origin via Referer (no Origin) and a configured origin pass the check.
    const viaReferer = await c.post('/api/alerts/a-1/ack', { note: 'x' }, { origin: null, referer: `${park.screenUrl}/console` });
    expect(viaReferer.status).toBe(404); // past the origin check: no such alert
    expect((await c.post('/api/alerts/a-1/ack', { note: 'x' }, { origin: 'https://wall.example.com' })).status).toBe(404);
    const rec = await trail((r) => r.code === 'cross-origin' && r.alertId === 'a-1');
    expect(rec).toMatchObject({ actor: 'li.wei', action: 'ack', ok: false });
  });

  it('limits failed sign-ins per operator name, whatever the address', async () => {
    for (let i = 0; i < 5; i++) expect((await client().signIn('li.wei', `wrong password ${i}`)).status).toBe(401);
    const limited = await client().signIn('li.wei', PASSWORD); // even the right password, for now
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ error: 'rate-limited' });
    // Another operator is not locked out.
    expect((await client().signIn('张三', PASSWORD)).status).toBe(200);
    await trail((r) => r.action === 'sign-in' && r.code === 'rate-limited' && r.actor === 'li.wei');
  });

  it('limits sign-in attempts per client address', async () => {
    const c = client();
    for (let i = 0; i < 10; i++) expect((await c.signIn(`guess${i}`, 'wrong password')).status).toBe(401);
    expect((await c.signIn('张三', PASSWORD)).status).toBe(429);
    expect((await client().signIn('张三', PASSWORD)).status).toBe(200); // another address is fine
  });

  it('lets a signed-in operator open the live socket without the viewer token, never from another origin', async () => {
    const { default: WebSocket } = await import('ws');
    const url = `${park.screenUrl.replace('http', 'ws')}/ws`;
    const attempt = (headers: Record<string, string>): Promise<string> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.once('message', () => {
          ws.close();
          resolve('open');
        });
        ws.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        ws.once('error', () => resolve('error'));
      });
    expect(await attempt({ origin: park.screenUrl })).toBe('401'); // no token, no session
    const c = client();
    await c.signIn('张三', PASSWORD);
    expect(await attempt({ origin: park.screenUrl, cookie: c.cookie! })).toBe('open');
    expect(await attempt({ origin: 'http://evil.example', cookie: c.cookie! })).toBe('403');
  });

  it('ends the sessions of an operator who is removed', async () => {
    await addOperator(park.operatorsPath, 'temp', PASSWORD, TEST_SCRYPT);
    const c = client();
    expect((await c.signIn('temp', PASSWORD)).status).toBe(200);
    expect((await c.get('/api/session')).status).toBe(200);
    removeOperator(park.operatorsPath, 'temp');
    expect((await c.get('/api/session')).status).toBe(401);
  });
});

describe('operator sessions time out', () => {
  it('ends a session after the idle time', async () => {
    const park = await startPark({ ingest: false, screenOptions: { sessionIdleMs: 1000 } });
    try {
      await addOperator(park.operatorsPath, 'wang', PASSWORD, TEST_SCRYPT);
      const c = httpClient(park.screenUrl);
      expect((await c.signIn('wang', PASSWORD)).status).toBe(200);
      await sleep(500);
      expect((await c.get('/api/session')).status).toBe(200); // activity keeps it alive
      await sleep(500);
      expect((await c.get('/api/session')).status).toBe(200);
      await sleep(1300);
      expect((await c.get('/api/session')).status).toBe(401);
    } finally {
      await park.stop();
    }
  });
});
