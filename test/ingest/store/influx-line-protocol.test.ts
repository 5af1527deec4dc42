import { describe, expect, it } from 'vitest';
import { escapeStringField, escapeTag, readingToLine } from '../../../ingest/store/influx-line-protocol.ts';
import { MEASUREMENTS, pointTime } from '../../../ingest/store/influx-schema.ts';
import type { Reading } from '../../../ingest/store/types.ts';
import { TELEMETRY_FIELDS } from '../../../shared/schema.ts';

const base = { device: 'mtr-a', seq: 1042, ts: 1_719_712_800_123, receivedAt: 1_719_712_800_130, enterprise: 'longyuan', zone: 'mfg' };

describe('line protocol', () => {
  it('writes a meter reading with every tag, seq as an integer field and the seq in the sub-ms digits', () => {
    const r: Reading = { ...base, kind: 'meter', channel: 'telemetry', values: { kw: 812.5, kwh: 1_234_567.25, voltage: 400, current: 1171.2, powerFactor: 0.96 } };
    expect(readingToLine(r, 'dantu')).toBe(
      'meter,device=mtr-a,enterprise=longyuan,kind=meter,park=dantu,zone=mfg seq=1042i,received_at=1719712800130i,kw=812.5,kwh=1234567.25,voltage=400,current=1171.2,power_factor=0.96 1719712800123042',
    );
  });

  it('makes the point time deterministic and distinct per seq within one millisecond', () => {
    expect(pointTime(1_719_712_800_123, 7)).toBe('1719712800123007');
    expect(pointTime(1_719_712_800_123, 8)).not.toBe(pointTime(1_719_712_800_123, 7));
    expect(pointTime(1_719_712_800_123, 1007)).toBe(pointTime(1_719_712_800_123, 7)); // 1000 apart in one ms: same slot
    // beyond 2^53 as a number, exact as a string
    expect(pointTime(99_999_999_999_999, 999)).toBe('99999999999999999');
  });

  it('keeps a will apart from the online it repeats (state is a tag) and stores will=false otherwise', () => {
    const online: Reading = { ...base, kind: 'camera', channel: 'status', values: { state: 'online' } };
    const will: Reading = { ...online, values: { state: 'offline', will: true } };
    expect(readingToLine(online, 'dantu')).toMatch(/^device_status,.*state=online.* seq=1042i,received_at=\d+i,will=false \d+$/);
    expect(readingToLine(will, 'dantu')).toMatch(/^device_status,.*state=offline.*will=true /);
  });

  it('escapes tag values and string fields, and never lets a newline start a second point', () => {
    expect(escapeTag('a b,c=d\\')).toBe('a\\ b\\,c\\=d\\\\');
    expect(escapeStringField('say "hi"\\\nnext')).toBe('"say \\"hi\\"\\\\ next"');
    const ev: Reading = { ...base, device: 'cam-1', enterprise: null, kind: 'camera', channel: 'event', values: { type: 'intrusion', zone: 'gate\nmeter,device=x v=1 1', confidence: 0.9 } };
    const line = readingToLine(ev, 'dantu');
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^camera_event,device=cam-1,event_type=intrusion,kind=camera,park=dantu,zone=mfg /);
    expect(line).not.toContain('enterprise=');
  });

  it('maps every telemetry field of the schema to a typed field', () => {
    for (const [kind, fields] of Object.entries(TELEMETRY_FIELDS)) {
      const m = MEASUREMENTS.find((x) => x.kind === kind && x.channel === 'telemetry')!;
      expect(m.fields.map(([, key]) => key).sort()).toEqual([...fields].sort());
    }
    const node: Reading = { ...base, kind: 'node5g', channel: 'telemetry', values: { rsrpDbm: -95, sinrDb: 12, dlMbps: 300, ulMbps: 50, latencyMs: 9, connectedUes: 31 } };
    expect(readingToLine(node, 'dantu')).toContain('connected_ues=31i');
  });
});
