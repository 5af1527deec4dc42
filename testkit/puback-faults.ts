// The PUBACK promise under crashes: load meters publish QoS 1 (testkit/acked-fleet.ts) into
// the park run as a user runs it, either as one process (`parkpulse all`, what `npm start` runs)
// or as separate broker and ingest processes, while processes are SIGKILLed at random moments and
// started again. Afterwards every reading a device got a PUBACK for must be in the SQLite store
// exactly once by (device, seq). Used by test/e2e/puback-faults.test.ts (a light rate) and the
// benchmark's `faults` suite (8k msg/s).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { provisionLoadPark } from './provisioning.ts';
import { startAckedFleet, type AckedFleetStats } from './acked-fleet.ts';
import { TEST_SCRYPT } from './park.ts';
import { CLI } from './cli.ts';
import { freePort, startTs, waitForHttp, type Managed } from './processes.ts';

export type Deployment = 'single' | 'split';
export type Target = 'all' | 'broker' | 'ingest';

export interface PubackFaultOptions {
  deployment: Deployment;
  devices: number;
  ratePerDevice: number;
  /** SIGKILLs, each at a random moment `gapMs` after the park is ready again. */
  kills: number;
  gapMs: [number, number];
  /** ms a killed process stays down, at random in this range. */
  downMs?: [number, number];
  /** Extra flags for every park process (e.g. `--broker-ack receipt` to show the old behaviour). */
  flags?: string[];
  /** Which process each kill hits, in order; default one at random each time. */
  order?: Target[];
  progress?: (line: string) => void;
  /** ms a (re)started process may take to be ready; default 90 000. */
  readyTimeoutMs?: number;
}

export interface PubackFaultResult {
  deployment: Deployment;
  kills: { target: Target; atMs: number; downMs: number }[];
  fleet: AckedFleetStats;
  /** Readings with a PUBACK. */
  acked: number;
  /** Rows in the store for the fleet's devices. */
  stored: number;
  /** Acknowledged readings not in the store. */
  missing: number;
  /** (device, seq) pairs stored more than once. */
  duplicated: number;
  /** Whether every outbox emptied at the end (all readings acknowledged). */
  drained: boolean;
  elapsedMs: number;
}


export async function runPubackFaults(o: PubackFaultOptions): Promise<PubackFaultResult> {
  const random = Math.random;
  const say = o.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-puback-faults-'));
  const { model, provisioned, ids } = await provisionLoadPark(dir, o.devices, { scrypt: TEST_SCRYPT });
  const ports = { mqtt: await freePort(), ws: await freePort(), brokerHttp: await freePort(), ingestHttp: await freePort(), screen: await freePort() };
  const sqlitePath = join(dir, 'parkpulse.db');
  const common = ['--data-dir', dir, '--log-level', 'warn', '--load-devices', String(o.devices), '--sqlite-path', sqlitePath, ...(o.flags ?? [])];
  const brokerFlags = ['--broker-host', '127.0.0.1', '--broker-port', String(ports.mqtt), '--broker-ws-port', String(ports.ws), '--broker-http-port', String(ports.brokerHttp)];
  const args: Record<Target, string[]> = {
    all: ['all', ...common, ...brokerFlags, '--screen-host', '127.0.0.1', '--screen-port', String(ports.screen)],
    broker: ['broker', ...common, ...brokerFlags],
    ingest: ['ingest', ...common, '--mqtt-url', `mqtt://127.0.0.1:${ports.mqtt}`, '--ingest-http-host', '127.0.0.1', '--ingest-http-port', String(ports.ingestHttp)],
  };
  const ready: Record<Target, string> = {
    all: `http://127.0.0.1:${ports.brokerHttp}/readyz`,
    broker: `http://127.0.0.1:${ports.brokerHttp}/readyz`,
    ingest: `http://127.0.0.1:${ports.ingestHttp}/readyz`,
  };
  const procs = new Map<Target, Managed>();
  const start = async (t: Target): Promise<void> => {
    const p = startTs(CLI, args[t]);
    procs.set(t, p);
    await waitForHttp(ready[t], [200], o.readyTimeoutMs ?? 90_000, p);
  };
  const targets: Target[] = o.deployment === 'single' ? ['all'] : ['broker', 'ingest'];
  const t0 = Date.now();
  const fleet = startAckedFleet({ host: '127.0.0.1', port: ports.mqtt, parkId: model.id, fleetKey: provisioned.fleetKey, deviceIds: ids, ratePerDevice: o.ratePerDevice });
  const kills: PubackFaultResult['kills'] = [];
  try {
    for (const t of targets) await start(t);
    for (let k = 0; k < o.kills; k++) {
      const [lo, hi] = o.gapMs;
      await new Promise((r) => setTimeout(r, lo + random() * (hi - lo)));
      const target = o.order?.[k % o.order.length] ?? targets[Math.floor(random() * targets.length)]!;
      const [dlo, dhi] = o.downMs ?? [0, 500];
      const downMs = Math.round(dlo + random() * (dhi - dlo));
      const s = fleet.stats();
      say(`kill ${k + 1}/${o.kills}: SIGKILL ${target} (sent ${s.sent}, acked ${s.acked}, unacked ${s.unacked})`);
      kills.push({ target, atMs: Date.now() - t0, downMs });
      await procs.get(target)!.stop('SIGKILL');
      await new Promise((r) => setTimeout(r, downMs));
      await start(target);
    }
    await new Promise((r) => setTimeout(r, o.gapMs[0]));
    fleet.stopPublishing();
    say('publishing stopped; waiting for every outbox to be acknowledged');
    const drained = await fleet.drained(60_000);
    const stats = fleet.stats();
    const acked = fleet.acked();
    fleet.close();
    // A clean stop flushes what the ingest still holds; none of it was acknowledged to a device.
    for (const t of [...targets].reverse()) await procs.get(t)!.stop('SIGTERM', 20_000);
    const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
    let stored = 0;
    let missing = 0;
    let duplicated = 0;
    try {
      const rows = db.prepare('SELECT device, seq, count(*) AS n FROM meter_telemetry GROUP BY device, seq').all() as { device: string; seq: number; n: number }[];
      const have = new Map<string, Set<number>>();
      for (const r of rows) {
        if (!acked.has(r.device)) continue; // the park's own simulated meters (`all` runs the sim)
        stored += r.n;
        if (r.n > 1) duplicated++;
        let s = have.get(r.device);
        if (!s) have.set(r.device, (s = new Set()));
        s.add(r.seq);
      }
      for (const [id, seqs] of acked) for (const seq of seqs) if (!have.get(id)?.has(seq)) missing++;
    } finally {
      db.close();
    }
    return { deployment: o.deployment, kills, fleet: stats, acked: stats.acked, stored, missing, duplicated, drained, elapsedMs: Date.now() - t0 };
  } catch (err) {
    const out = [...procs.entries()].map(([t, p]) => `--- ${t}:\n${p.output().slice(-3000)}`).join('\n');
    throw new Error(`${(err as Error).message}\n${out}`);
  } finally {
    fleet.close();
    for (const p of procs.values()) if (p.running) await p.stop('SIGKILL', 5000);
    rmSync(dir, { recursive: true, force: true });
  }
}
