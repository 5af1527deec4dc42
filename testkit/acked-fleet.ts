// Devices that remember what they were told: each load meter publishes QoS 1 readings (ts, seq)
// at a set rate on its own connection, keeps every reading until its PUBACK arrives, and after a
// lost connection reconnects and sends the unacknowledged ones again with DUP set (MQTT-4.4.0-1),
// as firmware with a persistent outbox does. `acked` is the ground truth for the fault tests and
// the fault benchmark: every (device, seq) in it was acknowledged and must be in the store once.
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { deriveDeviceSecret } from '../shared/credentials.ts';

export interface AckedFleetOptions {
  host: string;
  port: number;
  parkId: string;
  fleetKey: string;
  deviceIds: string[];
  /** Readings per second per device. */
  ratePerDevice: number;
  /** Unacknowledged readings per device at most; a full outbox waits (no reading is made). Default 50. */
  window?: number;
  /** ms between reconnect attempts; default 300. */
  reconnectMs?: number;
}

export interface AckedFleetStats {
  sent: number;
  /** Readings acknowledged (first PUBACK of each). */
  acked: number;
  /** Readings waiting for their PUBACK. */
  unacked: number;
  /** PUBLISH packets sent again after a reconnect. */
  resent: number;
  connects: number;
  connected: number;
}

export interface AckedFleet {
  stats(): AckedFleetStats;
  /** Every acknowledged reading: device -> seqs. */
  acked(): Map<string, number[]>;
  /** Stop making readings (the outboxes keep retransmitting until acknowledged). */
  stopPublishing(): void;
  /** Resolves when every outbox is empty (true), or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean>;
  close(): void;
}

interface Pending {
  seq: number;
  messageId: number;
  bytes: Buffer; // the PUBLISH without DUP
}

interface Device {
  id: string;
  topic: Buffer;
  socket: Socket | null;
  connected: boolean;
  nextSeq: number;
  nextId: number;
  kwh: number;
  due: number;
  outbox: Map<number, Pending>; // messageId -> reading
  acked: number[];
}

function encode(topic: Buffer, payload: string, messageId: number): Buffer {
  return mqttPacket.generate({ cmd: 'publish', topic: topic.toString(), payload: Buffer.from(payload), qos: 1, messageId, retain: false, dup: false });
}

export function startAckedFleet(opts: AckedFleetOptions): AckedFleet {
  const window = opts.window ?? 50;
  const reconnectMs = opts.reconnectMs ?? 300;
  const stats = { sent: 0, acked: 0, resent: 0, connects: 0 };
  let publishing = true;
  let closed = false;
  const devices: Device[] = opts.deviceIds.map((id, i) => ({
    id, topic: Buffer.from(`park/${opts.parkId}/meter/${id}/telemetry`), socket: null, connected: false,
    nextSeq: 1, nextId: 1, kwh: 10_000 + i, due: Date.now(), outbox: new Map(), acked: [],
  }));

  const connectDevice = (d: Device): void => {
    if (closed) return;
    const socket = netConnect(opts.port, opts.host);
    d.socket = socket;
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('error', () => socket.destroy());
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connack') {
        if (p.returnCode !== 0) {
          socket.destroy();
          return;
        }
        d.connected = true;
        stats.connects++;
        // The outbox again, oldest first, DUP set: the broker never acknowledged these.
        const again: Buffer[] = [];
        for (const m of d.outbox.values()) {
          const b = Buffer.from(m.bytes);
          b[0] = b[0]! | 0x08;
          again.push(b);
          stats.resent++;
        }
        if (again.length) socket.write(Buffer.concat(again));
      } else if (p.cmd === 'puback') {
        const m = d.outbox.get(p.messageId!);
        if (!m) return;
        d.outbox.delete(p.messageId!);
        d.acked.push(m.seq);
        stats.acked++;
      }
    });
    socket.on('data', (b) => parser.parse(b));
    socket.once('connect', () => {
      socket.write(mqttPacket.generate({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: d.id, keepalive: 30,
        username: d.id, password: Buffer.from(deriveDeviceSecret(opts.fleetKey, opts.parkId, d.id)),
      }));
    });
    socket.once('close', () => {
      d.connected = false;
      d.socket = null;
      if (!closed) setTimeout(() => connectDevice(d), reconnectMs * (0.5 + Math.random()));
    });
  };
  devices.forEach((d, i) => setTimeout(() => connectDevice(d), (i * 5) % 1000));

  const interval = 1000 / opts.ratePerDevice;
  const timer = setInterval(() => {
    if (!publishing) return;
    const now = Date.now();
    for (const d of devices) {
      const out: Buffer[] = [];
      while (d.due <= now && d.connected && d.outbox.size < window) {
        d.due += interval;
        // Skip ids still in the outbox (a reply to the old use of an id would ack the new one).
        do d.nextId = d.nextId >= 65535 ? 1 : d.nextId + 1;
        while (d.outbox.has(d.nextId));
        const seq = d.nextSeq++;
        const kw = 80 + ((seq * 7919) % 400) / 10;
        d.kwh += kw / 3600;
        const payload = `{"ts":${now},"seq":${seq},"kw":${kw},"kwh":${d.kwh.toFixed(3)},"voltage":400.2,"current":${(kw * 1.5).toFixed(1)},"powerFactor":0.93}`;
        const bytes = encode(d.topic, payload, d.nextId);
        d.outbox.set(d.nextId, { seq, messageId: d.nextId, bytes });
        out.push(bytes);
        stats.sent++;
      }
      // A device that could not send (not connected, outbox full) does not make up for it later.
      if (d.due < now - 1000) d.due = now;
      if (out.length && d.socket) d.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    }
  }, 10);

  return {
    stats: () => ({
      ...stats,
      unacked: devices.reduce((n, d) => n + d.outbox.size, 0),
      connected: devices.filter((d) => d.connected).length,
    }),
    acked: () => new Map(devices.map((d) => [d.id, [...d.acked]])),
    stopPublishing() {
      publishing = false;
    },
    async drained(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (devices.some((d) => d.outbox.size > 0)) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    },
    close() {
      closed = true;
      clearInterval(timer);
      for (const d of devices) d.socket?.destroy();
    },
  };
}
