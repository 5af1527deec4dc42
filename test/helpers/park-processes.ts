// The park as a user runs it in production: broker, ingest, screen and simulator each its own CLI
// process (node --import tsx bin/parkpulse.ts <command>), on free ports, sharing one data folder,
// each stoppable and restartable on its own (SIGKILL for a crash, SIGTERM for a stop), through
// startTs (testkit/processes.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadParkModel, type ParkModel } from '../../shared/park-model.ts';
import type { Provisioned } from '../../shared/registry.ts';
import { provisionDataDir } from '../../testkit/provisioning.ts';
import { TEST_SCRYPT } from '../../testkit/park.ts';
import { CLI } from '../../testkit/cli.ts';
import { freePort, startTs, waitForHttp, type Managed } from '../../testkit/processes.ts';

export type ParkProcess = 'broker' | 'ingest' | 'screen' | 'sim';

export interface ParkProcesses {
  dir: string;
  model: ParkModel;
  provisioned: Provisioned;
  mqttUrl: string;
  screenUrl: string;
  /** The wall's address with its viewer token. */
  wallUrl: string;
  /** Starts a process (again) and resolves once it is ready (its /readyz, or started for sim). */
  start(name: ParkProcess): Promise<void>;
  /** SIGKILL (a crash: no goodbye, no last words) or SIGTERM (a clean stop). */
  stop(name: ParkProcess, signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  running(name: ParkProcess): boolean;
  /** Output of a process so far (for failure messages). */
  output(name: ParkProcess): string;
  close(): Promise<void>;
}

export interface ParkProcessesOptions {
  /** Simulator telemetry interval, ms; default 500. */
  simIntervalMs?: number;
  /** Alert rules file content (JSON) for the ingest; default the bundled rules. */
  alertRules?: unknown;
  /** Extra flags per process. */
  flags?: Partial<Record<ParkProcess, string[]>>;
}


export async function startParkProcesses(opts: ParkProcessesOptions = {}): Promise<ParkProcesses> {
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-procs-'));
  const model = loadParkModel();
  // Cheap scrypt for the test's accounts (the broker keeps existing hashes when it provisions).
  const provisioned = await provisionDataDir(dir, model, TEST_SCRYPT);
  const ports = { mqtt: await freePort(), ws: await freePort(), brokerHttp: await freePort(), ingestHttp: await freePort(), screen: await freePort() };
  const mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;
  const common = ['--data-dir', dir, '--log-level', 'warn'];
  const client = [...common, '--mqtt-url', mqttUrl];
  if (opts.alertRules) writeFileSync(join(dir, 'alert-rules.json'), JSON.stringify(opts.alertRules));
  const args: Record<ParkProcess, string[]> = {
    broker: ['broker', ...common, '--broker-host', '127.0.0.1', '--broker-port', String(ports.mqtt), '--broker-ws-port', String(ports.ws), '--broker-http-port', String(ports.brokerHttp)],
    ingest: ['ingest', ...client, '--ingest-http-host', '127.0.0.1', '--ingest-http-port', String(ports.ingestHttp), ...(opts.alertRules ? ['--alert-rules', join(dir, 'alert-rules.json')] : [])],
    screen: ['screen', ...client, '--screen-host', '127.0.0.1', '--screen-port', String(ports.screen)],
    sim: ['sim', ...client, '--sim-interval-ms', String(opts.simIntervalMs ?? 500)],
  };
  const ready: Record<ParkProcess, string | null> = {
    broker: `http://127.0.0.1:${ports.brokerHttp}/readyz`,
    ingest: `http://127.0.0.1:${ports.ingestHttp}/readyz`,
    screen: `http://127.0.0.1:${ports.screen}/readyz`,
    sim: null,
  };
  const procs = new Map<ParkProcess, Managed>();
  const screenUrl = `http://127.0.0.1:${ports.screen}`;

  const park: ParkProcesses = {
    dir, model, provisioned, mqttUrl, screenUrl,
    wallUrl: `${screenUrl}/?token=${encodeURIComponent(provisioned.viewerToken)}`,
    async start(name) {
      if (procs.get(name)?.running) throw new Error(`${name} is running already`);
      const p = startTs(CLI, [...args[name], ...(opts.flags?.[name] ?? [])]);
      procs.set(name, p);
      const url = ready[name];
      if (url) await waitForHttp(url, [200], 60_000, p);
    },
    async stop(name, signal = 'SIGKILL') {
      const p = procs.get(name);
      if (p?.running) await p.stop(signal);
    },
    running: (name) => procs.get(name)?.running ?? false,
    output: (name) => procs.get(name)?.output() ?? '',
    async close() {
      for (const name of ['sim', 'screen', 'ingest', 'broker'] as const) await park.stop(name, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return park;
}
