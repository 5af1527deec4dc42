// The WebSocket fan-out on a real HTTP server: snapshot on connect, consecutive deltas, resync on
// request, and a browser that stops reading is skipped without holding back the others.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLiveHub, type LiveHub } from '../../screen/server/live-hub.ts';
import type { DeviceLive, LiveSummary, WsServerMessage } from '../../shared/schema.ts';
import { silentLogger } from '../../shared/logger.ts';
import { waitFor } from '../../testkit/park.ts';

const summary = (at: number): LiveSummary => ({
  at,
  ingest: { ratePerSec: 1, accepted: 1, rejected: 0, rejects: {}, gaps: 0, duplicates: 0 },
  cameras: { total: 1, online: 1, offline: 0, unknown: 0, eventsLastHour: 0, latestEvents: [] },
  nodes: { total: 0, up: 0, down: 0, unknown: 0, rsrpDbm: null, sinrDb: null, latencyMs: null, dlMbps: 0, ulMbps: 0 },
  energy: { totalKw: 0, metersOnline: 0, metersTotal: 0, enterprises: [] },
  newest: { camera: at, node5g: null, meter: null },
});
const device = (id: string, ts: number, pad = 0): DeviceLive => ({ id, kind: 'camera', status: 'online', cause: null, ts, seenAt: ts, t: { online: true, fps: 25, bitrateKbps: ts % 1000, storageUsedPct: pad } });

describe('live hub', () => {
  let server: Server;
  let hub: LiveHub;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const s of sockets) s.terminate();
    await hub?.close();
    server?.close();
  });

  async function start(coalesceMs: number, maxBufferedBytes?: number, extra: Partial<Parameters<typeof createLiveHub>[0]> = {}): Promise<string> {
    hub = createLiveHub({ logger: silentLogger(), coalesceMs, ...(maxBufferedBytes ? { maxBufferedBytes } : {}), ...extra });
    server = createServer();
    server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  }
  async function connect(url: string): Promise<{ ws: WebSocket; msgs: WsServerMessage[] }> {
    const ws = new WebSocket(url);
    sockets.push(ws);
    const msgs: WsServerMessage[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as WsServerMessage));
    await new Promise((r) => ws.once('open', r));
    return { ws, msgs };
  }

  it('coalesces many upstream deltas into a few per second', async () => {
    const url = await start(200);
    hub.applySnapshot({ seq: 1, heartbeatMs: 250, summary: summary(1), devices: [device('cam-001', 1)] });
    const { msgs } = await connect(url);
    for (let i = 0; i < 100; i++) {
      hub.applyDelta({ seq: 2 + i, heartbeatMs: 250, summary: summary(10 + i), devices: [device('cam-001', 10 + i)] });
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(msgs[0]!.type).toBe('snapshot');
    const deltas = msgs.filter((m) => m.type === 'delta');
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.length).toBeLessThan(15); // ~1.3 s at 200 ms, not 100
    const last = deltas.at(-1)!;
    expect(last.type === 'delta' && last.devices[0]!.ts).toBe(109);
    expect(msgs.map((m) => m.seq)).toEqual(msgs.map((_, i) => i + 1));
  });

  it('answers a resync with a full snapshot', async () => {
    const url = await start(100);
    hub.applySnapshot({ seq: 1, heartbeatMs: 250, summary: summary(1), devices: [device('a', 1), device('b', 1)] });
    const { ws, msgs } = await connect(url);
    await waitFor('first snapshot', () => msgs.length >= 1);
    ws.send(JSON.stringify({ type: 'resync' }));
    await waitFor('second snapshot', () => msgs.filter((m) => m.type === 'snapshot').length === 2);
    // The newest snapshot (a coalesced delta may land after it).
    const snap = msgs.filter((m) => m.type === 'snapshot').at(-1)!;
    expect(snap.type === 'snapshot' && snap.devices.map((d) => d.id).sort()).toEqual(['a', 'b']);
  });

  it('closes a socket that sends garbage or too much', async () => {
    const url = await start(100);
    const { ws } = await connect(url);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('x'.repeat(10_000));
    expect(await closed).toBe(1009); // message too big
    const b = await connect(url);
    const closedB = new Promise<number>((r) => b.ws.once('close', (code) => r(code)));
    b.ws.send('{"type":"launch-missiles"}');
    expect(await closedB).toBe(1008);
  });

  it('skips a browser that stops reading, and the others keep their pace', async () => {
    const url = await start(50, 64 * 1024);
    const big = Array.from({ length: 3000 }, (_, i) => device(`cam-${i}`, 1, i));
    hub.applySnapshot({ seq: 1, heartbeatMs: 250, summary: summary(1), devices: big });
    const slow = await connect(url);
    const fast = await connect(url);
    // The slow browser stops reading its socket: the server's send buffer fills up.
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    for (let i = 0; i < 40; i++) {
      hub.applyDelta({ seq: 2 + i, heartbeatMs: 250, summary: summary(2 + i), devices: big.map((d) => ({ ...d, ts: 2 + i, seenAt: 2 + i })) });
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 200));
    const stats = hub.stats();
    expect(stats.skipped).toBeGreaterThan(0);
    const fastDeltas = fast.msgs.filter((m) => m.type === 'delta').length;
    expect(fastDeltas).toBeGreaterThan(15);
    // Once it reads again, the slow one catches up with a snapshot and stays consistent.
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await waitFor('slow browser gets a fresh snapshot', () => slow.msgs.filter((m) => m.type === 'snapshot').length >= 2);
    expect(slow.msgs.map((m) => m.seq)).toEqual(slow.msgs.map((_, i) => i + 1));
  });

  it('tells every browser what it knows of the pipeline, and keeps talking when nothing changes', async () => {
    const url = await start(50, undefined, { heartbeatMs: 300, ingestTimeoutMs: 400 });
    hub.setBrokerConnected(true);
    hub.applySnapshot({ seq: 1, heartbeatMs: 100, summary: summary(1), devices: [device('a', 1)] });
    const { msgs } = await connect(url);
    await waitFor('the snapshot', () => msgs.length >= 1);
    expect(msgs[0]!.pipeline).toMatchObject({ broker: true, ingest: true });
    expect(msgs[0]!.pipeline.ingestSeenAt).toBeGreaterThan(0);
    // The ingest goes quiet: the pipeline state changes at once when its heartbeat is overdue,
    // then the server's own heartbeat follows every 300 ms with nothing in it.
    await waitFor('ingest lost', () => msgs.some((m) => !m.pipeline.ingest), 2000);
    const lostAt = msgs.findIndex((m) => !m.pipeline.ingest);
    await new Promise((r) => setTimeout(r, 1000));
    const beats = msgs.slice(lostAt + 1);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.length).toBeLessThanOrEqual(5);
    for (const b of beats) expect(b.type === 'delta' && b.devices.length === 0 && b.summary === undefined).toBe(true);
    // The server's broker link drops: broker and ingest both reported lost.
    hub.setBrokerConnected(false);
    await waitFor('broker lost', () => msgs.at(-1)!.pipeline.broker === false, 1000);
    expect(msgs.at(-1)!.pipeline.ingest).toBe(false);
    // Back: the first delta from the ingest makes it live again in the next flush.
    hub.setBrokerConnected(true);
    hub.applyDelta({ seq: 2, heartbeatMs: 100, summary: summary(2), devices: [] });
    await waitFor('live again', () => msgs.at(-1)!.pipeline.ingest && msgs.at(-1)!.pipeline.broker, 500);
    expect(msgs.map((m) => m.seq)).toEqual(msgs.map((_, i) => i + 1));
  });
});
