// A lean MQTT 3.1.1 client for load generation: one socket, packets built with mqtt-packet, writes
// batched per tick, QoS 1 with a bounded in-flight window. It costs a few microseconds per message,
// so the load generator is not what the benchmark measures (see the `loadgen` capacity check).
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface LeanClientOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  /** QoS 1 messages sent and not yet acknowledged, at most; default 200. */
  window?: number;
  keepaliveS?: number;
  clean?: boolean;
  onMessage?(topic: string, payload: Buffer): void;
  /** Called with publish -> PUBACK, ms, for every QoS 1 message (the broker's acknowledgement latency). */
  onAck?(ms: number): void;
}

export interface LeanClient {
  readonly connected: boolean;
  /** Queues a publish; false when the QoS 1 window is full (try again after `drained`). */
  publish(topic: string, payload: Buffer | string, qos: 0 | 1): boolean;
  /** Whether a QoS 1 publish would be taken now (the window has room). */
  hasRoom(): boolean;
  subscribe(filters: string[], qos: 0 | 1): Promise<number[]>;
  /** Resolves when the socket has drained and the QoS 1 window has room (or at once). */
  drained(): Promise<void>;
  readonly inflight: number;
  readonly acked: number;
  readonly received: number;
  readonly closed: Promise<void>;
  end(): void;
}

/** PUBLISH (MQTT 3.1.1, 3.3) encoded by hand: a few hundred nanoseconds, no intermediate objects. */
export function encodePublish(topic: Buffer, payload: Buffer | string, qos: 0 | 1, messageId: number): Buffer {
  const payloadLen = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const remaining = 2 + topic.length + (qos ? 2 : 0) + payloadLen;
  let lenBytes = 1;
  for (let r = remaining; r >= 128; r = Math.floor(r / 128)) lenBytes++;
  const buf = Buffer.allocUnsafe(1 + lenBytes + remaining);
  let o = 0;
  buf[o++] = 0x30 | (qos << 1);
  let r = remaining;
  do {
    let byte = r % 128;
    r = Math.floor(r / 128);
    if (r > 0) byte |= 0x80;
    buf[o++] = byte;
  } while (r > 0);
  buf.writeUInt16BE(topic.length, o);
  o += 2;
  o += topic.copy(buf, o);
  if (qos) {
    buf.writeUInt16BE(messageId, o);
    o += 2;
  }
  if (typeof payload === 'string') buf.write(payload, o);
  else payload.copy(buf, o);
  return buf;
}

// One setImmediate flushes every client written to in this turn (not one per client).
const dirty = new Set<() => void>();
let flushScheduled = false;
function scheduleFlush(flush: () => void): void {
  dirty.add(flush);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    const all = [...dirty];
    dirty.clear();
    for (const f of all) f();
  });
}

const topicCache = new Map<string, Buffer>();
function topicBytes(topic: string): Buffer {
  let b = topicCache.get(topic);
  if (!b) {
    b = Buffer.from(topic);
    if (topicCache.size < 100_000) topicCache.set(topic, b);
  }
  return b;
}

export function leanConnect(opts: LeanClientOptions): Promise<LeanClient> {
  const window = opts.window ?? 200;
  const socket: Socket = netConnect(opts.port, opts.host);
  socket.setNoDelay(true);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let nextId = 1;
  let inflight = 0;
  let acked = 0;
  let received = 0;
  let connected = false;
  let out: Buffer[] = [];
  const roomWaiters: (() => void)[] = [];
  const subWaiters = new Map<number, (granted: number[]) => void>();

  // Many publishes in one tick become one write (docs/facts.md: syscalls are costly on this VM).
  const flush = (): void => {
    if (out.length === 0) return;
    const chunk = out.length === 1 ? out[0]! : Buffer.concat(out);
    out = [];
    socket.write(chunk);
  };
  const queue = (b: Buffer): void => {
    if (out.length === 0) scheduleFlush(flush);
    out.push(b);
  };
  const send = (p: Packet): void => queue(mqttPacket.generate(p));

  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});

  return new Promise((resolve, reject) => {
    const sentAt = opts.onAck ? new Map<number, number>() : null;
    parser.on('packet', (p: Packet) => {
      switch (p.cmd) {
        case 'connack':
          if (p.returnCode !== 0) {
            socket.destroy();
            reject(Object.assign(new Error(`CONNACK ${p.returnCode}`), { code: p.returnCode }));
            return;
          }
          connected = true;
          resolve(client);
          return;
        case 'puback':
          inflight--;
          acked++;
          if (sentAt) {
            const t = sentAt.get(p.messageId!);
            sentAt.delete(p.messageId!);
            if (t !== undefined) opts.onAck!(performance.now() - t);
          }
          if (inflight < window) for (const w of roomWaiters.splice(0)) w();
          return;
        case 'suback': {
          const w = subWaiters.get(p.messageId!);
          subWaiters.delete(p.messageId!);
          w?.(p.granted as number[]);
          return;
        }
        case 'publish':
          received++;
          if (p.qos === 1) send({ cmd: 'puback', messageId: p.messageId! });
          opts.onMessage?.(p.topic, p.payload as Buffer);
          return;
        default:
      }
    });
    socket.on('data', (d) => parser.parse(d));
    socket.once('connect', () => {
      send({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: opts.clean ?? true, clientId: opts.clientId,
        keepalive: opts.keepaliveS ?? 60,
        ...(opts.username ? { username: opts.username } : {}),
        ...(opts.password ? { password: Buffer.from(opts.password) } : {}),
      });
    });
    socket.once('close', () => {
      if (!connected) reject(new Error('connection closed before CONNACK'));
      connected = false;
      for (const w of roomWaiters.splice(0)) w();
    });

    const client: LeanClient = {
      get connected() {
        return connected;
      },
      publish(topic, payload, qos) {
        if (qos === 1) {
          if (inflight >= window) return false;
          inflight++;
          nextId = nextId >= 65535 ? 1 : nextId + 1;
          sentAt?.set(nextId, performance.now());
        }
        queue(encodePublish(topicBytes(topic), payload, qos, nextId));
        return true;
      },
      hasRoom: () => connected && inflight < window,
      subscribe(filters, qos) {
        nextId = nextId >= 65535 ? 1 : nextId + 1;
        const id = nextId;
        return new Promise((res) => {
          subWaiters.set(id, res);
          send({ cmd: 'subscribe', messageId: id, subscriptions: filters.map((topic) => ({ topic, qos })) });
        });
      },
      drained() {
        if (!connected) return Promise.resolve();
        // The socket's own buffer first (QoS 0 has no window; TCP is its only flow control).
        if (socket.writableNeedDrain) return new Promise<void>((r) => socket.once('drain', () => r()));
        return inflight < window ? Promise.resolve() : new Promise<void>((r) => roomWaiters.push(r));
      },
      get inflight() {
        return inflight;
      },
      get acked() {
        return acked;
      },
      get received() {
        return received;
      },
      closed,
      end() {
        flush();
        send({ cmd: 'disconnect' });
        flush();
        socket.end();
      },
    };
  });
}
