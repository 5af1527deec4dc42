// The screen server's HTTP side against the real park: app, park model, history, headers, and
// refusals of bad requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

describe('screen server', () => {
  let park: TestPark;
  let fleet: Fleet;
  beforeAll(async () => {
    park = await startPark();
    // No message budget: on a loaded machine the budget ran out before the last devices had even
    // connected (no 5G node had reported). Run until every device's data is stored, then stop.
    fleet = await createFleet({ model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger, intervalMs: 100 });
    const reader = await park.reader();
    await waitFor('every device stored, 800 readings in all', async () => (await reader.latest()).length === park.model.devices.length && (await reader.keys()).length >= 800, 60_000, 200);
    await fleet.close();
  });
  afterAll(async () => {
    await fleet?.close();
    await park?.stop();
  });
  const get = (path: string): Promise<Response> => fetch(`${park.screenUrl}${path}`);

  it('serves the built app with security headers on every response', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('丹徒高新技术产业园');
    for (const path of ['/', '/api/park', '/nope', '/healthz']) {
      const r = await get(path);
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(r.headers.get('content-security-policy'), path).toContain("default-src 'self'");
    }
  });

  it('never serves files outside the app folder', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/assets/%00.js']) {
      const res = await get(path);
      expect(res.status, path).not.toBe(200);
    }
  });

  it('gives the park model for the map', async () => {
    const body = (await (await get('/api/park')).json()) as { id: string; devices: unknown[]; zones: unknown[] };
    expect(body.id).toBe('dantu');
    expect(body.devices.length).toBe(park.model.devices.length);
    expect(body.zones.length).toBeGreaterThan(3);
  });

  it('answers history from the store, in time buckets', async () => {
    const to = Date.now() + 1000;
    const from = to - 600_000;
    const res = await get(`/api/history?series=park.power&from=${from}&to=${to}&bucketMs=60000`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { points: { t: number; v: number }[] };
    expect(body.points.length).toBeGreaterThan(0);
    for (const p of body.points) {
      expect(p.t % 60000).toBe(0);
      expect(p.v).toBeGreaterThan(0);
    }
    const events = await get(`/api/history?series=node5g.rsrp&from=${from}&to=${to}&bucketMs=60000`);
    const rsrp = (await events.json()) as { points: { v: number }[] };
    expect(rsrp.points[0]!.v).toBeLessThan(-60);
  });

  it.each([
    ['/api/history?series=park.power', 'from'],
    ['/api/history?series=bogus&from=1&to=2&bucketMs=1000', 'series'],
    ['/api/history?series=park.power&from=2000000000000&to=1000000000000&bucketMs=60000', 'after'],
    ['/api/history?series=park.power&from=1000000000000&to=1900000000000&bucketMs=60000', '31 days'],
    ['/api/history?series=park.power&from=1700000000000&to=1700086400000&bucketMs=1000', '5000 buckets'],
  ])('refuses %s with a clear 400', async (path, words) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain(words);
  });

  it("gives today's energy per enterprise", async () => {
    const body = await waitFor('energy for every enterprise', async () => {
      const b = (await (await get('/api/energy/today')).json()) as { enterprises: { enterprise: string; kwh: number }[] };
      return b.enterprises.length === park.model.enterprises.length ? b : null;
    });
    for (const e of body.enterprises) expect(e.kwh).toBeGreaterThanOrEqual(0);
  });

  it('refuses a WebSocket upgrade on any path but /ws', async () => {
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${park.screenUrl.replace('http', 'ws')}/elsewhere`);
    const err = await new Promise<Error>((r) => ws.once('error', r));
    expect(err.message).toMatch(/404/);
  });
});
