// An HTTP server on a port with the timeouts every ParkPulse listener uses: a client must send its
// headers within 10 s (a slowloris guard) and its whole request within 30 s.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const HTTP_TIMEOUTS = Object.freeze({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });

/** Listens on `host` (default all interfaces) and `port` (0: any free one); resolves once bound. */
export async function listenHttp(handler: RequestListener, opts: { host?: string; port: number }): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  server.headersTimeout = HTTP_TIMEOUTS.headersTimeoutMs;
  server.requestTimeout = HTTP_TIMEOUTS.requestTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
