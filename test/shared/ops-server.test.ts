// Health and Prometheus metrics of the broker and the ingest on a real park: /healthz, /readyz
// (503 when a service cannot work), and metrics that follow what actually happened.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBrokerMetrics } from '../../broker/metrics.ts';
import { arrivalLatencyHistogram, durableLatencyHistogram, registerIngestMetrics, timeStoreWrites } from '../../ingest/metrics.ts';
import { createSqliteStore } from '../../ingest/store/sqlite-store.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { createMetricsRegistry } from '../../shared/metrics.ts';
import { listenOps, type OpsListener, type ReadinessCheck } from '../../shared/ops-server.ts';
import { deviceTopic } from '../../shared/topics.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

describe('health and metrics', () => {
  let park: TestPark;
  let ops: OpsListener;
  let base: string;

  beforeAll(async () => {
    park = await startPark({ ingest: false, screen: false });
    const metrics = createMetricsRegistry({ processMetrics: true });
    registerBrokerMetrics(metrics, park.broker);
    const store = timeStoreWrites(await createSqliteStore({ path: park.sqlitePath, model: park.model, logger: park.logger }), metrics);
    const ingest = await park.startIngest({ store, onDurable: durableLatencyHistogram(metrics), onArrival: arrivalLatencyHistogram(metrics) });
    // The hooks other parts fill in: a spooling store's depth, and the alert state.
    registerIngestMetrics(metrics, { stats: ingest.stats, spoolDepth: () => 7, alertsByState: () => ({ active: 2, acknowledged: 1 }) });
    const checks: ReadinessCheck[] = [
      { name: 'broker', ready: () => true },
      { name: 'ingest', ready: () => park.ingest?.stats().connected === true },
    ];
    ops = await listenOps({ host: '127.0.0.1', port: 0, metrics, checks: () => checks });
    base = `http://127.0.0.1:${ops.port}`;
  });
  afterAll(async () => {
    await ops?.close();
    await park?.stop();
  });

  function value(text: string, series: string): number {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    if (!line) throw new Error(`no ${series} in:\n${text}`);
    return Number(line.slice(series.length + 1));
  }

  it('counts connections, messages in and out, refusals and rejects by reason, store write latency, and each reading\'s arrival and durable latency', async () => {
    const id = 'mtr-longyuan-1';
    const device = await mqtt.connectAsync(park.mqttUrl, { clientId: id, username: id, password: deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id), reconnectPeriod: 0 });
    const topic = deviceTopic(park.model.id, 'meter', id, 'telemetry');
    for (let seq = 1; seq <= 5; seq++) {
      // The first was stamped 2 s before it was sent (a device's backlog): the arrival histogram has it late.
      const ts = Date.now() - (seq === 1 ? 2000 : 0);
      await device.publishAsync(topic, JSON.stringify({ ts, seq, kw: 800, kwh: 1000 + seq, voltage: 400, current: 1200, powerFactor: 0.95 }), { qos: 1 });
    }
    await device.publishAsync(topic, '{"ts": 1, "kw": nope', { qos: 1 });
    await device.publishAsync(topic, JSON.stringify({ ts: Date.now(), seq: 6, kw: 'lots' }), { qos: 1 });
    await waitFor('the ingest saw all seven', () => park.ingest!.stats().accepted + park.ingest!.stats().rejected === 7);

    const during = await (await fetch(`${base}/metrics`)).text();
    expect(value(during, 'parkpulse_broker_connections')).toBe(2); // the ingest and the meter
    await device.endAsync();
    // A forbidden publish: refused and counted.
    const thief = await mqtt.connectAsync(park.mqttUrl, { clientId: id, username: id, password: deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id), reconnectPeriod: 0 });
    const closed = new Promise<void>((r) => thief.once('close', () => r()));
    thief.publish(deviceTopic(park.model.id, 'meter', 'mtr-zhonghai-1', 'telemetry'), '{}', { qos: 1 });
    await closed;
    thief.end(true);

    await waitFor('a committed batch', () => park.ingest!.stats().pendingWrites === 0);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(value(text, 'parkpulse_broker_messages_in_total')).toBeGreaterThanOrEqual(7);
    expect(value(text, 'parkpulse_broker_messages_out_total')).toBeGreaterThanOrEqual(7); // each delivered to the ingest
    expect(value(text, 'parkpulse_broker_connects_total')).toBe(3);
    expect(value(text, 'parkpulse_broker_refusals_total{reason="publish-denied"}')).toBe(1);
    expect(value(text, 'parkpulse_broker_refusals_total{reason="rate-limited"}')).toBe(0);
    expect(value(text, 'parkpulse_ingest_accepted_total')).toBe(5);
    expect(value(text, 'parkpulse_ingest_rejects_total{reason="json-malformed"}')).toBe(1);
    expect(value(text, 'parkpulse_ingest_rejects_total{reason="schema-invalid"}')).toBe(1);
    expect(value(text, 'parkpulse_ingest_rejects_total{reason="device-unknown"}')).toBe(0);
    expect(value(text, 'parkpulse_ingest_write_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'parkpulse_ingest_write_seconds_sum')).toBeGreaterThan(0);
    expect(value(text, 'parkpulse_ingest_spool_depth')).toBe(7);
    // One observation per accepted reading (rejects have none); the late one in the 2-3 s bucket.
    expect(value(text, 'parkpulse_ingest_arrival_latency_seconds_count')).toBe(5);
    expect(value(text, 'parkpulse_ingest_arrival_latency_seconds_bucket{le="1.5"}')).toBe(4);
    expect(value(text, 'parkpulse_ingest_arrival_latency_seconds_bucket{le="3"}')).toBe(5);
    expect(value(text, 'parkpulse_ingest_durable_latency_seconds_count')).toBe(5);
    expect(value(text, 'parkpulse_ingest_durable_latency_seconds_bucket{le="1.5"}')).toBe(4);
    expect(value(text, 'parkpulse_alerts{state="active"}')).toBe(2);
    expect(value(text, 'parkpulse_alerts{state="acknowledged"}')).toBe(1);
    expect(value(text, 'parkpulse_alerts{state="shelved"}')).toBe(0);
    expect(value(text, 'parkpulse_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('says healthy while alive, and not ready while a service cannot work', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, services: { broker: true, ingest: true } });
    await park.stopIngest();
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ok: false, services: { broker: true, ingest: false } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
