// The park's own simulated fleet on a test park, every device connected: what the wall tests
// draw from.
import { createFleet, type Fleet } from '../../simulators/fleet.ts';
import type { TestPark } from '../../testkit/park.ts';

/** Every device of the park's model sending every `intervalMs`; resolves once all are connected. */
export async function startParkFleet(park: TestPark, intervalMs: number): Promise<Fleet> {
  const fleet = await createFleet({ model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger, intervalMs });
  await fleet.connected();
  return fleet;
}
