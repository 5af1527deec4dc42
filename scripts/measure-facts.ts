// `npx tsx scripts/measure-facts.ts`: re-measures the small facts docs/facts.md gives for the parts
// the code relies on (SQLite commit cost by batch size and by checkpoint interval, line-protocol
// building, JSON + zod per message, one fdatasync). Prints a table; takes about a minute. On a
// shared machine the figures move by a third between runs: read them as ratios and orders of
// magnitude.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Point } from '@influxdata/influxdb-client';
import Database from 'better-sqlite3';
import { bytesWritten } from '../bench/lib/processes.ts';
import { meterTelemetrySchema } from '../shared/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'parkpulse-facts-'));
const rows: Array<[string, string]> = [];
const row = (what: string, value: string) => {
  rows.push([what, value]);
  process.stdout.write(`${what.padEnd(58)} ${value}\n`);
};

function perSecond(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;
}

function timeOps(n: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn(i); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return performance.now() - t0;
}

try {
  // SQLite: the store's shape (rowid table, UNIQUE(device_id, seq), index on ts), 1,000 meters interleaved.
  for (const sync of ['NORMAL', 'FULL'] as const) {
    for (const [batch, total] of [[1, 2_000], [1_000, 50_000], [10_000, 100_000]] as const) {
      const db = new Database(join(dir, `s-${sync}-${batch}.db`));
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${sync}`);
      db.exec('CREATE TABLE m (device_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, kw REAL, kwh REAL, UNIQUE (device_id, seq)); CREATE INDEX m_ts ON m (ts)');
      const insert = db.prepare('INSERT OR IGNORE INTO m (device_id, seq, ts, kw, kwh) VALUES (?, ?, ?, ?, ?)');
      const commit = db.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) insert.run(i % 1000, Math.floor(i / 1000), 1_700_000_000_000 + i, 12.5, i);
      });
      const t0 = performance.now();
      for (let i = 0; i < total; i += batch) commit(i, Math.min(total, i + batch));
      row(`SQLite WAL sync=${sync}, ${batch} row(s) per transaction`, perSecond(total, performance.now() - t0));
      db.close();
    }
  }

  // SQLite's checkpoint interval on a store that has run a while (300 readings per meter), then
  // 150-row commits of 1,000 meters in arrival order (the ingest's batches at 10k msg/s): CPU and
  // bytes passed to write() per row (Linux /proc/self/io).
  const wchar = (): number => bytesWritten('self') ?? NaN;
  for (const pages of [1000, 10_000]) {
    const db = new Database(join(dir, `ckpt-${pages}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -65536');
    db.pragma(`wal_autocheckpoint = ${pages}`);
    db.exec('CREATE TABLE m (device_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, kw REAL, kwh REAL, voltage REAL, current REAL, power_factor REAL, UNIQUE (device_id, seq)); CREATE INDEX m_ts ON m (ts)');
    const insert = db.prepare('INSERT OR IGNORE INTO m VALUES (?, ?, ?, ?, ?, ?, 400.2, 120.5, 0.93)');
    const commit = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const ts = 1_700_000_000_000 + Math.floor(i / 10);
        insert.run(((i * 7919) % 1000) + 1, Math.floor(i / 1000) + 1, ts, ts + 5, 80 + (i % 40), i / 1000);
      }
    });
    for (let i = 0; i < 300_000; i += 5000) commit(i, i + 5000);
    const n = 100_000;
    const [w0, c0] = [wchar(), process.cpuUsage()];
    for (let i = 300_000; i < 300_000 + n; i += 150) commit(i, i + 150);
    const c = process.cpuUsage(c0);
    row(`SQLite 1,000 meters, 150-row commits, checkpoint ${pages} pages`, `${((c.user + c.system) / n).toFixed(1)} µs CPU, ${((wchar() - w0) / n / 1024).toFixed(1)} KiB written per row`);
    db.close();
  }

  // One fdatasync of a small write.
  const fd = openSync(join(dir, 'sync'), 'w');
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    writeSync(fd, 'x');
    fdatasyncSync(fd);
  }
  row('write + fdatasync of one byte', `${((performance.now() - t0) / n).toFixed(2)} ms`);
  closeSync(fd);

  // Line protocol: the client's Point against a template with escaping (as influx-line-protocol.ts).
  const N = 200_000;
  const esc = (s: string) => s.replace(/[ ,=]/g, (c) => `\\${c}`);
  const pointMs = timeOps(N, (i) => new Point('meter').tag('device', `mt-${i % 1000}`).tag('zone', 'a-1').floatField('kw', 12.5 + i).floatField('kwh', i).timestamp(`${1_700_000_000_000_000 + i}`).toLineProtocol());
  row('@influxdata/influxdb-client Point + toLineProtocol()', `${((pointMs * 1000) / N).toFixed(2)} µs`);
  const templateMs = timeOps(N, (i) => `meter,device=${esc(`mt-${i % 1000}`)},zone=${esc('a-1')} kw=${12.5 + i},kwh=${i} ${1_700_000_000_000_000 + i}`);
  row('template line with escaping', `${((templateMs * 1000) / N).toFixed(2)} µs`);

  // A device message: bytes -> string -> JSON -> zod.
  const payload = Buffer.from(JSON.stringify({ ts: 1_700_000_000_000, seq: 1, kw: 12.5, kwh: 1234.5, voltage: 230.1, current: 18.2, powerFactor: 0.97 }));
  const parseMs = timeOps(N, () => JSON.parse(payload.toString()));
  row(`JSON.parse of a ${payload.length}-byte meter reading`, `${((parseMs * 1000) / N).toFixed(2)} µs`);
  const zodMs = timeOps(N, () => meterTelemetrySchema.safeParse(JSON.parse(payload.toString())));
  row('... + zod meter schema', `${((zodMs * 1000) / N).toFixed(2)} µs`);

  // Plain Aedes (no packet guard) against one socket that declares a 200 MiB CONNECT and sends 64 MiB of it.
  const aedes = await Aedes.createBroker();
  let serverSide: Socket | null = null;
  const server = createServer((socket) => {
    serverSide = socket;
    aedes.handle(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const before = process.memoryUsage().arrayBuffers;
  const s = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  s.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x64])); // CONNECT, remaining length 200 MiB
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let sent = 0;
  let open = true;
  const closed = new Promise((r) => s.once('close', () => r((open = false))));
  while (open && sent < 64) {
    sent++;
    if (!s.write(chunk)) await Promise.race([new Promise((r) => s.once('drain', r)), closed]);
  }
  await new Promise((r) => setTimeout(r, 1500));
  const held = (process.memoryUsage().arrayBuffers - before) / 1048576;
  const read = (serverSide as Socket | null)?.bytesRead ?? 0;
  row('plain Aedes, one socket declaring a 200 MiB CONNECT', `read ${Math.round(read / 1048576)} MiB, buffers +${Math.round(held)} MiB, socket ${open ? 'still open' : 'closed'}`);
  s.destroy();
  server.close();
  await new Promise<void>((r) => aedes.close(() => r()));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
