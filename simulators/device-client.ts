// One simulated device: its own MQTT connection with its own credentials, a retained online
// status, a last will that marks it offline, and a per-device seq counter (+1 per message).
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Device } from '../shared/park-model.ts';
import { deviceTopic } from '../shared/topics.ts';

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
  onConnectError?: (err: Error) => void;
}

export interface Published {
  device: string;
  seq: number;
  channel: 'telemetry' | 'event' | 'status';
}

export interface DeviceClient {
  readonly device: Device;
  readonly connected: boolean;
  /** The next seq this device will use. */
  readonly nextSeq: number;
  /** Publishes one message with the next seq; resolves when the broker acknowledged it (QoS 1). */
  publish(channel: 'telemetry' | 'event', values: Record<string, unknown>): Promise<Published>;
  /** Graceful stop: retained `offline` status, then DISCONNECT (the will is discarded). */
  stop(): Promise<void>;
  /** Abrupt stop: the socket is destroyed, so the broker publishes the last will. */
  kill(): void;
}

export function createDeviceClient(opts: DeviceClientOptions): DeviceClient {
  const { device, parkId } = opts;
  const statusTopic = deviceTopic(parkId, device.kind, device.id, 'status');
  let seq = opts.startSeq;
  // The seq of the session's `online`, reserved before CONNECT so the will can repeat it.
  let sessionSeq: number | null = null;
  let stopping = false;

  function willFor(s: number): IClientOptions['will'] {
    return { topic: statusTopic, payload: Buffer.from(JSON.stringify({ ts: opts.now(), seq: s, state: 'offline', will: true })), qos: 1, retain: true };
  }
  function reserveSession(): number {
    sessionSeq ??= seq++;
    return sessionSeq;
  }

  const base = opts.reconnectPeriodMs ?? 1000;
  const client: MqttClient = mqtt.connect(opts.url, {
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
    const s = reserveSession();
    sessionSeq = null;
    client.publish(statusTopic, JSON.stringify({ ts: opts.now(), seq: s, state: 'online' }), { qos: 1, retain: true });
  });
  client.on('error', (err) => opts.onConnectError?.(err));

  function publishRaw(channel: Published['channel'], values: Record<string, unknown>, retain = false): Promise<Published> {
    const s = seq++;
    const payload = JSON.stringify({ ts: opts.now(), seq: s, ...values });
    return new Promise((resolve, reject) => {
      client.publish(deviceTopic(parkId, device.kind, device.id, channel), payload, { qos: 1, retain }, (err) =>
        err ? reject(err) : resolve({ device: device.id, seq: s, channel }),
      );
    });
  }

  return {
    device,
    get connected() {
      return client.connected;
    },
    get nextSeq() {
      return seq;
    },
    publish: (channel, values) => publishRaw(channel, values),
    async stop() {
      if (stopping) return;
      stopping = true;
      if (client.connected) {
        await publishRaw('status', { state: 'offline' }, true).catch(() => {});
      }
      await client.endAsync();
    },
    kill() {
      stopping = true;
      client.options.reconnectPeriod = 0;
      client.stream?.destroy();
      client.end(true);
    },
  };
}
