// Real InfluxDB-speaking servers for tests and benchmarks, each in a temporary folder on a free
// port, unprivileged (docs/testing-external-servers.md):
//   - Debian's influxd 1.6.7: InfluxQL on /query, v1 /write, and 404 on /api/v2/write;
//   - nginx in front of it, rewriting /api/v2/write to /write, so the very WriteApi code path that
//     talks to InfluxDB 2.x works against 1.6.7;
//   - Debian's victoria-metrics: accepts /api/v2/write; read back with its own export API.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnManaged, waitForHttp, type Managed } from './processes.ts';

export interface RestartableServer {
  readonly url: string;
  readonly port: number;
  /** Stops the process (SIGTERM, or SIGKILL with `kill`) and waits for it; data stays. */
  stop(opts?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port and data folder, and waits until it answers. */
  start(): Promise<void>;
  readonly running: boolean;
  output(): string;
}

export interface Influxd extends RestartableServer {
  /** Runs InfluxQL (e.g. CREATE DATABASE) and returns the parsed JSON. */
  query(q: string, db?: string): Promise<unknown>;
  /** Posts line protocol to the v1 /write endpoint (precision u). */
  writeV1(db: string, body: string): Promise<Response>;
}

function restartable(start: () => Managed, readyUrl: string, port: number, url: string): RestartableServer & { boot(): Promise<void> } {
  let proc: Managed | null = null;
  const self = {
    url,
    port,
    get running() {
      return proc?.running ?? false;
    },
    output: () => proc?.output() ?? '',
    async boot() {
      proc = start();
      await waitForHttp(readyUrl, [200, 204], 30_000, proc);
    },
    async stop(opts: { kill?: boolean } = {}) {
      await proc?.stop(opts.kill ? 'SIGKILL' : 'SIGTERM');
    },
    async start() {
      if (proc?.running) throw new Error(`${url} is already running`);
      await self.boot();
    },
  };
  return self;
}

export async function startInfluxd(bin: string, dir: string): Promise<Influxd> {
  const port = await freePort();
  const rpcPort = await freePort();
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'influxdb.conf');
  // max-select-buckets: an unbounded GROUP BY time() once made a 1.6.7 test server eat 23 GB here.
  writeFileSync(
    conf,
    `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  cache-max-memory-size = "256m"
[coordinator]
  max-select-buckets = 200000
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[logging]
  level = "warn"
[continuous_queries]
  enabled = false
`,
  );
  const url = `http://127.0.0.1:${port}`;
  const base = restartable(() => spawnManaged(bin, ['-config', conf]), `${url}/ping`, port, url);
  await base.boot();
  return {
    ...base,
    get running() {
      return base.running;
    },
    async query(q, db) {
      const u = new URL(`${url}/query`);
      if (db) u.searchParams.set('db', db);
      const res = await fetch(u, { method: 'POST', body: new URLSearchParams({ q }) });
      return res.json();
    },
    writeV1: (db, body) => fetch(`${url}/write?db=${encodeURIComponent(db)}&precision=u`, { method: 'POST', body }),
  };
}

/** nginx rewriting the v2 write API onto influxd's v1 /write (the recipe's config). */
export async function startInfluxV2Proxy(bin: string, dir: string, upstreamPort: number): Promise<RestartableServer> {
  const port = await freePort();
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; worker_processes 1; pid nginx.pid;
error_log logs/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path tmp/body; proxy_temp_path tmp/proxy; fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi; scgi_temp_path tmp/scgi;
  client_max_body_size 25m;
  # Keep bodies and answers in memory: started as root, nginx's workers run as another user that
  # may not write into a private temp folder (a 500 for every request body above 16 kB).
  client_body_buffer_size 25m;
  proxy_max_temp_file_size 0;
  map $arg_precision $influx_precision { default ns-invalid; "" n; ns n; us u; ms ms; s s; }
  server {
    listen 127.0.0.1:${port};
    location = /api/v2/write {
      if ($request_method != POST) { return 405; }
      default_type application/json;
      if ($influx_precision = ns-invalid) {
        return 400 '{"code":"invalid","message":"invalid precision; valid values: ns, us, ms, s"}'; }
      proxy_pass http://127.0.0.1:${upstreamPort}/write?db=$arg_bucket&precision=$influx_precision;
    }
    location / { proxy_pass http://127.0.0.1:${upstreamPort}; }
  }
}
`,
  );
  const url = `http://127.0.0.1:${port}`;
  // /ping passes through to influxd; readiness of nginx itself is a 204 or a 502 from it.
  const base = restartable(() => spawnManaged(bin, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'logs', 'nginx-error.log')]), `${url}/ping`, port, url);
  const boot = base.boot;
  base.boot = async () => {
    await boot.call(base).catch(async (err: Error) => {
      // influxd may be stopped on purpose; nginx answering at all is enough.
      const res = await fetch(`${url}/ping`).catch(() => null);
      if (!res || (res.status !== 502 && res.status !== 204)) throw err;
    });
  };
  await base.boot();
  return base;
}

export interface VictoriaMetrics extends RestartableServer {
  /** Raw samples of every series whose name matches `nameRegex`, after a forced flush. */
  export(nameRegex: string): Promise<{ metric: Record<string, string>; values: number[]; timestamps: number[] }[]>;
}

/**
 * `-dedup.minScrapeInterval=1ms` keeps one sample per series and millisecond, which is what
 * InfluxDB's point identity does with a replayed point (VictoriaMetrics keeps both otherwise).
 */
export async function startVictoriaMetrics(bin: string, dir: string): Promise<VictoriaMetrics> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const args = ['-storageDataPath', join(dir, 'data'), '-httpListenAddr', `127.0.0.1:${port}`, '-loggerLevel', 'ERROR', '-retentionPeriod', '100y', '-dedup.minScrapeInterval', '1ms', '-memory.allowedBytes', '512MB'];
  const base = restartable(() => spawnManaged(bin, args), `${url}/health`, port, url);
  await base.boot();
  return {
    ...base,
    get running() {
      return base.running;
    },
    async export(nameRegex) {
      await (await fetch(`${url}/internal/force_flush`)).arrayBuffer();
      const res = await fetch(`${url}/api/v1/export`, { method: 'POST', body: new URLSearchParams({ 'match[]': `{__name__=~${JSON.stringify(nameRegex)}}` }) });
      const text = await res.text();
      if (!res.ok) throw new Error(`export failed: HTTP ${res.status} ${text.slice(0, 200)}`);
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
    },
  };
}
