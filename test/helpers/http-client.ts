// A tiny HTTP client for API tests that behaves like a browser tab: it keeps the session cookie,
// sends an Origin on state-changing requests (the page's own by default), and can come from
// another loopback address (127.0.0.x) so per-address limits can be tested separately.
import { request } from 'node:http';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpClient {
  cookie: string | null;
  get(path: string, headers?: Record<string, string>): Promise<HttpReply>;
  post(path: string, body: unknown, headers?: Record<string, string | null>): Promise<HttpReply>;
  put(path: string, body: unknown, headers?: Record<string, string | null>): Promise<HttpReply>;
  del(path: string, headers?: Record<string, string | null>): Promise<HttpReply>;
  signIn(name: string, password: string): Promise<HttpReply>;
}

export function httpClient(baseUrl: string, opts: { localAddress?: string; origin?: string } = {}): HttpClient {
  const base = new URL(baseUrl);
  const client: HttpClient = {
    cookie: null,
    get: (path, headers = {}) => send('GET', path, undefined, headers),
    post: (path, body, headers = {}) => send('POST', path, body, { origin: opts.origin ?? base.origin, ...headers }),
    put: (path, body, headers = {}) => send('PUT', path, body, { origin: opts.origin ?? base.origin, ...headers }),
    del: (path, headers = {}) => send('DELETE', path, undefined, { origin: opts.origin ?? base.origin, ...headers }),
    signIn: (name, password) => client.post('/api/session', { name, password }),
  };
  function send(method: string, path: string, body: unknown, headers: Record<string, string | null>): Promise<HttpReply> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (v !== null) h[k] = v;
    if (data) Object.assign(h, { 'content-type': 'application/json', 'content-length': String(data.length) });
    if (client.cookie) h.cookie = client.cookie;
    return new Promise((resolve, reject) => {
      const req = request({ host: base.hostname, port: base.port, path, method, headers: h, localAddress: opts.localAddress }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const setCookie = res.headers['set-cookie']?.[0];
          if (setCookie) {
            const [pair] = setCookie.split(';');
            client.cookie = pair!.endsWith('=') ? null : pair!;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  }
  return client;
}
