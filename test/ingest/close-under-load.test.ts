// The ingest stopped while devices are still sending: messages that arrive during the close are
// left unacknowledged for redelivery (never a crash), and a restarted ingest stores every one of
// them exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';

describe('ingest closed under load', () => {
  let park: TestPark;
  let fleet: Fleet;
  beforeAll(async () => {
    // PUBACK on receipt: the fleet finishes while the ingest is away (with acks held for the
    // ingest, the default, its devices would wait for the restart: ack-chain.ts).
    park = await startPark({ screen: false, broker: { ack: 'receipt' } });
    fleet = await createFleet({ model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger, intervalMs: 20, maxMessages: 6000, track: true });
    await fleet.connected();
  });
  afterAll(async () => {
    await fleet?.close();
    await park?.stop();
  });

  it('closes cleanly mid-stream and loses nothing across the restart', async () => {
    await waitFor('the stream under way', () => park.ingest!.stats().accepted > 1000);
    await park.stopIngest(); // messages keep arriving while it closes
    await fleet.done();
    await park.startIngest();
    const expected = new Set(fleet.published().map((p) => `${p.device}#${p.seq}`));
    const reader = await park.reader();
    const stored = await waitFor('every acknowledged reading stored after the restart', async () => {
      const keys = (await reader.keys()).filter((k) => k.channel !== 'status');
      return keys.length >= expected.size ? keys : null;
    });
    expect(new Set(stored.map((k) => `${k.device}#${k.seq}`))).toEqual(expected);
  });
});
