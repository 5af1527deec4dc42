// One simulated device: its own MQTT connection with its own credentials, a retained online
// status, a last will that marks it offline, and a per-device seq counter (+1 per message).
// mqtt.js reconnects it by itself after the broker goes away (a broker restart, a network cut).
import type { IClientOptions, MqttClient } from 'mqtt';
import { connectBroker } from '../shared/broker-client.ts';
import type { Device } from '../shared/park-model.ts';
import { deviceTopic } from '../shared/topics.ts';
import { sizedJson } from './payload-size.ts';

export interface DeviceClientOptions {
  url: string;
  parkId: string;
  device: Device;
  secret: string;
  /** First seq to use. */
  startSeq: number;
  /** ms between reconnect attempts (jittered ±50%); default 1000. */
  reconnectPeriodMs?: number;
  now: () => number;
  /** Every connection error (refused CONNACK, refused socket, ...). */
  onConnectError?: (err: Error & { code?: number | string }) => void;
  /** Pad every telemetry/event payload to exactly this many bytes (load tests); 0 = natural size. */
  payloadBytes?: number;
}

export interface Published {
  device: string;
  seq: number;
  channel: 'telemetry' | 'event' | 'status';
  /** When its PUBACK came (the device's clock, ms since the epoch). */
  ackedAt: number;
}

export interface DeviceClient {
  readonly device: Device;
  readonly connected: boolean;
  /** The next seq this device will use. */
  readonly nextSeq: number;
  /** Successful connections so far (1 after the first CONNACK; each reconnect adds one). */
  readonly connects: number;
  /** The broker refused this device's CONNECT (bad secret, unknown account): mqtt.js gives up. */
  readonly refused: boolean;
  /** Publishes one message with the next seq; resolves when the broker acknowledged it (QoS 1). */
  publish(channel: 'telemetry' | 'event', values: Record<string, unknown>): Promise<Published>;
  /** Publishes bytes as they are, with no seq (malformed-payload faults); resolves on PUBACK. */
  publishRaw(channel: 'telemetry' | 'event' | 'status', payload: string | Buffer): Promise<void>;
  /** Graceful stop: retained `offline` status, then DISCONNECT (the will is discarded). */
  stop(): Promise<void>;
  /** Abrupt stop: the socket is destroyed, so the broker publishes the last will. */
  kill(): void;
}

/** ms a graceful stop may take before the connection is cut. */
const STOP_TIMEOUT_MS = 5000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

export function createDeviceClient(opts: DeviceClientOptions): DeviceClient {
  const { device, parkId } = opts;
  const statusTopic = deviceTopic(parkId, device.kind, device.id, 'status');
  let seq = opts.startSeq;
  // The seq of the session's `online`, reserved before CONNECT so the will can repeat it.
  let sessionSeq: number | null = null;
  let stopping = false;
  let connects = 0;
  let refused = false;

  function willFor(s: number): IClientOptions['will'] {
    return { topic: statusTopic, payload: Buffer.from(JSON.stringify({ ts: opts.now(), seq: s, state: 'offline', will: true })), qos: 1, retain: true };
  }
  function reserveSession(): number {
    sessionSeq ??= seq++;
    return sessionSeq;
  }

  const base = opts.reconnectPeriodMs ?? 1000;
  const client: MqttClient = connectBroker(opts.url, {
    clientId: device.id,
    username: device.id,
    password: opts.secret,
    clean: true,
    protocolVersion: 4,
    keepalive: 30,
    connectTimeout: 10_000,
    reconnectPeriod: Math.round(base * (0.5 + Math.random())),
    will: willFor(reserveSession()),
  });
  client.on('reconnect', () => {
    // A new session: its will repeats the seq its `online` will carry.
    client.options.will = willFor(reserveSession());
  });
  client.on('connect', () => {
    connects++;
    const s = reserveSession();
    sessionSeq = null;
    client.publish(statusTopic, JSON.stringify({ ts: opts.now(), seq: s, state: 'online' }), { qos: 1, retain: true });
  });
  client.on('error', (err: Error & { code?: number | string }) => {
    // A refused CONNACK ends mqtt.js's reconnecting (reconnectOnConnackError is off): final, except
    // CONNACK 3, server unavailable (the broker is busy verifying secrets or asks the id to wait):
    // that one is retried after the reconnect period, as real firmware should.
    if (err.code === 3 && !stopping) setTimeout(() => !stopping && !client.connected && client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore }), client.options.reconnectPeriod ?? base).unref();
    else if (typeof err.code === 'number') refused = true;
    opts.onConnectError?.(err);
  });

  function send(channel: Published['channel'], payload: string | Buffer, retain: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      client.publish(deviceTopic(parkId, device.kind, device.id, channel), payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async function publishSeq(channel: Published['channel'], values: Record<string, unknown>, retain = false): Promise<Published> {
    const s = seq++;
    const body = { ts: opts.now(), seq: s, ...values };
    const payload = opts.payloadBytes && channel !== 'status' ? sizedJson(body, opts.payloadBytes) : JSON.stringify(body);
    await send(channel, payload, retain);
    return { device: device.id, seq: s, channel, ackedAt: opts.now() };
  }

  return {
    device,
    get connected() {
      return client.connected;
    },
    get nextSeq() {
      return seq;
    },
    get connects() {
      return connects;
    },
    get refused() {
      return refused;
    },
    publish: (channel, values) => publishSeq(channel, values),
    publishRaw: (channel, payload) => send(channel, payload, false),
    async stop() {
      if (stopping) return;
      stopping = true;
      if (client.connected) {
        await withTimeout(publishSeq('status', { state: 'offline' }, true), STOP_TIMEOUT_MS).catch(() => {});
      }
      // mqtt.js waits for every unacknowledged publish before it disconnects: on a connection that
      // is gone (a broker restart, reconnecting) that would be forever, so such a client is forced.
      if (client.connected) await withTimeout(client.endAsync(), STOP_TIMEOUT_MS).catch(() => {});
      client.options.reconnectPeriod = 0;
      if (!client.disconnected) {
        client.stream?.destroy();
        await client.endAsync(true).catch(() => {});
      }
    },
    kill() {
      stopping = true;
      client.options.reconnectPeriod = 0;
      client.stream?.destroy();
      client.end(true);
    },
  };
}
