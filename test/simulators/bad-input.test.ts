// Bad-input mode against the real park: every kind of bad input is rejected and counted under its
// own reason, and the park keeps serving well-behaved devices afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBadInput, type BadInputResult } from '../../simulators/bad-input.ts';
import { createFleet } from '../../simulators/fleet.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

describe('bad-input mode', () => {
  let park: TestPark;
  let results: BadInputResult[];
  beforeAll(async () => {
    park = await startPark({ screen: false });
    results = await runBadInput({
      url: park.mqttUrl, model: park.model, fleetKey: park.provisioned.fleetKey, logger: park.logger, perKind: 4,
      counters: { ingestRejects: async () => park.ingest!.stats().rejects, brokerRefused: () => park.broker.stats().refused },
    });
  });
  afterAll(async () => park?.stop());

  it('sees every kind rejected where it should be', () => {
    expect(results.map((r) => [r.kind, r.clientSaw, r.ok])).toEqual([
      ['malformed-json', '4 PUBACK', true],
      ['schema-violation', '4 PUBACK', true],
      ['oversized', '4 PUBACK', true],
      ['not-utf8', '4 PUBACK', true],
      ['wrong-topic', 'connection closed', true],
      ['unknown-device', 'CONNACK 4', true],
      ['wrong-secret', 'CONNACK 4', true],
    ]);
  });

  it('lands each kind in its own counter', () => {
    const s = park.ingest!.stats();
    expect(s.rejects).toEqual({ 'json-malformed': 4, 'schema-invalid': 4, 'payload-too-large': 4, 'payload-not-utf8': 4 });
    expect(s.rejected).toBe(16);
    expect(s.accepted).toBe(0); // nothing of it got into the store
    const refused = park.broker.stats().refused;
    expect(refused).toEqual({ 'publish-denied': 4, 'auth-bad-credentials': 8 });
    expect(results.find((r) => r.kind === 'wrong-secret')).toMatchObject({ counted: 8, sharesCounterWith: ['unknown-device'] });
  });

  it('keeps serving well-behaved devices', async () => {
    const fleet = await createFleet({ model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger, intervalMs: 100, maxMessages: 200, statePath: undefined });
    try {
      await fleet.connected();
      await fleet.done();
      await waitFor('the readings stored', () => park.ingest!.stats().accepted >= 200);
      expect(fleet.stats().failed).toBe(0);
    } finally {
      await fleet.close();
    }
  });
});
