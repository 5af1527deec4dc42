// Replay: a recording of the real park replayed into a fresh park reproduces exactly the readings
// the first park stored (count, values, per-device seq), in per-device order, with timestamps
// rebased to now; speeds, and what a replay does with lines it cannot use.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, runPipeline } from '../../ingest/pipeline.ts';
import { serviceAccountId } from '../../shared/registry.ts';
import { createFleet } from '../../simulators/fleet.ts';
import { createRecorder, type RecorderStats } from '../../simulators/recorder.ts';
import { decodeLine, encodeLine, payloadOf } from '../../simulators/recording.ts';
import { createReplay, type ReplaySummary } from '../../simulators/replay.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';
import { asStored, dumpStore, type StoredRow } from '../helpers/store-dump.ts';

const SAMPLE = 'simulators/recordings/sample.ndjson';

/** Readings a recording holds, judged by the ingest's own pipeline. */
function readingsIn(files: string[], park: TestPark): Map<string, Omit<StoredRow, 'receivedAt'>> {
  const steps = createPipeline({ model: park.model });
  const out = new Map<string, Omit<StoredRow, 'receivedAt'>>();
  for (const f of files) {
    for (const text of readFileSync(f, 'utf8').split('\n')) {
      if (text === '') continue;
      const line = decodeLine(text);
      const r = runPipeline(steps, { topic: line.topic, payload: payloadOf(line), qos: line.qos, retain: line.retain, receivedAt: line.receivedAt });
      if (r.ok) out.set(asStored(r.reading).key, asStored(r.reading));
    }
  }
  return out;
}

async function replayInto(park: TestPark, paths: string[], speed: number | 'max'): Promise<ReplaySummary> {
  const before = park.ingest!.stats();
  const replay = await createReplay({ paths, url: park.mqttUrl, parkId: park.model.id, fleetKey: park.provisioned.fleetKey, speed, logger: park.logger });
  const summary = await replay.done;
  await waitFor('the ingest has taken the replay', () => {
    const s = park.ingest!.stats();
    return s.pendingWrites === 0 && s.accepted + s.rejected - before.accepted - before.rejected >= summary.acked;
  });
  return summary;
}

/** Store rows for comparison: everything but the clocks. */
const comparable = (rows: Iterable<Omit<StoredRow, 'receivedAt'>>): Map<string, unknown> =>
  new Map([...rows].map((r) => [r.key, { device: r.device, channel: r.channel, seq: r.seq, values: r.values }]));

describe('record, then replay into a fresh park', () => {
  let dir: string;
  let original: StoredRow[];
  let recording: RecorderStats;
  let fresh: TestPark;
  let summary: ReplaySummary;
  let replayStartedAt = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-replay-'));
    const first = await startPark({ screen: false });
    const recorder = await createRecorder({
      url: first.mqttUrl, parkId: 'dantu', username: serviceAccountId('recorder'), password: first.provisioned.serviceSecrets.recorder,
      out: join(dir, 'park.ndjson'), rotateBytes: 100 * 1024, logger: first.logger,
    });
    await recorder.ready();
    const fleet = await createFleet({ model: first.model, url: first.mqttUrl, fleetKey: first.provisioned.fleetKey, logger: first.logger, intervalMs: 100, maxMessages: 2000 });
    await fleet.connected();
    await fleet.takeOffline('g5-07', 'will'); // a will in the recording
    await fleet.publishRaw('mtr-living-1', 'telemetry', '{"ts":'); // and a malformed payload
    await fleet.done();
    await fleet.close();
    await waitFor('the first park has stored everything', () => first.ingest!.stats().pendingWrites === 0 && first.ingest!.stats().rejected === 1);
    await waitFor('the recorder has everything', () => recorder.stats().messages >= 2000 + 2 * first.model.devices.length);
    await recorder.close();
    recording = recorder.stats();
    original = dumpStore(first.sqlitePath);
    await first.stop();
  });

  afterAll(async () => {
    await fresh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recorded in several rotated files', () => {
    expect(recording.files.length).toBeGreaterThan(1);
  });

  it('reproduces exactly the stored readings: count, values, per-device seq', async () => {
    fresh = await startPark({ screen: false });
    replayStartedAt = Date.now();
    summary = await replayInto(fresh, [dir], 'max');
    expect(summary.errors).toBe(0);
    expect(summary.sent).toBe(summary.total);
    expect(summary.acked).toBe(summary.total);
    const replayed = dumpStore(fresh.sqlitePath);
    const expected = readingsIn(recording.files, fresh);
    expect(replayed.length).toBe(expected.size);
    expect(comparable(replayed)).toEqual(comparable(expected.values()));
    expect(fresh.ingest!.stats().rejects).toEqual({ 'json-malformed': 1 }); // rejected again, as the first time
    expect(fresh.ingest!.stats().duplicates).toBe(0);
    // and those are exactly the readings the recorded park stored
    expect(comparable(replayed)).toEqual(comparable(original));
  });

  it('keeps each device in order and rebases timestamps to now, spacing kept', () => {
    const replayed = dumpStore(fresh.sqlitePath).filter((r) => r.channel !== 'status');
    const byDevice = new Map<string, StoredRow[]>();
    for (const r of replayed) byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
    for (const [device, rows] of byDevice) {
      rows.sort((a, b) => a.seq - b.seq);
      for (let i = 1; i < rows.length; i++) expect(rows[i]!.receivedAt, device).toBeGreaterThanOrEqual(rows[i - 1]!.receivedAt);
    }
    expect(fresh.ingest!.stats().gaps).toBe(0);
    const expected = readingsIn(recording.files, fresh);
    const shifts = new Set(replayed.map((r) => r.ts - expected.get(r.key)!.ts));
    expect(shifts.size).toBe(1); // one constant shift: relative spacing kept exactly
    const shift = [...shifts][0]!;
    const firstTs = Math.min(...replayed.map((r) => r.ts));
    expect(Math.abs(firstTs - replayStartedAt)).toBeLessThan(5000); // rebased to the replay's start
    expect(shift).toBeGreaterThan(0);
  });

  it('replays status messages as they were: the will included, nothing of its own', () => {
    const statuses = dumpStore(fresh.sqlitePath).filter((r) => r.channel === 'status');
    // g5-07's will; on a very busy machine another device may have lost its connection too
    expect(statuses.filter((r) => r.values.will === 1).map((r) => r.device)).toContain('g5-07');
    const expectedStatuses = [...readingsIn(recording.files, fresh).values()].filter((r) => r.channel === 'status');
    expect(new Set(statuses.map((r) => r.key))).toEqual(new Set(expectedStatuses.map((r) => r.key)));
    // nothing of the replay's own: every device's newest status is the recorded one
    expect(statuses.length).toBe(expectedStatuses.length);
  });
});

describe('replay speed and bad lines', () => {
  let park: TestPark;
  let dir: string;
  beforeAll(async () => {
    park = await startPark({ screen: false });
    dir = mkdtempSync(join(tmpdir(), 'parkpulse-replay-'));
  });
  afterAll(async () => {
    await park?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A hand-made recording: `n` meter readings of one device, `gapMs` apart. */
  function writeRecording(file: string, device: string, n: number, gapMs: number, from = 1): void {
    const t0 = Date.UTC(2024, 5, 30, 2, 0, 0);
    const lines = Array.from({ length: n }, (_, i) => {
      const payload = { ts: t0 + i * gapMs, seq: from + i, kw: 10 + i, kwh: 100 + i, voltage: 400, current: 15, powerFactor: 0.95 };
      return encodeLine({ topic: `park/dantu/meter/${device}/telemetry`, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: false, receivedAt: t0 + i * gapMs + 3 });
    });
    writeFileSync(file, lines.join(''));
  }

  it('keeps the recorded spacing at x1 and shortens it at x4', async () => {
    const file = join(dir, 'spaced.ndjson');
    writeRecording(file, 'mtr-std-a-1', 5, 400);
    const x1 = await replayInto(park, [file], 1);
    expect(x1.elapsedMs).toBeGreaterThanOrEqual(1500); // 4 gaps of 400 ms
    expect(x1.span).toBe(1600);
    writeRecording(file, 'mtr-std-a-2', 5, 400);
    const x4 = await replayInto(park, [file], 4);
    expect(x4.elapsedMs).toBeGreaterThanOrEqual(350);
    expect(x4.acked).toBe(5);
  });

  it('counts unreadable lines, other parks and refused devices as errors, and replays the rest', async () => {
    const file = join(dir, 'mixed.ndjson');
    writeRecording(file, 'mtr-std-b-1', 3, 10);
    appendFileSync(file, 'this is not a recording line\n');
    appendFileSync(file, encodeLine({ topic: 'park/elsewhere/meter/mtr-std-b-1/telemetry', payload: Buffer.from('{}'), qos: 1, retain: false, receivedAt: Date.UTC(2024, 5, 30, 2, 0, 1) }));
    appendFileSync(file, encodeLine({ topic: 'park/dantu/meter/mtr-ghost/telemetry', payload: Buffer.from('{}'), qos: 1, retain: false, receivedAt: Date.UTC(2024, 5, 30, 2, 0, 1) }));
    const s = await replayInto(park, [file], 'max');
    expect(s.acked).toBe(3);
    expect(s.errorsBy).toEqual({ unreadableLines: 1, otherPark: 1, refusedDevices: 1, refusedMessages: 1, publishFailed: 0 });
    expect(s.errors).toBe(3);
    expect((await (await park.reader()).keys({ device: 'mtr-std-b-1' })).map((k) => k.seq)).toEqual([1, 2, 3]);
  });

  it('names a missing recording clearly', async () => {
    await expect(createReplay({ paths: [join(dir, 'nope.ndjson')], url: park.mqttUrl, parkId: 'dantu', fleetKey: 'k', speed: 1, logger: park.logger })).rejects.toThrow(/no such recording/);
  });
});

describe(`the sample recording (${SAMPLE})`, () => {
  let park: TestPark;
  afterAll(async () => park?.stop());

  it('replayed into a fresh park, gives exactly the readings it holds', async () => {
    park = await startPark({ screen: false });
    const expected = readingsIn([SAMPLE], park);
    const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter((l) => l !== '').length;
    expect(lines).toBeGreaterThanOrEqual(200);
    expect(expected.size).toBeGreaterThanOrEqual(200);
    const s = await replayInto(park, [SAMPLE], 'max');
    expect(s.errors).toBe(0);
    const stored = dumpStore(park.sqlitePath);
    expect(stored.length).toBe(expected.size);
    expect(comparable(stored)).toEqual(comparable(expected.values()));
    // every device kind and channel is represented
    expect(new Set(stored.map((r) => `${park.model.deviceById.get(r.device)!.kind}/${r.channel}`))).toEqual(
      new Set(['camera/telemetry', 'camera/event', 'node5g/telemetry', 'meter/telemetry', 'camera/status', 'node5g/status', 'meter/status']),
    );
  });
});
