// What a connection attempt gets, for tests of refusals at CONNECT.
import mqtt from 'mqtt';

/**
 * 0 when accepted, the CONNACK return code (1..5) when refused, otherwise the error code or
 * message (a TLS failure), or 'closed' when the connection ended without either.
 */
export function connackCode(url: string, opts: mqtt.IClientOptions): Promise<number | string> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('error', (err: Error & { code?: number | string }) => {
      c.end(true);
      resolve(err.code ?? err.message);
    });
    c.once('connect', () => {
      c.end(true);
      resolve(0);
    });
    // Some failures (a TLS handshake cut short) end in a close without an error event.
    c.once('close', () => resolve('closed'));
  });
}
