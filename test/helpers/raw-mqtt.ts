// A raw MQTT client on a plain socket: writes bytes exactly as given (malformed, oversized,
// hostile) and parses what the broker answers, for tests of refusals a real client library
// would never let us send.
import { connect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface RawClient {
  socket: Socket;
  /** Packets the broker sent, parsed. */
  received: Packet[];
  /** Resolves when the broker closed the connection. */
  closed: Promise<void>;
  send(packet: Packet | Buffer): boolean;
  /** Resolves with the first received packet of this type (rejects if the socket closes first). */
  next(cmd: Packet['cmd'], timeoutMs?: number): Promise<Packet>;
  end(): void;
}

/** `localAddress` (e.g. 127.0.0.2) makes the client come from another loopback address. */
export async function rawConnect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
  const socket = connect({ port, host, ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {}); // resets are expected in these tests
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const received: Packet[] = [];
  const waiters: (() => void)[] = [];
  parser.on('packet', (p: Packet) => {
    received.push(p);
    for (const w of waiters.splice(0)) w();
  });
  parser.on('error', () => {});
  socket.on('data', (d) => parser.parse(d));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  void closed.then(() => {
    for (const w of waiters.splice(0)) w();
  });
  return {
    socket,
    received,
    closed,
    send: (p) => socket.write(Buffer.isBuffer(p) ? p : mqttPacket.generate(p)),
    next(cmd, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = received.find((p) => p.cmd === cmd);
          if (found) return resolve(found);
          if (socket.destroyed) return reject(new Error(`connection closed before a ${cmd}`));
          if (Date.now() > deadline) return reject(new Error(`no ${cmd} within ${timeoutMs} ms`));
          waiters.push(check);
          setTimeout(check, Math.max(0, deadline - Date.now()) + 1).unref();
        };
        check();
      });
    },
    end: () => socket.destroy(),
  };
}

/** A CONNECT packet (MQTT 3.1.1) for a device or service account. */
export function connectPacket(clientId: string, username?: string, password?: string, extra: Partial<mqttPacket.IConnectPacket> = {}): mqttPacket.IConnectPacket {
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    clientId,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password: Buffer.from(password) } : {}),
    ...extra,
  };
}
