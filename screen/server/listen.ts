// Puts the screen core on an HTTP port (HTTP requests and the WebSocket upgrade).
import type { Server } from 'node:http';
import { listenHttp } from '../../shared/http-listen.ts';
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
  const { server, port } = await listenHttp((req, res) => screen.handleRequest(req, res), opts);
  server.on('upgrade', (req, socket, head) => screen.handleUpgrade(req, socket, head));
  return {
    port,
    server,
    close: async () => {
      server.close();
      server.closeIdleConnections();
    },
  };
}
