// The ACL as a matrix on a real broker with real clients: for each account kind, every topic it may
// use works end to end, and every one it may not is refused (publish: the connection is closed and
// nothing is routed; subscribe: the grant is 0x80; connect: the CONNACK return code).
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { serviceAccountId } from '../../shared/registry.ts';
import { connackCode } from '../helpers/connack.ts';
import { startPark, waitFor, type TestPark } from '../../testkit/park.ts';
import { connectPacket, rawConnect } from '../helpers/raw-mqtt.ts';

type Who = 'camera' | 'node5g' | 'meter' | 'ingest' | 'screen';

describe('ACL matrix on a real broker', () => {
  let park: TestPark;
  const routed: string[] = [];
  const open: mqtt.MqttClient[] = [];

  beforeAll(async () => {
    // Flapping off: the matrix reconnects the same accounts many times on purpose.
    park = await startPark({ ingest: false, screen: false, broker: { limits: { flap: { maxConnects: 0, windowMs: 1000, banMs: 1000 } } } });
    park.broker.aedes.on('publish', (packet, client) => {
      if (client) routed.push(packet.topic);
    });
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.end(true);
  });
  afterAll(async () => park?.stop());

  const ID: Record<Who, string> = { camera: 'cam-001', node5g: 'g5-01', meter: 'mtr-longyuan-1', ingest: 'svc-ingest', screen: 'svc-screen' };
  function creds(who: Who, clientId?: string): mqtt.IClientOptions {
    if (who === 'ingest') return { clientId: clientId ?? 'svc-ingest', username: serviceAccountId('ingest'), password: park.provisioned.serviceSecrets.ingest };
    if (who === 'screen') return { clientId: clientId ?? 'svc-screen-matrix', username: serviceAccountId('screen'), password: park.provisioned.serviceSecrets.screen };
    const id = ID[who];
    return { clientId: clientId ?? id, username: id, password: deriveDeviceSecret(park.provisioned.fleetKey, park.model.id, id) };
  }
  async function client(who: Who): Promise<mqtt.MqttClient> {
    const c = await mqtt.connectAsync(park.mqttUrl, { ...creds(who), reconnectPeriod: 0 });
    open.push(c);
    return c;
  }
  const connack = (o: mqtt.IClientOptions): Promise<number | string> => connackCode(park.mqttUrl, o);
  /** 'allowed' when PUBACKed and routed, 'denied' when the broker closed the connection and routed nothing. */
  async function publish(who: Who, topic: string): Promise<'allowed' | 'denied'> {
    const c = await client(who);
    const from = routed.length; // only what this publish routes counts
    const closed = new Promise<'denied'>((r) => c.once('close', () => r('denied')));
    const acked = c.publishAsync(topic, '{"ts":1,"seq":1}', { qos: 1 }).then(() => 'allowed' as const, () => 'denied' as const);
    const result = await Promise.race([acked, closed]);
    if (result === 'allowed') await waitFor(`${topic} routed`, () => routed.slice(from).includes(topic), 5000, 10);
    else expect(routed.slice(from), `${topic} must not be routed`).not.toContain(topic);
    return result;
  }
  async function grants(who: Who, filters: string[]): Promise<Record<string, number>> {
    const c = await client(who);
    const out: Record<string, number> = {};
    for (const f of filters) {
      out[f] = await new Promise<number>((resolve) => c.subscribe(f, { qos: 1 }, (err, g) => resolve(err ? 0x80 : (g?.[0]?.qos ?? -1))));
    }
    expect(c.connected, 'a refused subscription keeps the session').toBe(true);
    return out;
  }

  const p = 'park/dantu';
  const DERIVED = [`${p}/live/snapshot`, `${p}/live/delta`, `${p}/alerts/active`, `${p}/alerts/reply/r1`, `${p}/ops/alerts`, `${p}/notices/current`, `${p}/notices/kpis`];

  describe.each(['camera', 'node5g', 'meter'] as const)('a %s', (kind) => {
    const id = (): string => ID[kind];

    it.each(['telemetry', 'event', 'status'])('publishes on its own %s topic', async (channel) => {
      expect(await publish(kind, `${p}/${kind}/${id()}/${channel}`)).toBe('allowed');
    });

    it('is refused on every topic that is not its own', async () => {
      const other = kind === 'camera' ? 'cam-002' : kind === 'node5g' ? 'g5-02' : 'mtr-zhonghai-1';
      const otherKind = kind === 'meter' ? 'camera' : 'meter';
      const denied = [
        `${p}/${kind}/${other}/telemetry`, // another device
        `${p}/${otherKind}/${id()}/telemetry`, // its own id under another kind
        `${p}/${kind}/${id()}/command`, // commands go to devices, not from them
        `${p}/${kind}/${id()}/telemetry/extra`,
        `${p}/${kind}/${id()}`,
        `park/other/${kind}/${id()}/telemetry`, // another park
        ...DERIVED,
        '$SYS/parkpulse-dantu/heartbeat',
      ];
      for (const topic of denied) expect(await publish(kind, topic), topic).toBe('denied');
    });

    it('subscribes to its own command topic only, never with wildcards', async () => {
      const filters = [
        `${p}/${kind}/${id()}/command`,
        `${p}/${kind}/${id()}/+`,
        `${p}/${kind}/${id()}/#`,
        `${p}/${kind}/+/command`,
        `${p}/${kind}/${id()}/telemetry`,
        `${p}/${kind}/zzz-9/command`,
        '#',
        `${p}/#`,
        '+/+/+/+/+',
        `${p}/live/#`,
        `${p}/alerts/active`,
        '$SYS/#',
      ];
      const g = await grants(kind, filters);
      expect(g[filters[0]!]).toBe(1);
      for (const f of filters.slice(1)) expect(g[f], f).toBe(0x80);
    });
  });

  it('refuses wildcard topics in PUBLISH from anyone (MQTT-3.3.2-2)', async () => {
    for (const who of ['camera', 'ingest'] as const) {
      const raw = await rawConnect(park.tcp.port);
      const c = creds(who);
      raw.send(connectPacket(c.clientId!, c.username, String(c.password)));
      expect(await raw.next('connack')).toMatchObject({ returnCode: 0 });
      raw.send({ cmd: 'publish', topic: who === 'camera' ? `${p}/camera/+/telemetry` : `${p}/live/#`, payload: Buffer.from('{}'), qos: 0, retain: false, dup: false });
      await raw.closed;
    }
  });

  it('refuses forged client ids and identities at CONNECT', async () => {
    const cam = creds('camera');
    expect(await connack({ ...cam, clientId: 'cam-002' })).toBe(2); // another device's id
    expect(await connack({ ...cam, clientId: 'svc-ingest' })).toBe(2); // a service's id
    expect(await connack({ ...cam, clientId: 'cam-001-2' })).toBe(2); // a suffix is for services only
    // The client id is checked before the secret (costs nothing); with the service's own id, the secret decides.
    expect(await connack({ ...cam, username: 'svc-ingest' })).toBe(2);
    expect(await connack({ ...cam, username: 'svc-ingest', clientId: 'svc-ingest' })).toBe(4); // a device secret is not the service's
    expect(await connack({ ...creds('screen'), clientId: 'svc-ingest' })).toBe(2); // the screen taking the ingest's session
    expect(await connack({ ...creds('ingest'), clientId: 'svc-screen-x' })).toBe(2);
    expect(await connack({ ...cam, clientId: '' , clean: true })).toBe(2);
    expect(await connack({ ...creds('screen'), clientId: 'svc-screen-ok1' })).toBe(0);
  });

  it('refuses a last will on any topic but the device’s own', async () => {
    const will = (topic: string): mqtt.IClientOptions['will'] => ({ topic, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true });
    const cam = creds('camera');
    for (const topic of [`${p}/camera/cam-002/status`, `${p}/live/snapshot`, `${p}/alerts/active`, '$SYS/x', `${p}/camera/cam-001/command`]) {
      expect(await connack({ ...cam, will: will(topic) }), topic).toBe(5);
    }
    expect(await connack({ ...cam, will: will(`${p}/camera/cam-001/status`) })).toBe(0);
  });

  it('gives the ingest device topics, operator actions and $SYS to read, and derived topics to write', async () => {
    const readable = [`${p}/camera/+/+`, `${p}/node5g/+/+`, `${p}/meter/+/+`, `${p}/meter/mtr-longyuan-1/telemetry`, `${p}/ops/#`, '$SYS/#'];
    const unreadable = ['#', `${p}/#`, `${p}/+/+/+`, 'park/+/camera/+/+', `${p}/live/#`, `${p}/notices/#`];
    const g = await grants('ingest', [...readable, ...unreadable]);
    for (const f of readable) expect(g[f], f).toBe(1);
    for (const f of unreadable) expect(g[f], f).toBe(0x80);
    for (const topic of [`${p}/live/snapshot`, `${p}/live/delta`, `${p}/alerts/active`, `${p}/alerts/reply/r1`]) expect(await publish('ingest', topic), topic).toBe('allowed');
    // It cannot forge a device's reading, command a device, or speak for the operator.
    for (const topic of [`${p}/camera/cam-001/telemetry`, `${p}/camera/cam-001/command`, `${p}/ops/alerts`, `${p}/notices/current`, '$SYS/x']) expect(await publish('ingest', topic), topic).toBe('denied');
  });

  it('gives the screen the derived topics to read, and notices and operator actions to write', async () => {
    const readable = [`${p}/live/#`, `${p}/live/snapshot`, `${p}/alerts/#`, `${p}/notices/#`, '$SYS/#'];
    const unreadable = ['#', `${p}/camera/+/+`, `${p}/meter/mtr-longyuan-1/telemetry`, `${p}/ops/#`, `${p}/#`];
    const g = await grants('screen', [...readable, ...unreadable]);
    for (const f of readable) expect(g[f], f).toBe(1);
    for (const f of unreadable) expect(g[f], f).toBe(0x80);
    for (const topic of [`${p}/notices/current`, `${p}/notices/kpis`, `${p}/ops/alerts`]) expect(await publish('screen', topic), topic).toBe('allowed');
    for (const topic of [`${p}/live/snapshot`, `${p}/alerts/active`, `${p}/camera/cam-001/telemetry`, `${p}/camera/cam-001/command`, '$SYS/x']) expect(await publish('screen', topic), topic).toBe('denied');
  });

  it('delivers an allowed device message to the ingest, and nothing a device may not send', async () => {
    const ingest = await client('ingest');
    await ingest.subscribeAsync(`${p}/camera/+/+`, { qos: 1 });
    const got: string[] = [];
    ingest.on('message', (topic) => got.push(topic));
    expect(await publish('camera', `${p}/camera/cam-001/telemetry`)).toBe('allowed');
    expect(await publish('camera', `${p}/camera/cam-002/telemetry`)).toBe('denied');
    await waitFor('the allowed message delivered', () => got.includes(`${p}/camera/cam-001/telemetry`));
    await new Promise((r) => setTimeout(r, 200));
    expect(got).not.toContain(`${p}/camera/cam-002/telemetry`);
  });
});
