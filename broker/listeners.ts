// Transports. Each listener accepts connections and hands the stream to the broker core: MQTT over
// TCP (1883), over TLS (8883), over WebSocket (8083) and over secure WebSocket (8084), all path
// /mqtt for the WebSocket ones.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Broker } from './create-broker.ts';

export interface Listener {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stop accepting; existing connections are left to the broker's own close. */
  close(): Promise<void>;
}

export interface ListenOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
}

/** PEM certificate (chain) and private key, as text or buffers (read at the edge). */
export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
}

/** Modern TLS only: devices that cannot do TLS 1.2 stay on the plain listener inside the park network. */
const TLS_DEFAULTS = { minVersion: 'TLSv1.2' as const, handshakeTimeout: 10_000 };

/**
 * Stops accepting at once. Node's close callback waits for every open connection to end; those
 * belong to the broker core, which closes them in its own order, so we do not wait for them here.
 */
function closeServer(server: NetServer): Promise<void> {
  server.close();
  return Promise.resolve();
}

async function bind(server: NetServer, opts: ListenOptions): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** MQTT over TCP (1883). */
export async function listenTcp(broker: Broker, opts: ListenOptions): Promise<Listener> {
  const server = createNetServer((socket: Socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  return { port: await bind(server, opts), close: () => closeServer(server) };
}

/** MQTT over TLS (8883). A failed handshake never reaches the broker core. */
export async function listenTls(broker: Broker, opts: ListenOptions & { tls: TlsMaterial }): Promise<Listener> {
  const server = createTlsServer({ ...TLS_DEFAULTS, cert: opts.tls.cert, key: opts.tls.key }, (socket: TLSSocket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  // Handshake failures (plain MQTT on the TLS port, unknown CA, scanners) are the client's problem.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return { port: await bind(server, opts), close: () => closeServer(server) };
}

export const MQTT_WS_PATH = '/mqtt';

/** MQTT over WebSocket (subprotocol `mqtt`, path /mqtt); over TLS (wss) when `tls` is given. */
export async function listenWs(broker: Broker, opts: ListenOptions & { path?: string; tls?: TlsMaterial }): Promise<Listener> {
  const upgradeRequired = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: upgrade required\n');
  };
  const http = opts.tls
    ? createHttpsServer({ ...TLS_DEFAULTS, cert: opts.tls.cert, key: opts.tls.key }, upgradeRequired)
    : createHttpServer(upgradeRequired);
  http.headersTimeout = 10_000;
  http.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
  const wss = new WebSocketServer({
    server: http,
    path: opts.path ?? MQTT_WS_PATH,
    perMessageDeflate: false,
    // One MQTT packet per frame is the norm: no frame needs more than the largest packet plus its
    // fixed header. ws holds one such frame before the packet guard sees it.
    maxPayload: broker.limits.maxPacketBytes + 5,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (ws, req) => {
    // ws closes with 1009 (message too big) on its own; the refusal is counted like the broker's.
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') broker.refuse('ws-frame-too-large', { remote: req.socket.remoteAddress, limit: broker.limits.maxPacketBytes + 5 });
    });
    const stream = createWebSocketStream(ws);
    stream.on('error', () => stream.destroy());
    broker.handle(stream, req);
  });
  const port = await bind(http, opts);
  return {
    port,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeServer(http);
    },
  };
}
