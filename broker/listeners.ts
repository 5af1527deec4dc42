// Transports. Each listener accepts connections and hands the stream to the broker core.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
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

/**
 * Stops accepting at once. Node's close callback waits for every open connection to end; those
 * belong to the broker core, which closes them in its own order, so we do not wait for them here.
 */
function closeServer(server: NetServer | ReturnType<typeof createHttpServer>): Promise<void> {
  server.close();
  return Promise.resolve();
}

/** MQTT over TCP (1883). */
export async function listenTcp(broker: Broker, opts: ListenOptions): Promise<Listener> {
  const server = createNetServer((socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) };
}

export const MQTT_WS_PATH = '/mqtt';

/** MQTT over WebSocket (subprotocol `mqtt`, path /mqtt). */
export async function listenWs(broker: Broker, opts: ListenOptions & { path?: string }): Promise<Listener> {
  const http = createHttpServer((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: upgrade required\n');
  });
  const wss = new WebSocketServer({
    server: http,
    path: opts.path ?? MQTT_WS_PATH,
    perMessageDeflate: false,
    // One MQTT packet per frame is the norm; 1 MiB is far above any park payload.
    maxPayload: 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => stream.destroy());
    broker.handle(stream, req);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (http.address() as AddressInfo).port,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeServer(http);
    },
  };
}
