// The broker's RSS after its devices and services have connected, started as the launchers start it
// (bin/runtime-env.ts) and without that environment, in the same run. Every CONNECT with a secret the
// broker has not seen costs a scrypt run on a thread-pool thread: 1 MiB for a load meter, 16 MiB for
// a service account. What glibc keeps of those blocks is what this measures.
import { serviceAccountId, SERVICE_ROLES, type ServiceRole } from '../../shared/registry.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { RUNTIME_ENV } from '../../bin/runtime-env.ts';
import type { BenchRow } from '../harness.ts';
import { leanConnect, type LeanClient } from '../load/lean-client.ts';
import { rssMb } from '../lib/processes.ts';
import { startOurBroker } from './broker.ts';

/** The provisioned load park the connects come from (testkit/provisioning.ts provisionLoadPark). */
export type ConnectRun = { dir: string; parkId: string; fleetKey: string; ids: string[]; serviceSecrets: Readonly<Record<ServiceRole, string>> };

export interface ConnectMemory {
  /** Launcher environment on: RSS, MB, before the connects and after them. */
  launcher: { idleMb: number | null; afterMb: number | null };
  /** The same broker started without it. */
  bare: { idleMb: number | null; afterMb: number | null };
  devices: number;
  services: number;
}

async function measure(o: ConnectRun & { env: NodeJS.ProcessEnv }): Promise<{ idleMb: number | null; afterMb: number | null }> {
  const broker = await startOurBroker(o.dir, o.ids.length, [], o.env);
  const clients: LeanClient[] = [];
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const idleMb = rssMb(broker.brokerPid);
    // Services one after another (16 MiB each), then the devices 4 at a time (the KDF budget's concurrency).
    for (const role of SERVICE_ROLES) {
      clients.push(await leanConnect({ host: '127.0.0.1', port: broker.port, clientId: `${serviceAccountId(role)}-mem`, username: serviceAccountId(role), password: o.serviceSecrets[role] }));
    }
    for (let i = 0; i < o.ids.length; i += 4) {
      const batch = o.ids.slice(i, i + 4);
      clients.push(...(await Promise.all(batch.map((id) => leanConnect({ host: '127.0.0.1', port: broker.port, clientId: id, username: id, password: deriveDeviceSecret(o.fleetKey, o.parkId, id) })))));
    }
    await new Promise((r) => setTimeout(r, 1000));
    return { idleMb, afterMb: rssMb(broker.brokerPid) };
  } finally {
    for (const c of clients) c.end();
    await broker.proc.stop('SIGKILL', 5000);
  }
}

export async function connectMemory(o: ConnectRun): Promise<ConnectMemory> {
  const bareEnv = { ...process.env };
  for (const k of Object.keys(RUNTIME_ENV)) delete bareEnv[k];
  const launcher = await measure({ ...o, env: { ...process.env, ...RUNTIME_ENV } });
  const bare = await measure({ ...o, env: bareEnv });
  return { launcher, bare, devices: o.ids.length, services: SERVICE_ROLES.length };
}

export function memoryRows(m: ConnectMemory): BenchRow[] {
  const mb = (v: number | null): string => (v === null ? '?' : v.toFixed(0));
  const rows: BenchRow[] = [
    { metric: 'parkpulse RSS after connects, launcher environment', value: Math.round(m.launcher.afterMb ?? 0), unit: 'MB', note: `${m.services} services + ${m.devices} meters connected, each a scrypt check; idle before: ${mb(m.launcher.idleMb)} MB (${Object.entries(RUNTIME_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})` },
    { metric: 'parkpulse RSS after connects, without it', value: Math.round(m.bare.afterMb ?? 0), unit: 'MB', note: `same connects; idle before: ${mb(m.bare.idleMb)} MB` },
  ];
  if (m.launcher.afterMb && m.bare.afterMb) rows.push({ metric: 'RSS ratio launcher/bare after connects', value: m.launcher.afterMb / m.bare.afterMb, unit: 'x', note: 'glibc keeps a freed scrypt block per thread-pool thread without it' });
  return rows;
}
