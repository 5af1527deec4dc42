// Puts the screen core on an HTTP port (HTTP requests and the WebSocket upgrade).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Screen } from './create-screen.ts';

export interface ScreenListener {
  readonly port: number;
  readonly server: Server;
  /**
   * Stop accepting and drop idle keep-alive connections. Open WebSockets belong to the screen
   * core (closed by its own close()), so this does not wait for them.
   */
  close(): Promise<void>;
}

export async function listenScreen(screen: Screen, opts: { host?: string; port: number }): Promise<ScreenListener> {
  const server = createServer((req, res) => screen.handleRequest(req, res));
  server.on('upgrade', (req, socket, head) => screen.handleUpgrade(req, socket, head));
  // Slowloris guard: a client must send its headers within 10 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: async () => {
      server.close();
      server.closeIdleConnections();
    },
  };
}
