// The wall's content APIs on a real screen server and broker: an operator publishes and withdraws
// notices (多媒体信息发布) and replaces the economic KPI set; the wall's WebSocket and /api/kpis
// follow; without a session, from another origin or with a bad body nothing changes.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKpiSet } from '../../shared/kpis.ts';
import type { KpiSet, Notice } from '../../shared/schema.ts';
import { httpClient, type HttpClient } from '../helpers/http-client.ts';
import { signedInOperator } from '../helpers/operator-session.ts';
import { openWallSocket, type WallSocket } from '../helpers/wall-socket.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

describe('notices and KPI set over the operator API', () => {
  let park: TestPark;
  let op: HttpClient;
  let wall: WallSocket;

  beforeAll(async () => {
    park = await startPark({ ingest: false });
    // The screen was started by startPark; the KPI file is the test's own folder's.
    op = await signedInOperator(park, '钱七');
    wall = await openWallSocket(park.screenWsUrl);
  });
  afterAll(async () => {
    wall?.close();
    await park?.stop();
  });

  it('publishes a notice to the wall, attributed, and withdraws it', async () => {
    const created = await op.post('/api/notices', { text: '今晚22:00起B区道路施工，请绕行', textEn: 'Road works in zone B from 22:00', level: 'important', minutes: 90 });
    expect(created.status).toBe(201);
    const notice = created.json<{ notice: Notice }>().notice;
    expect(notice).toMatchObject({ by: '钱七', level: 'important', textEn: 'Road works in zone B from 22:00' });
    expect(notice.until! - notice.from).toBe(90 * 60_000);
    await waitFor('the notice on the wall', () => wall.notices().some((n) => n.id === notice.id));
    expect((await op.get('/api/notices')).json<{ notices: Notice[] }>().notices.map((n) => n.id)).toContain(notice.id);

    // A second one right after: both stay (the second starts from the list the first published).
    const second = (await op.post('/api/notices', { text: '消防演练 15:00' })).json<{ notice: Notice }>().notice;
    await waitFor('both on the wall', () => wall.notices().length === 2);

    expect((await op.del(`/api/notices/${notice.id}`)).status).toBe(200);
    await waitFor('the withdrawn notice gone from the wall', () => wall.notices().length === 1 && wall.notices()[0]!.id === second.id);
    expect((await op.del(`/api/notices/${notice.id}`)).status).toBe(404);
    expect((await op.del(`/api/notices/${second.id}`)).status).toBe(200);
    await waitFor('the wall without notices', () => wall.notices().length === 0);
  });

  it('refuses notices without a session, from another origin, or malformed', async () => {
    const anonymous = httpClient(park.screenUrl);
    expect((await anonymous.post('/api/notices', { text: 'x' })).status).toBe(401);
    const foreign = httpClient(park.screenUrl, { origin: 'http://evil.example' });
    foreign.cookie = op.cookie;
    expect((await foreign.post('/api/notices', { text: 'x' })).status).toBe(403);
    expect((await op.post('/api/notices', { text: '' })).status).toBe(400);
    expect((await op.post('/api/notices', { text: 'x', level: 'panic' })).status).toBe(400);
    expect((await op.post('/api/notices', { text: 'x', extra: 1 })).status).toBe(400);
    expect((await op.post('/api/notices', { text: 'x'.repeat(20_000) })).status).toBe(413);
    expect((await op.post('/api/notices', { text: 'x', from: Date.now(), until: Date.now() - 1000 })).status).toBe(400);
    expect((await op.get('/api/notices')).json<{ notices: Notice[] }>().notices).toEqual([]);
  });

  it('replaces the KPI set, and refuses an anonymous or invalid one', async () => {
    const set = loadKpiSet();
    const next: KpiSet = { ...set, id: 'dantu-2024-q3-test', title: `${set.title}（测试）` };
    const anonymous = httpClient(park.screenUrl);
    expect((await anonymous.put('/api/kpis', next)).status).toBe(401);
    expect((await op.put('/api/kpis', { ...next, figures: 'none' })).status).toBe(400);
    expect((await op.get('/api/kpis')).json<KpiSet>().id).toBe(set.id);

    const put = await op.put('/api/kpis', next);
    expect(put.status).toBe(200);
    expect(put.json()).toMatchObject({ id: next.id, by: '钱七' });
    const served = await op.get('/api/kpis');
    expect(served.json<KpiSet>()).toMatchObject({ id: next.id, title: next.title });
    expect(loadKpiSet(join(park.dir, 'kpis.json')).id).toBe(next.id);
  });
});
