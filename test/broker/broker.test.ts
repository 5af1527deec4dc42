// The broker on real sockets: TCP and WebSocket transports, authentication refusals.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { connackCode } from '../helpers/connack.ts';
import { startPark, type TestPark } from '../../testkit/park.ts';

describe('broker', () => {
  let park: TestPark;
  beforeAll(async () => {
    park = await startPark({ ingest: false, screen: false });
  });
  afterAll(async () => park?.stop());

  const secret = (id: string): string => deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id);
  const refusal = connackCode;

  it('accepts a device with its own secret over TCP and over WebSocket', async () => {
    expect(await refusal(park.mqttUrl, { clientId: 'cam-003', username: 'cam-003', password: secret('cam-003') })).toBe(0);
    expect(await refusal(`ws://127.0.0.1:${park.ws.port}/mqtt`, { clientId: 'cam-004', username: 'cam-004', password: secret('cam-004') })).toBe(0);
  });

  it('refuses unknown accounts, wrong secrets, borrowed client ids and foreign wills', async () => {
    expect(await refusal(park.mqttUrl, { clientId: 'cam-999', username: 'cam-999', password: 'x' })).toBe(4);
    expect(await refusal(park.mqttUrl, { clientId: 'cam-003', username: 'cam-003', password: secret('cam-004') })).toBe(4);
    expect(await refusal(park.mqttUrl, { clientId: 'cam-003' })).toBe(4);
    // a device may not take over another device's session
    expect(await refusal(park.mqttUrl, { clientId: 'cam-005', username: 'cam-003', password: secret('cam-003') })).toBe(2);
    // nor leave a last will on another device's status
    const will = { topic: 'park/dantu/camera/cam-005/status', payload: Buffer.from('{}'), qos: 1 as const, retain: true };
    expect(await refusal(park.mqttUrl, { clientId: 'cam-003', username: 'cam-003', password: secret('cam-003'), will })).toBe(5);
    const refused = park.broker.stats().refused;
    expect(refused['auth-bad-credentials']).toBe(3);
    expect(refused['auth-client-id-mismatch']).toBe(1);
    expect(refused['auth-will-denied']).toBe(1);
  });

  it('grants a device its command topic and refuses anything wider, keeping the connection', async () => {
    const c = await mqtt.connectAsync(park.mqttUrl, { clientId: 'g5-01', username: 'g5-01', password: secret('g5-01'), reconnectPeriod: 0 });
    // mqtt.js turns a SUBACK return code 0x80 (failure, MQTT-3.9.3) into an error.
    const grant = (filter: string): Promise<number> =>
      new Promise((resolve) => c.subscribe(filter, { qos: 1 }, (err, g) => resolve(err ? 0x80 : (g?.[0]?.qos ?? -1))));
    expect(await grant('park/dantu/node5g/g5-01/command')).toBe(1);
    expect(await grant('park/dantu/#')).toBe(128);
    expect(await grant('park/dantu/node5g/g5-02/command')).toBe(128);
    expect(await grant('$SYS/#')).toBe(128);
    expect(c.connected).toBe(true);
    await c.endAsync();
  });
});
