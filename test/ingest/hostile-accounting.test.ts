// Loss accounting and stored figures under broken or hostile devices, through the real park (broker,
// ingest, SQLite file): a seq of 2^53-1 and back is two resets, not 9e15 lost readings; a rejected
// message is a rejection, not also a gap; text with NUL or a lone surrogate is refused; a kWh
// counter going backwards is stored, flagged and today's kWh keeps what was counted.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIngestMetrics } from '../../ingest/metrics.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { createMetricsRegistry } from '../../shared/metrics.ts';
import type { LiveMessage } from '../../shared/schema.ts';
import { deviceTopic, liveTopic, type Channel, type DeviceKind } from '../../shared/topics.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

let park: TestPark;
const clients: mqtt.MqttClient[] = [];
beforeAll(async () => {
  park = await startPark({ screen: false });
});
afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  await park?.stop();
});

async function device(id: string): Promise<((channel: Channel, body: string) => Promise<void>) & { client: mqtt.MqttClient }> {
  const kind = park.model.deviceById.get(id)!.kind as DeviceKind;
  const c = await mqtt.connectAsync(park.mqttUrl, { clientId: id, username: id, password: deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id), reconnectPeriod: 0 });
  clients.push(c);
  const send = async (channel: Channel, body: string): Promise<void> => {
    await c.publishAsync(deviceTopic(park.model.id, kind, id, channel), body, { qos: 1 });
  };
  return Object.assign(send, { client: c });
}
const stats = () => park.ingest!.stats();
const settled = (n: number) => waitFor(`${n} messages handled`, () => stats().accepted + stats().rejected + stats().deadLettered >= n, 10_000);

describe('accounting that cannot be poisoned', () => {
  it('counts a seq of 2^53-1 and the way back as two resets, exported, with no gap', async () => {
    const send = await device('g5-02');
    const body = (seq: number): string => JSON.stringify({ ts: Date.now(), seq, rsrpDbm: -85, sinrDb: 15, dlMbps: 600, ulMbps: 80, latencyMs: 12, connectedUes: 40 });
    const before = stats().accepted + stats().rejected;
    for (const seq of [1, 2, Number.MAX_SAFE_INTEGER, 3, 4]) await send('telemetry', body(seq));
    await settled(before + 5);
    expect(stats().gaps).toBe(0);
    expect(stats().resets).toBe(2);
    const registry = createMetricsRegistry();
    registerIngestMetrics(registry, { stats: park.ingest!.stats });
    const text = await registry.metrics();
    expect(text).toMatch(/^parkpulse_ingest_seq_resets_total 2$/m);
    expect(text).toMatch(/^parkpulse_ingest_seq_gaps_total 0$/m);
    expect(text).toMatch(/^parkpulse_ingest_flags_total\{flag="seq-reset"\} 2$/m);
  });

  it('counts a rejected message as rejected, and the valid one after it is no gap', async () => {
    const send = await device('g5-03');
    const ok = (seq: number): string => JSON.stringify({ ts: Date.now(), seq, rsrpDbm: -85, sinrDb: 15, dlMbps: 600, ulMbps: 80, latencyMs: 12, connectedUes: 40 });
    const before = { n: stats().accepted + stats().rejected, gaps: stats().gaps, schema: stats().rejects['schema-invalid'] ?? 0 };
    await send('telemetry', ok(1));
    await send('telemetry', JSON.stringify({ ts: Date.now(), seq: 2, rsrpDbm: 999 })); // out of range, fields missing
    await send('telemetry', ok(3));
    await settled(before.n + 3);
    expect(stats().rejects['schema-invalid']).toBe(before.schema + 1);
    expect(stats().gaps).toBe(before.gaps);
  });
});

describe('text fields', () => {
  it.each([
    ['NUL', 'gate\u0000a'],
    ['a control character', 'gate\u001b[31m'],
    ['a C1 control', 'gate\u0085'],
    ['a lone surrogate', 'gate\udc00'],
  ])('refuses a camera event whose zone holds %s (schema-invalid)', async (_what, zone) => {
    const send = await device('cam-050');
    const before = { n: stats().accepted + stats().rejected, schema: stats().rejects['schema-invalid'] ?? 0 };
    // JSON.stringify writes the lone surrogate as an escape and NUL as \u0000: what arrives is valid UTF-8.
    await send('event', JSON.stringify({ ts: Date.now(), seq: 10, type: 'motion', zone, confidence: 0.5 }));
    await settled(before.n + 1);
    expect(stats().rejects['schema-invalid']).toBe(before.schema + 1);
  });

  it('refuses ill-formed UTF-8 in the payload bytes (payload-not-utf8)', async () => {
    const send = await device('cam-051');
    const before = { n: stats().accepted + stats().rejected, bad: stats().rejects['payload-not-utf8'] ?? 0 };
    const head = Buffer.from(`{"ts":${Date.now()},"seq":1,"type":"motion","zone":"gate`);
    await send.client.publishAsync(deviceTopic(park.model.id, 'camera', 'cam-051', 'event'), Buffer.concat([head, Buffer.from([0xc0, 0xaf]), Buffer.from('","confidence":0.5}')]), { qos: 1 });
    await settled(before.n + 1);
    expect(stats().rejects['payload-not-utf8']).toBe(before.bad + 1);
  });
});

describe("a meter's counter going backwards", () => {
  it("is stored, flagged as counter-reset, and today's kWh keeps what was counted before", async () => {
    const id = 'mtr-longyuan-1';
    const enterprise = park.model.deviceById.get(id)!.enterprise!;
    const watcher = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-screen-kwh', username: 'svc-screen', password: park.provisioned.serviceSecrets.screen, reconnectPeriod: 0 });
    clients.push(watcher);
    let last: LiveMessage | null = null;
    watcher.on('message', (_t, p) => (last = JSON.parse(p.toString()) as LiveMessage));
    await watcher.subscribeAsync(liveTopic(park.model.id, 'delta'), { qos: 0 });
    const send = await device(id);
    const t0 = Date.now();
    const reading = (seq: number, kwh: number): string => JSON.stringify({ ts: t0 + seq, seq, kw: 100, kwh, voltage: 400, current: 150, powerFactor: 0.95 });
    const before = { n: stats().accepted + stats().rejected, accepted: stats().accepted };
    for (const [seq, kwh] of [[1, 1000], [2, 1010], [3, 5], [4, 8]] as const) await send('telemetry', reading(seq, kwh));
    await settled(before.n + 4);
    expect(stats().flags['counter-reset']).toBe(1);
    expect(stats().accepted).toBe(before.accepted + 4); // stored, not rejected
    const kwhToday = (): number | undefined => (last as LiveMessage | null)?.summary.energy.enterprises.find((e) => e.id === enterprise)?.kwhToday;
    await waitFor("today's kWh 13 (10 before the reset, 3 after)", () => kwhToday() === 13, 10_000);
    const reader = await park.reader();
    const keys = await reader.keys({ device: id });
    expect(keys.filter((k) => k.channel === 'telemetry').map((k) => k.seq)).toEqual([1, 2, 3, 4]);
  });
});
