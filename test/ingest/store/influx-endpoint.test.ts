import { describe, expect, it } from 'vitest';
import { authorizationHeader, safeUrl, writeBucket, writeUrl, type InfluxEndpoint } from '../../../ingest/store/influx-endpoint.ts';
import { historyQuery } from '../../../ingest/store/influx-reads.ts';

const base: InfluxEndpoint = { url: 'http://influx:8086', org: 'parkpulse', bucket: 'parkpulse', timeoutMs: 1000 };

describe('InfluxDB endpoint', () => {
  it('writes to the bucket, or to database/retention-policy for InfluxDB 1.x, at precision us', () => {
    expect(writeBucket(base)).toBe('parkpulse');
    expect(writeBucket({ ...base, database: 'park' })).toBe('park');
    expect(writeBucket({ ...base, database: 'park', retentionPolicy: 'one_year' })).toBe('park/one_year');
    expect(writeUrl({ ...base, database: 'park', retentionPolicy: 'one_year' }).toString()).toBe('http://influx:8086/api/v2/write?org=parkpulse&bucket=park%2Fone_year&precision=us');
  });

  it('sends a 2.x token as Token and a 1.x username:password as Basic', () => {
    expect(authorizationHeader(undefined)).toEqual({});
    expect(authorizationHeader('abc==')).toEqual({ authorization: 'Token abc==' });
    expect(authorizationHeader('ingest:pw')).toEqual({ authorization: `Basic ${Buffer.from('ingest:pw').toString('base64')}` });
  });

  it('keeps credentials out of logged URLs', () => {
    expect(safeUrl('http://user:secret@influx:8086')).toBe('http://influx:8086');
    expect(safeUrl('not a url')).toBe('[unparsable url]');
  });

  it('bounds the buckets of a history query (an unbounded GROUP BY time can exhaust the server)', () => {
    expect(historyQuery({ series: 'node5g.rsrp', from: 1_000_000, to: 2_000_000, bucketMs: 10_000 })).toBe(
      'SELECT MEAN("rsrp_dbm") AS v FROM "node5g" WHERE time >= 1000000ms AND time < 2000000ms GROUP BY time(10000ms) fill(none)',
    );
    expect(() => historyQuery({ series: 'park.power', from: 0, to: 1e12, bucketMs: 1000 })).toThrow(/buckets asked/);
  });
});
