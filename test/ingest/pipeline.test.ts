import { describe, expect, it } from 'vitest';
import { createPipeline, runPipeline, type RawMessage } from '../../ingest/pipeline.ts';
import { loadParkModel } from '../../shared/park-model.ts';

const model = loadParkModel();
const steps = createPipeline({ model });
const ts = 1_719_700_000_000;
const msg = (topic: string, payload: string | Buffer): RawMessage => ({
  topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 1, retain: false, receivedAt: ts + 5,
});
const meter = { ts, seq: 7, kw: 812.5, kwh: 123456.7, voltage: 400, current: 1200, powerFactor: 0.95 };

describe('ingest pipeline', () => {
  it('turns a valid message into a reading with its enterprise and zone', () => {
    const out = runPipeline(steps, msg('park/dantu/meter/mtr-longyuan-1/telemetry', JSON.stringify(meter)));
    expect(out).toEqual({
      ok: true,
      reading: {
        device: 'mtr-longyuan-1', kind: 'meter', channel: 'telemetry', seq: 7, ts, receivedAt: ts + 5,
        enterprise: 'longyuan', zone: 'mfg',
        values: { kw: 812.5, kwh: 123456.7, voltage: 400, current: 1200, powerFactor: 0.95 },
      },
    });
  });

  it.each([
    ['park/dantu/meter/mtr-longyuan-1', JSON.stringify(meter), 'topic-invalid', 'decode'],
    ['park/other/meter/mtr-longyuan-1/telemetry', JSON.stringify(meter), 'topic-wrong-park', 'decode'],
    ['park/dantu/meter/mtr-longyuan-1/telemetry', 'x'.repeat(5000), 'payload-too-large', 'decode'],
    ['park/dantu/meter/mtr-longyuan-1/telemetry', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'payload-not-utf8', 'decode'],
    ['park/dantu/meter/mtr-longyuan-1/telemetry', '{"ts":', 'json-malformed', 'decode'],
    ['park/dantu/meter/mtr-nobody-1/telemetry', JSON.stringify(meter), 'device-unknown', 'validate'],
    ['park/dantu/camera/mtr-longyuan-1/telemetry', JSON.stringify(meter), 'kind-mismatch', 'validate'],
    ['park/dantu/meter/mtr-longyuan-1/event', JSON.stringify(meter), 'channel-unsupported', 'validate'],
    ['park/dantu/meter/mtr-longyuan-1/telemetry', JSON.stringify({ ...meter, kw: 'high' }), 'schema-invalid', 'validate'],
    ['park/dantu/meter/mtr-longyuan-1/telemetry', '[]', 'schema-invalid', 'validate'],
    ['park/dantu/meter/mtr-longyuan-1/telemetry', 'null', 'schema-invalid', 'validate'],
  ])('rejects %s %s as %s', (topic, payload, reason, step) => {
    const out = runPipeline(steps, msg(topic, payload));
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.reason).toBe(reason);
      expect(out.step).toBe(step);
      expect(out.detail.length).toBeGreaterThan(0);
    }
  });

  it('says which field broke the schema', () => {
    const out = runPipeline(steps, msg('park/dantu/meter/mtr-longyuan-1/telemetry', JSON.stringify({ ...meter, powerFactor: 3 })));
    expect(out.ok === false && out.detail).toMatch(/^powerFactor:/);
  });
});
