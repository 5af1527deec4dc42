// Real device clients for tests that drive the park by hand: each device connects with its own
// derived secret; a device reconnected later continues its seq, as real firmware does.
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { createDeviceClient, type DeviceClient } from '../../simulators/device-client.ts';
import type { TestPark } from '../../testkit/park.ts';
import { waitFor } from '../../testkit/park.ts';

export interface TestDevices {
  /** Connects a device (resolves once its `online` status is out); `now` shifts its clock. */
  connect(id: string, opts?: { now?: () => number }): Promise<DeviceClient>;
  closeAll(): Promise<void>;
}

export function createTestDevices(park: TestPark): TestDevices {
  const nextSeq = new Map<string, number>();
  const open = new Set<DeviceClient>();
  return {
    async connect(id, opts = {}) {
      const device = park.model.deviceById.get(id);
      if (!device) throw new Error(`no device ${id} in the model`);
      const client = createDeviceClient({
        url: park.mqttUrl, parkId: park.model.id, device,
        secret: deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id),
        startSeq: nextSeq.get(id) ?? 1, now: opts.now ?? Date.now, reconnectPeriodMs: 200,
      });
      // Seqs continue across clients of the same device (the client reserves one for its session).
      const track = (): void => void nextSeq.set(id, client.nextSeq);
      const wrapped: DeviceClient = {
        device,
        get connected() {
          return client.connected;
        },
        get nextSeq() {
          return client.nextSeq;
        },
        get connects() {
          return client.connects;
        },
        get refused() {
          return client.refused;
        },
        publishRaw: (channel, payload) => client.publishRaw(channel, payload),
        publish(channel, values) {
          const sent = client.publish(channel, values);
          track();
          return sent;
        },
        async stop() {
          open.delete(wrapped);
          await client.stop();
          track();
        },
        kill() {
          open.delete(wrapped);
          client.kill();
          track();
        },
      };
      open.add(wrapped);
      await waitFor(`${id} connected`, () => client.connected, 10_000, 10);
      track();
      return wrapped;
    },
    async closeAll() {
      await Promise.all([...open].map((c) => c.stop()));
    },
  };
}

/** A 5G node and a meter report once, so the wall has every panel's data (its "fully drawn" signal) beside the cameras a test drives. */
export async function reportNodeAndMeter(devices: TestDevices): Promise<void> {
  const node = await devices.connect('g5-01');
  await node.publish('telemetry', { rsrpDbm: -85, sinrDb: 15, dlMbps: 600, ulMbps: 80, latencyMs: 12, connectedUes: 40 });
  const meter = await devices.connect('mtr-longyuan-1');
  await meter.publish('telemetry', { kw: 3500, kwh: 1000, voltage: 400, current: 150, powerFactor: 0.95 });
}
