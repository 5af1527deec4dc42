// The recorder: its own service account that reads device topics and nothing else, a recording
// that holds every message the park's devices sent (byte for byte), and rotation by size and age.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { createRecorder, type Recorder } from '../../simulators/recorder.ts';
import { decodeLine, encodeLine, payloadOf, type RecordedLine } from '../../simulators/recording.ts';
import { createRotatingWriter } from '../../simulators/rotating-writer.ts';
import { serviceAccountId } from '../../shared/registry.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';
import { dumpStore } from '../helpers/store-dump.ts';

const readRecording = (files: string[]): RecordedLine[] =>
  files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map(decodeLine));

describe('recording lines', () => {
  it('keeps UTF-8 payloads as text and anything else as base64, byte for byte', () => {
    const text = Buffer.from('{"ts":1719734400000,"seq":1,"state":"online","note":"丹徒"}');
    const binary = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x41, 0x80]);
    for (const payload of [text, binary, Buffer.alloc(0)]) {
      const line = encodeLine({ topic: 'park/dantu/meter/m-1/telemetry', payload, qos: 1, retain: false, receivedAt: 5 });
      expect(line.endsWith('\n')).toBe(true);
      const back = decodeLine(line.trimEnd());
      expect(payloadOf(back).equals(payload)).toBe(true);
      expect(back.base64 === true).toBe(payload === binary);
    }
    expect(() => decodeLine('{"topic":"x"}')).toThrow(/payload/);
    expect(() => decodeLine('not json')).toThrow(/not JSON/);
  });
});

describe('rotating writer', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-rotate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rotates by size without splitting or losing a line, segments named by time', () => {
    let clock = Date.UTC(2024, 5, 30, 4, 0, 0);
    const path = join(dir, 'size', 'park.ndjson');
    const w = createRotatingWriter({ path, maxBytes: 1000, now: () => clock });
    const lines = Array.from({ length: 300 }, (_, i) => `${JSON.stringify({ i, pad: 'x'.repeat(i % 40) })}\n`);
    for (const l of lines) {
      w.write(l);
      clock += 1000;
      if (Math.random() < 0.2) w.flush();
    }
    w.close();
    const files = w.files();
    expect(files.length).toBeGreaterThan(5);
    expect(files.at(-1)).toBe(path);
    expect(files.slice(0, -1).every((f) => /park\.20240630T\d{6}Z(-\d+)?\.ndjson$/.test(f))).toBe(true);
    expect(files.map((f) => readFileSync(f, 'utf8')).join('')).toBe(lines.join(''));
    for (const f of files) expect(readFileSync(f).length).toBeLessThanOrEqual(1000);
    expect(readdirSync(join(dir, 'size'))).toHaveLength(files.length);
  });

  it('rotates by age, and never appends to a file left by an earlier run', () => {
    let clock = Date.UTC(2024, 5, 30, 4, 0, 0);
    const path = join(dir, 'age', 'park.ndjson');
    const first = createRotatingWriter({ path, maxAgeMs: 60_000, now: () => clock });
    for (let i = 0; i < 10; i++) {
      first.write(`${JSON.stringify({ receivedAt: clock, i })}\n`);
      first.flush();
      clock += 25_000; // a new segment every third line
    }
    first.close();
    expect(first.files()).toHaveLength(4);
    // a second run: the old active file becomes a segment named after its first line
    const second = createRotatingWriter({ path, now: () => clock });
    second.write('{"again":true}\n');
    second.close();
    const names = readdirSync(join(dir, 'age')).sort();
    expect(names).toHaveLength(5);
    expect(readFileSync(path, 'utf8')).toBe('{"again":true}\n');
  });
});

describe('recorder against the real park', () => {
  let park: TestPark;
  let fleet: Fleet;
  let recorder: Recorder;
  let dir: string;
  beforeAll(async () => {
    park = await startPark({ screen: false });
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-rec-'));
    recorder = await createRecorder({
      url: park.mqttUrl, parkId: park.model.id, username: serviceAccountId('recorder'), password: park.provisioned.serviceSecrets.recorder,
      out: join(dir, 'park.ndjson'), rotateBytes: 64 * 1024, logger: park.logger,
    });
    await recorder.ready();
    fleet = await createFleet({ model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger, intervalMs: 100, maxMessages: 1500 });
    await fleet.connected();
    await fleet.done();
    // a device sends bytes that are not UTF-8: the ingest rejects them, the recording keeps them
    await fleet.publishRaw('mtr-warehouse-1', 'telemetry', Buffer.from([0x7b, 0xff, 0x7d]));
    fleet.client('cam-020')!.kill(); // its last will is recorded too
    await fleet.close();
    await waitFor('the ingest has written everything', () => park.ingest!.stats().pendingWrites === 0 && park.ingest!.stats().rejected === 1);
    await waitFor('the recorder has the last messages', () => recorder.stats().messages >= 1500 + 2 * park.model.devices.length);
    await recorder.close();
  });
  afterAll(async () => {
    await park?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('may read device topics only, and may not publish', async () => {
    const c = await mqtt.connectAsync(park.mqttUrl, { clientId: 'svc-recorder-acl', username: 'svc-recorder', password: park.provisioned.serviceSecrets.recorder, reconnectPeriod: 0 });
    const grant = (filter: string): Promise<number> => new Promise((resolve) => c.subscribe(filter, { qos: 1 }, (err, g) => resolve(err ? 128 : (g?.[0]?.qos ?? -1))));
    expect(await grant('park/dantu/meter/+/+')).toBe(1);
    expect(await grant('park/dantu/live/#')).toBe(128);
    expect(await grant('park/dantu/alerts/#')).toBe(128);
    expect(await grant('$SYS/#')).toBe(128);
    const before = park.broker.stats().refused['publish-denied'] ?? 0;
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('park/dantu/meter/mtr-zhonghai-1/telemetry', '{}', { qos: 1 });
    await closed;
    c.end(true);
    expect(park.broker.stats().refused['publish-denied']).toBe(before + 1);
  });

  it('holds every message the ingest stored, with the same payload', async () => {
    const lines = readRecording(recorder.stats().files);
    const recorded = new Map<string, RecordedLine>();
    for (const l of lines) {
      if (l.base64) continue;
      const p = JSON.parse(l.payload) as { seq: number; state?: string };
      const channel = l.topic.split('/')[4]!;
      recorded.set(`${channel}:${l.topic.split('/')[3]}:${p.seq}${channel === 'status' ? `:${p.state}` : ''}`, l);
    }
    const stored = dumpStore(park.sqlitePath);
    expect(stored.length).toBeGreaterThan(1500);
    for (const row of stored) {
      const line = recorded.get(row.key);
      expect(line, row.key).toBeDefined();
      expect((JSON.parse(line!.payload) as { ts: number }).ts).toBe(row.ts);
    }
    // and nothing but device messages of the park, in arrival order
    for (const l of lines) expect(l.topic).toMatch(/^park\/dantu\/(camera|node5g|meter)\/[a-z0-9-]+\/(telemetry|event|status)$/);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.receivedAt).toBeGreaterThanOrEqual(lines[i - 1]!.receivedAt);
    expect(lines.some((l) => l.topic.endsWith('cam-020/status') && JSON.parse(l.payload).will === true)).toBe(true);
  });

  it('keeps a payload that is not UTF-8 as base64, and rotates by size', () => {
    const lines = readRecording(recorder.stats().files);
    const binary = lines.filter((l) => l.base64);
    expect(binary).toHaveLength(1);
    expect([...payloadOf(binary[0]!)]).toEqual([0x7b, 0xff, 0x7d]);
    expect(recorder.stats().binary).toBe(1);
    expect(recorder.stats().files.length).toBeGreaterThan(1);
  });
});

describe('recorder refused', () => {
  it('fails clearly with a wrong secret', async () => {
    const park = await startPark({ ingest: false, screen: false });
    const dir = mkdtempSync(join(tmpdir(), 'parkpulse-rec-'));
    try {
      const r = await createRecorder({ url: park.mqttUrl, parkId: 'dantu', username: 'svc-recorder', password: 'wrong', out: join(dir, 'x.ndjson'), logger: park.logger });
      await expect(r.ready()).rejects.toThrow(/cannot connect.*Bad username or password/i);
      await r.close();
    } finally {
      await park.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
